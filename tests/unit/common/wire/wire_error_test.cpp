#include "common/wire/wire_error.h"

#include <gtest/gtest.h>

namespace helpline::wire {
namespace {

TEST(WireError, CodesAreStableSnakeCase) {
  EXPECT_STREQ(to_code(WireError::kFrameTooLarge), "frame_too_large");
  EXPECT_STREQ(to_code(WireError::kMalformedFrame), "malformed_frame");
  EXPECT_STREQ(to_code(WireError::kUnexpectedFrame), "unexpected_frame");
  EXPECT_STREQ(to_code(WireError::kUnknownChannel), "unknown_channel");
  EXPECT_STREQ(to_code(WireError::kWindowViolation), "window_violation");
  EXPECT_STREQ(to_code(WireError::kChannelLimit), "channel_limit");
  EXPECT_STREQ(to_code(WireError::kBufferLimit), "buffer_limit");
  EXPECT_STREQ(to_code(WireError::kChannelState), "channel_state");
  EXPECT_STREQ(to_code(WireError::kClosed), "closed");
}

TEST(WireError, MakeErrorKeepsDetailOrDescribes) {
  Error e = make_error(WireError::kBufferLimit, "queue full");
  EXPECT_EQ(e.code, "buffer_limit");
  EXPECT_EQ(e.message, "queue full");
  EXPECT_FALSE(make_error(WireError::kClosed).message.empty());
}

}  // namespace
}  // namespace helpline::wire
