#include "server/tickets/priority_matrix.h"

#include <gtest/gtest.h>

#include <tuple>
#include <vector>

namespace helpline::relay::tickets {
namespace {

// (urgency, impact, priority): the GLPI default of docs/helpdesk.md, cell by cell.
using Cell = std::tuple<int, int, int>;

class DefaultMatrix : public ::testing::TestWithParam<Cell> {};

TEST_P(DefaultMatrix, GivesTheGlpiPriority) {
  const auto [urgency, impact, expected] = GetParam();
  const PriorityMatrix matrix;
  EXPECT_EQ(
      to_int(matrix.compute(impact_from_int(impact).value(), urgency_from_int(urgency).value())),
      expected)
      << "urgency " << urgency << ", impact " << impact;
}

INSTANTIATE_TEST_SUITE_P(
    AllCells, DefaultMatrix,
    ::testing::Values(Cell{1, 1, 1}, Cell{1, 2, 1}, Cell{1, 3, 2}, Cell{1, 4, 2}, Cell{1, 5, 2},
                      Cell{2, 1, 1}, Cell{2, 2, 2}, Cell{2, 3, 2}, Cell{2, 4, 3}, Cell{2, 5, 3},
                      Cell{3, 1, 2}, Cell{3, 2, 2}, Cell{3, 3, 3}, Cell{3, 4, 4}, Cell{3, 5, 4},
                      Cell{4, 1, 2}, Cell{4, 2, 3}, Cell{4, 3, 4}, Cell{4, 4, 4}, Cell{4, 5, 5},
                      Cell{5, 1, 2}, Cell{5, 2, 3}, Cell{5, 3, 4}, Cell{5, 4, 5}, Cell{5, 5, 5}),
    [](const ::testing::TestParamInfo<Cell>& cell) {
      return "urgency" + std::to_string(std::get<0>(cell.param)) + "_impact" +
             std::to_string(std::get<1>(cell.param));
    });

TEST(PriorityMatrix, NeverProducesMajor) {
  std::vector<int> all_fives(25, 5);
  const PriorityMatrix matrix = PriorityMatrix::from_values(all_fives).value();
  for (int u = 1; u <= 5; ++u) {
    for (int i = 1; i <= 5; ++i) {
      EXPECT_NE(matrix.compute(impact_from_int(i).value(), urgency_from_int(u).value()),
                Priority::kMajor);
    }
  }
}

TEST(PriorityMatrix, ConfiguredMatrixIsUsed) {
  std::vector<int> values(25, 1);
  values[3 * 5 + 1] = 4;  // urgency 4, impact 2
  const auto matrix = PriorityMatrix::from_values(values);
  ASSERT_TRUE(matrix.has_value());
  EXPECT_EQ(matrix->compute(Impact::kLow, Urgency::kHigh), Priority::kHigh);
  EXPECT_EQ(matrix->compute(Impact::kHigh, Urgency::kLow), Priority::kVeryLow);
  EXPECT_NE(*matrix, PriorityMatrix::glpi_default());
}

TEST(PriorityMatrix, RejectsWrongSize) {
  std::vector<int> values(24, 3);
  auto matrix = PriorityMatrix::from_values(values);
  ASSERT_FALSE(matrix.has_value());
  EXPECT_EQ(matrix.error().code, "bad_config");
  EXPECT_NE(matrix.error().message.find("got 24"), std::string::npos);
}

TEST(PriorityMatrix, RejectsValuesOutsideOneToFiveNamingTheCell) {
  for (int bad : {0, 6, -1}) {
    std::vector<int> values(25, 3);
    values[2 * 5 + 3] = bad;  // urgency 3, impact 4
    auto matrix = PriorityMatrix::from_values(values);
    ASSERT_FALSE(matrix.has_value()) << bad;
    EXPECT_NE(matrix.error().message.find("urgency 3, impact 4"), std::string::npos)
        << matrix.error().message;
  }
}

}  // namespace
}  // namespace helpline::relay::tickets
