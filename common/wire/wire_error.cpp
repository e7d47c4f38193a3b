#include "common/wire/wire_error.h"

#include <utility>

namespace helpline::wire {

const char* to_code(WireError error) {
  switch (error) {
    case WireError::kFrameTooLarge:
      return "frame_too_large";
    case WireError::kMalformedFrame:
      return "malformed_frame";
    case WireError::kUnexpectedFrame:
      return "unexpected_frame";
    case WireError::kUnknownChannel:
      return "unknown_channel";
    case WireError::kWindowViolation:
      return "window_violation";
    case WireError::kChannelLimit:
      return "channel_limit";
    case WireError::kBufferLimit:
      return "buffer_limit";
    case WireError::kChannelState:
      return "channel_state";
    case WireError::kClosed:
      return "closed";
  }
  return "unknown_error";
}

namespace {

// Used when a caller passes no detail, so an Error never has an empty message.
const char* describe(WireError error) {
  switch (error) {
    case WireError::kFrameTooLarge:
      return "frame is larger than the negotiated maximum frame size";
    case WireError::kMalformedFrame:
      return "bytes do not parse as a tunnel frame";
    case WireError::kUnexpectedFrame:
      return "frame type is not allowed on this channel";
    case WireError::kUnknownChannel:
      return "channel is not open";
    case WireError::kWindowViolation:
      return "peer sent more data than the flow-control window allows";
    case WireError::kChannelLimit:
      return "too many open channels";
    case WireError::kBufferLimit:
      return "a queue or buffer reached its limit";
    case WireError::kChannelState:
      return "operation not allowed in the channel's current state";
    case WireError::kClosed:
      return "the tunnel link is closed";
  }
  return "unknown wire error";
}

}  // namespace

Error make_error(WireError error, std::string detail) {
  if (detail.empty()) detail = describe(error);
  return Error{to_code(error), std::move(detail)};
}

}  // namespace helpline::wire
