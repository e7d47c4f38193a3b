// Human durations as used on command lines and in config: "90s", "30m",
// "24h", "7d", or a combination such as "1h30m". A bare number is seconds.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/core/result.h"

namespace helpline {

// Errors: "bad_duration" naming the offending text. Zero and negative
// durations are refused; at most 10 years.
[[nodiscard]] Result<std::chrono::seconds> parse_duration(std::string_view text);

// The shortest form parse_duration reads back: 86400s -> "1d", 5400s -> "1h30m".
[[nodiscard]] std::string format_duration(std::chrono::seconds value);

}  // namespace helpline
