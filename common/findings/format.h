// How numbers, sizes and times appear in finding texts. Public so that
// reports printing a bundle next to its findings (helpline-agent show, the
// relay) write the same numbers the same way. Pure functions.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace helpline::findings {

// "512 B", "4.0 KiB", "12.3 GiB".
[[nodiscard]] std::string format_bytes(std::uint64_t bytes);
// "97.3%" (one decimal).
[[nodiscard]] std::string format_percent(double percent);
// A threshold or reading: "50", "0.5", "93.5" (at most one decimal).
[[nodiscard]] std::string format_number(double value);
// "93.0 C".
[[nodiscard]] std::string format_celsius(double celsius);
// RFC 3339 UTC; "unknown time" for 0.
[[nodiscard]] std::string format_time(std::int64_t unix_ms);
// "10 min", "45 s", "2 h".
[[nodiscard]] std::string format_window(std::chrono::milliseconds window);
// `text` cut to at most `max_bytes` at a UTF-8 character boundary, "..."
// appended when cut.
[[nodiscard]] std::string shorten(std::string_view text, std::size_t max_bytes = 160);
// 100 * part / whole; 0 when whole is 0.
[[nodiscard]] double percent_of(std::uint64_t part, std::uint64_t whole);

}  // namespace helpline::findings
