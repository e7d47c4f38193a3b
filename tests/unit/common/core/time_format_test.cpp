#include "common/core/time_format.h"

#include <gtest/gtest.h>

namespace helpline {
namespace {

TEST(TimeFormat, FormatsUtcSeconds) {
  EXPECT_EQ(format_rfc3339(0), "");
  EXPECT_EQ(format_rfc3339(1'700'000'000'123), "2023-11-14T22:13:20Z");
}

TEST(TimeFormat, ParsesWhatItWritesAndOffsets) {
  EXPECT_EQ(parse_rfc3339("2023-11-14T22:13:20Z").value(), 1'700'000'000'000);
  EXPECT_EQ(parse_rfc3339("2023-11-14T22:13:20.5Z").value(), 1'700'000'000'500);
  EXPECT_EQ(parse_rfc3339("2023-11-14T23:13:20+01:00").value(), 1'700'000'000'000);
}

TEST(TimeFormat, RefusesMalformedTimes) {
  for (const char* text : {"", "yesterday", "2023-13-01T00:00:00Z", "2023-02-30T00:00:00Z",
                           "2023-11-14T22:13:20", "2023-11-14T22:13:20Zjunk"}) {
    EXPECT_FALSE(parse_rfc3339(text).has_value()) << text;
  }
}

}  // namespace
}  // namespace helpline
