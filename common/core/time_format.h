// Wall-clock times as Helpline stores and prints them: milliseconds since the
// Unix epoch inside, RFC 3339 UTC ("2026-11-21T10:00:00Z") outside.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/core/result.h"

namespace helpline {

using UnixMillis = std::int64_t;

// The system clock now. Only edges (daemons, CLIs) call this; logic takes
// the time as a parameter so tests can fake it.
[[nodiscard]] UnixMillis unix_now_ms();

// "" for 0 (never), else RFC 3339 with seconds, UTC.
[[nodiscard]] std::string format_rfc3339(UnixMillis ms);

// Reads what format_rfc3339 writes (and a fractional part, and +hh:mm offsets).
[[nodiscard]] Result<UnixMillis> parse_rfc3339(std::string_view text);

}  // namespace helpline
