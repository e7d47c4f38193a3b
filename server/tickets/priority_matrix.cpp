#include "server/tickets/priority_matrix.h"

#include <algorithm>
#include <string>

#include "server/tickets/ticket_error.h"

namespace helpline::relay::tickets {
namespace {

constexpr PriorityMatrix::Values kGlpiDefault{
    1, 1, 2, 2, 2,  //
    1, 2, 2, 3, 3,  //
    2, 2, 3, 4, 4,  //
    2, 3, 4, 4, 5,  //
    2, 3, 4, 5, 5,
};

}  // namespace

PriorityMatrix::PriorityMatrix() : values_(kGlpiDefault) {}

Result<PriorityMatrix> PriorityMatrix::from_values(std::span<const int> values) {
  if (values.size() != 25) {
    return fail(make_error(TicketError::kBadConfig,
                           "priority matrix: needs 25 values (5 urgency rows of 5 impact "
                           "columns), got " +
                               std::to_string(values.size())));
  }
  PriorityMatrix matrix;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (values[i] < 1 || values[i] > 5) {
      return fail(make_error(TicketError::kBadConfig,
                             "priority matrix: urgency " + std::to_string(i / 5 + 1) + ", impact " +
                                 std::to_string(i % 5 + 1) + " is " + std::to_string(values[i]) +
                                 "; use 1-5 (6, major, is only set by hand)"));
    }
    matrix.values_[i] = values[i];
  }
  return matrix;
}

Priority PriorityMatrix::compute(Impact impact, Urgency urgency) const {
  // Clamped so a bad cast by a caller cannot index outside the table.
  const int row = std::clamp(to_int(urgency), 1, 5) - 1;
  const int column = std::clamp(to_int(impact), 1, 5) - 1;
  return static_cast<Priority>(values_[static_cast<std::size_t>(row * 5 + column)]);
}

}  // namespace helpline::relay::tickets
