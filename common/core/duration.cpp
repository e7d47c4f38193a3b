#include "common/core/duration.h"

#include <cstdint>

namespace helpline {
namespace {

constexpr std::int64_t kMaxSeconds = 10LL * 366 * 86400;

[[nodiscard]] std::int64_t unit_seconds(char unit) {
  switch (unit) {
    case 's': return 1;
    case 'm': return 60;
    case 'h': return 3600;
    case 'd': return 86400;
    case 'w': return 7 * 86400;
    default: return 0;
  }
}

}  // namespace

Result<std::chrono::seconds> parse_duration(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return fail("bad_duration",
                "invalid duration '" + std::string(text) + "': " + std::string(why) +
                    " (use e.g. 90s, 30m, 24h, 7d, 1h30m)");
  };
  if (text.empty()) return bad("empty");
  std::int64_t total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::int64_t number = 0;
    std::size_t digits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      number = number * 10 + (text[i] - '0');
      if (number > kMaxSeconds) return bad("too long");
      ++i;
      ++digits;
    }
    if (digits == 0) return bad("expected a number");
    std::int64_t unit = 1;
    if (i < text.size()) {
      unit = unit_seconds(text[i]);
      if (unit == 0) return bad("unknown unit");
      ++i;
    } else if (total != 0) {
      return bad("missing unit");
    }
    total += number * unit;
    if (total > kMaxSeconds) return bad("too long (at most 10 years)");
  }
  if (total <= 0) return bad("must be positive");
  return std::chrono::seconds(total);
}

std::string format_duration(std::chrono::seconds value) {
  std::int64_t s = value.count();
  if (s <= 0) return "0s";
  std::string out;
  const std::pair<char, std::int64_t> units[] = {{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}};
  for (const auto& [unit, size] : units) {
    if (s >= size) {
      out += std::to_string(s / size);
      out += unit;
      s %= size;
    }
  }
  return out;
}

}  // namespace helpline
