#include "common/findings/format.h"

#include <cmath>
#include <cstdio>

#include "common/core/time_format.h"

namespace helpline::findings {

std::string format_bytes(std::uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (bytes < 1024) return std::to_string(bytes) + " B";
  auto value = static_cast<double>(bytes);
  std::size_t unit = 0;
  while (value >= 1024.0 && unit + 1 < std::size(kUnits)) {
    value /= 1024.0;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %s", value, kUnits[unit]);
  return buf;
}

std::string format_percent(double percent) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", percent);
  return buf;
}

std::string format_number(double value) {
  char buf[32];
  if (std::isfinite(value) && value == std::floor(value) && std::fabs(value) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", value);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f", value);
  }
  return buf;
}

std::string format_celsius(double celsius) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f C", celsius);
  return buf;
}

std::string format_time(std::int64_t unix_ms) {
  return unix_ms == 0 ? std::string("unknown time") : format_rfc3339(unix_ms);
}

std::string format_window(std::chrono::milliseconds window) {
  auto ms = window.count();
  if (ms % 3'600'000 == 0 && ms > 0) return std::to_string(ms / 3'600'000) + " h";
  if (ms % 60'000 == 0 && ms > 0) return std::to_string(ms / 60'000) + " min";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
  return std::to_string(ms) + " ms";
}

std::string shorten(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  std::size_t cut = max_bytes;
  // Back up over UTF-8 continuation bytes so a character is never split.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + "...";
}

double percent_of(std::uint64_t part, std::uint64_t whole) {
  if (whole == 0) return 0;
  return 100.0 * static_cast<double>(part) / static_cast<double>(whole);
}

}  // namespace helpline::findings
