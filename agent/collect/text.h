// Small text helpers for collectors: splitting, number parsing, and
// clean(), which every string taken from the machine goes through before it
// enters a bundle (proto3 strings must be valid UTF-8, or the bundle would
// not decode). Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace helpline::agent::collect {

[[nodiscard]] std::string_view trim(std::string_view text);
// Lines without their '\n' (and '\r'); no empty last line for a final '\n'.
[[nodiscard]] std::vector<std::string_view> split_lines(std::string_view text);
// Fields separated by runs of spaces and tabs.
[[nodiscard]] std::vector<std::string_view> split_fields(std::string_view text);
[[nodiscard]] bool starts_with(std::string_view text, std::string_view prefix);

// Whole-string parses (after trim); nullopt on anything else.
[[nodiscard]] std::optional<std::uint64_t> to_u64(std::string_view text, int base = 10);
[[nodiscard]] std::optional<std::int64_t> to_i64(std::string_view text);
[[nodiscard]] std::optional<double> to_double(std::string_view text);

// Valid UTF-8 (each invalid byte becomes U+FFFD), control characters other
// than tab dropped, at most `max_bytes` bytes cut at a character boundary.
[[nodiscard]] std::string clean(std::string_view text, std::size_t max_bytes = 1024);

// The value of KEY in shell-style assignment lines (os-release,
// /etc/environment, locale.conf): quotes removed, backslash escapes
// resolved. nullopt when the key is absent. A leading "export " is allowed.
[[nodiscard]] std::optional<std::string> assignment_value(std::string_view text,
                                                          std::string_view key);

// "name: value" lines (/proc/meminfo, /proc/cpuinfo, /proc/<pid>/status):
// the trimmed value of the first line whose trimmed name equals `key`.
[[nodiscard]] std::optional<std::string_view> colon_value(std::string_view text,
                                                          std::string_view key);

}  // namespace helpline::agent::collect
