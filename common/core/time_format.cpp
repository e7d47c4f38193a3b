#include "common/core/time_format.h"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace helpline {

UnixMillis unix_now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string format_rfc3339(UnixMillis ms) {
  if (ms == 0) return "";
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Result<UnixMillis> parse_rfc3339(std::string_view text) {
  auto bad = [&] {
    return fail("bad_time", "invalid time '" + std::string(text) +
                                "': use RFC 3339, e.g. 2026-11-21T10:00:00Z");
  };
  int year = 0, mon = 0, day = 0, hour = 0, min = 0, sec = 0;
  int used = 0;
  std::string s(text);
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &year, &mon, &day, &hour, &min, &sec,
                  &used) != 6) {
    return bad();
  }
  if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60) {
    return bad();
  }
  std::size_t pos = static_cast<std::size_t>(used);
  std::int64_t frac_ms = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 3) frac_ms = frac_ms * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return bad();
    for (; digits < 3; ++digits) frac_ms *= 10;
  }
  std::int64_t offset_s = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh = 0, om = 0;
    if (std::sscanf(s.c_str() + pos + 1, "%2d:%2d", &oh, &om) != 2) return bad();
    offset_s = (oh * 3600 + om * 60) * (s[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return bad();
  }
  if (pos != s.size()) return bad();
  using namespace std::chrono;
  auto ymd = year_month_day{std::chrono::year{year}, month{static_cast<unsigned>(mon)},
                            std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return bad();
  std::int64_t days = sys_days{ymd}.time_since_epoch().count();
  std::int64_t total = days * 86400 + hour * 3600 + min * 60 + sec - offset_s;
  return total * 1000 + frac_ms;
}

}  // namespace helpline
