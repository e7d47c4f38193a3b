// Error codes of common/wire. Codes cross the wire in Goodbye/ChannelReset
// and appear in logs, so they are stable strings.
#pragma once

#include <string>

#include "common/core/result.h"

namespace helpline::wire {

enum class WireError {
  kFrameTooLarge,    // length prefix above the negotiated maximum
  kMalformedFrame,   // bytes that do not parse as a Frame, or an empty body
  kUnexpectedFrame,  // a control body on a stream channel or the reverse
  kUnknownChannel,   // data/window/close for a channel that is not open
  kWindowViolation,  // peer sent more than the credit we granted
  kChannelLimit,     // too many open channels
  kBufferLimit,      // a queue or buffer would go over its cap
  kChannelState,     // e.g. write after close, open of an id in use
  kClosed,           // the multiplexer is closed after an earlier error
};

[[nodiscard]] const char* to_code(WireError error);
// `detail` is the message a person reads; empty means a generic description.
[[nodiscard]] Error make_error(WireError error, std::string detail = {});

}  // namespace helpline::wire
