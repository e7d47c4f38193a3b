#include "common/core/duration.h"

#include <gtest/gtest.h>

namespace helpline {
namespace {

TEST(Duration, ParsesUnitsAndCombinations) {
  EXPECT_EQ(parse_duration("90s").value().count(), 90);
  EXPECT_EQ(parse_duration("30m").value().count(), 1800);
  EXPECT_EQ(parse_duration("24h").value().count(), 86400);
  EXPECT_EQ(parse_duration("7d").value().count(), 7 * 86400);
  EXPECT_EQ(parse_duration("1h30m").value().count(), 5400);
  EXPECT_EQ(parse_duration("45").value().count(), 45);
}

TEST(Duration, RefusesGarbageWithAReason) {
  for (const char* text : {"", "h", "10x", "-5m", "0s", "1h30", "99999999999d"}) {
    auto r = parse_duration(text);
    ASSERT_FALSE(r.has_value()) << text;
    EXPECT_EQ(r.error().code, "bad_duration");
    EXPECT_NE(r.error().message.find(text), std::string::npos) << r.error().message;
  }
}

TEST(Duration, FormatRoundTrips) {
  for (long s : {1L, 59L, 60L, 3600L, 5400L, 86400L, 90061L}) {
    auto text = format_duration(std::chrono::seconds(s));
    EXPECT_EQ(parse_duration(text).value().count(), s) << text;
  }
}

}  // namespace
}  // namespace helpline
