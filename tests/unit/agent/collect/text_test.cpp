// The text helpers every collector uses; clean() keeps bundles decodable.
#include "agent/collect/text.h"

#include <gtest/gtest.h>

namespace helpline::agent::collect {
namespace {

TEST(Clean, ReplacesInvalidUtf8AndDropsControlCharacters) {
  EXPECT_EQ(clean("ok \xe2\x9c\x93"), "ok \xe2\x9c\x93");
  EXPECT_EQ(clean("a\xff"
                  "b"),
            "a\xef\xbf\xbd"
            "b");
  EXPECT_EQ(clean("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd");                  // overlong
  EXPECT_EQ(clean("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");  // surrogate
  EXPECT_EQ(clean("tab\there\r\n\x1b[31m"), "tab\there[31m");
}

TEST(Clean, CutsAtACharacterBoundary) {
  EXPECT_EQ(clean("abc\xe2\x9c\x93", 5), "abc");
  EXPECT_EQ(clean("abcdef", 3), "abc");
}

TEST(AssignmentValue, UnquotesAndUnescapes) {
  constexpr std::string_view kText =
      "# comment\nNAME=\"Debian \\\"GNU\\\"\"\nexport LANG='C.UTF-8'\nEMPTY=\nID=debian\n";
  EXPECT_EQ(assignment_value(kText, "NAME"), "Debian \"GNU\"");
  EXPECT_EQ(assignment_value(kText, "LANG"), "C.UTF-8");
  EXPECT_EQ(assignment_value(kText, "EMPTY"), "");
  EXPECT_EQ(assignment_value(kText, "ID"), "debian");
  EXPECT_EQ(assignment_value(kText, "MISSING"), std::nullopt);
  EXPECT_EQ(assignment_value(kText, "NAM"), std::nullopt);
}

TEST(Numbers, ParseWholeStringsOnly) {
  EXPECT_EQ(to_u64(" 42\n"), 42u);
  EXPECT_EQ(to_u64("ff", 16), 255u);
  EXPECT_EQ(to_u64("42x"), std::nullopt);
  EXPECT_EQ(to_u64(""), std::nullopt);
  EXPECT_EQ(to_i64("-7"), -7);
  EXPECT_EQ(to_double("12345.67"), 12345.67);
}

TEST(Split, LinesAndFields) {
  EXPECT_EQ(split_lines("a\r\nb\n\nc\n"), (std::vector<std::string_view>{"a", "b", "", "c"}));
  EXPECT_EQ(split_fields("  a\tb  c "), (std::vector<std::string_view>{"a", "b", "c"}));
  EXPECT_EQ(colon_value("MemTotal:  10 kB\nUid:\t0\t0", "Uid"), "0\t0");
}

}  // namespace
}  // namespace helpline::agent::collect
