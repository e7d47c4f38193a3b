#include "server/tickets/business_calendar.h"

#include <algorithm>
#include <cstdio>

#include "server/tickets/ticket_error.h"

namespace helpline::relay::tickets {
namespace {

constexpr std::int64_t kMinuteMs = 60'000;
constexpr std::int64_t kDayMs = 86'400'000;
constexpr int kDayMinutes = 1440;

// Local times may be negative (epoch with a negative offset): division must
// round down, not toward zero.
std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if (a % b != 0 && ((a < 0) != (b < 0))) --q;
  return q;
}

// 1970-01-01 was a Thursday (index 3 with Monday = 0).
std::size_t weekday_of(std::int64_t day) {
  return static_cast<std::size_t>(day + 3 - 7 * floor_div(day + 3, 7));
}

UnixMillis clamp_time(UnixMillis t) {
  return std::clamp<UnixMillis>(t, 0, BusinessCalendar::kMaxTime);
}

bool digits(std::string_view text, std::size_t pos, std::size_t count, int& out) {
  out = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (i >= text.size() || text[i] < '0' || text[i] > '9') return false;
    out = out * 10 + (text[i] - '0');
  }
  return true;
}

// "HH:MM" at pos; 24:00 allowed (the caller decides where).
bool clock_minutes(std::string_view text, std::size_t pos, int& minutes) {
  int h = 0;
  int m = 0;
  if (!digits(text, pos, 2, h) || pos + 2 >= text.size() || text[pos + 2] != ':' ||
      !digits(text, pos + 3, 2, m)) {
    return false;
  }
  if (m > 59 || h > 24 || (h == 24 && m != 0)) return false;
  minutes = h * 60 + m;
  return true;
}

bool valid_hours(const DayHours& hours) {
  return hours.open_minute >= 0 && hours.open_minute < hours.close_minute &&
         hours.close_minute <= kDayMinutes;
}

tl::unexpected<Error> bad_config(const std::string& message) {
  return fail(make_error(TicketError::kBadConfig, "calendar: " + message));
}

}  // namespace

Result<DayHours> parse_day_hours(std::string_view text) {
  DayHours hours;
  if (text.size() != 11 || text[5] != '-' || !clock_minutes(text, 0, hours.open_minute) ||
      !clock_minutes(text, 6, hours.close_minute) || !valid_hours(hours)) {
    return fail(make_error(TicketError::kBadValue,
                           "hours: '" + std::string(text) +
                               "' is not valid; use HH:MM-HH:MM with open before close, "
                               "e.g. 08:00-18:00"));
  }
  return hours;
}

std::string to_string(const DayHours& hours) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%02d:%02d-%02d:%02d", hours.open_minute / 60,
                hours.open_minute % 60, hours.close_minute / 60, hours.close_minute % 60);
  return buf;
}

Result<std::chrono::year_month_day> parse_local_date(std::string_view text) {
  int y = 0;
  int m = 0;
  int d = 0;
  if (text.size() == 10 && text[4] == '-' && text[7] == '-' && digits(text, 0, 4, y) &&
      digits(text, 5, 2, m) && digits(text, 8, 2, d)) {
    std::chrono::year_month_day date{std::chrono::year{y},
                                     std::chrono::month{static_cast<unsigned>(m)},
                                     std::chrono::day{static_cast<unsigned>(d)}};
    if (date.ok()) return date;
  }
  return fail(make_error(TicketError::kBadValue,
                         "holiday: '" + std::string(text) + "' is not a date; use YYYY-MM-DD"));
}

std::string to_string(const std::chrono::year_month_day& date) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return buf;
}

BusinessCalendar::BusinessCalendar() {
  week_.fill(DayHours{0, kDayMinutes});
  week_total_ = 7 * kDayMs;
}

Result<BusinessCalendar> BusinessCalendar::weekly(
    Week week, int utc_offset_minutes, std::vector<std::chrono::year_month_day> holidays) {
  static constexpr std::array<const char*, 7> kDays{"monday", "tuesday",  "wednesday", "thursday",
                                                    "friday", "saturday", "sunday"};
  BusinessCalendar calendar;
  calendar.always_open_ = false;
  calendar.week_ = week;
  calendar.week_total_ = 0;
  for (std::size_t i = 0; i < week.size(); ++i) {
    if (!week[i]) continue;
    if (!valid_hours(*week[i])) {
      return bad_config(std::string(kDays[i]) +
                        " hours must satisfy 00:00 <= open < close <= 24:00");
    }
    calendar.week_total_ += (week[i]->close_minute - week[i]->open_minute) * kMinuteMs;
  }
  if (calendar.week_total_ == 0) return bad_config("at least one weekday must have opening hours");
  if (utc_offset_minutes < -kMaxOffsetMinutes || utc_offset_minutes > kMaxOffsetMinutes) {
    return bad_config("utc offset " + std::to_string(utc_offset_minutes) +
                      " minutes is outside -840..840 (UTC-14:00..UTC+14:00)");
  }
  calendar.offset_minutes_ = utc_offset_minutes;
  if (holidays.size() > kMaxHolidays) {
    return bad_config("at most " + std::to_string(kMaxHolidays) + " holidays, got " +
                      std::to_string(holidays.size()));
  }
  for (const auto& date : holidays) {
    if (!date.ok()) return bad_config("holiday " + to_string(date) + " is not a valid date");
    calendar.holidays_.push_back(std::chrono::sys_days{date}.time_since_epoch().count());
  }
  std::sort(calendar.holidays_.begin(), calendar.holidays_.end());
  calendar.holidays_.erase(std::unique(calendar.holidays_.begin(), calendar.holidays_.end()),
                           calendar.holidays_.end());
  return calendar;
}

Result<BusinessCalendar> BusinessCalendar::weekdays(
    DayHours hours, int utc_offset_minutes, std::vector<std::chrono::year_month_day> holidays) {
  Week week{};
  for (std::size_t i = 0; i < 5; ++i) week[i] = hours;
  return weekly(week, utc_offset_minutes, std::move(holidays));
}

std::vector<std::chrono::year_month_day> BusinessCalendar::holidays() const {
  std::vector<std::chrono::year_month_day> out;
  out.reserve(holidays_.size());
  for (std::int64_t day : holidays_) {
    out.emplace_back(std::chrono::sys_days{std::chrono::days{day}});
  }
  return out;
}

std::int64_t BusinessCalendar::to_local(UnixMillis t) const {
  return clamp_time(t) + offset_minutes_ * kMinuteMs;
}

std::int64_t BusinessCalendar::window_open(std::int64_t day) const {
  const auto& hours = week_[weekday_of(day)];
  return day * kDayMs + (hours ? hours->open_minute * kMinuteMs : 0);
}

std::int64_t BusinessCalendar::window_length(std::int64_t day) const {
  const auto& hours = week_[weekday_of(day)];
  return hours ? (hours->close_minute - hours->open_minute) * kMinuteMs : 0;
}

// Business ms from local day 0 to `local`, ignoring holidays. Any 7
// consecutive days hold week_total_, so whole weeks cost nothing to count.
std::int64_t BusinessCalendar::cumulative(std::int64_t local) const {
  const std::int64_t day = floor_div(local, kDayMs);
  const std::int64_t week_start = 7 * floor_div(day, 7);
  std::int64_t sum = floor_div(day, 7) * week_total_;
  for (std::int64_t d = week_start; d < day; ++d) sum += window_length(d);
  sum += std::clamp<std::int64_t>(local - window_open(day), 0, window_length(day));
  return sum;
}

bool BusinessCalendar::is_business_time(UnixMillis t) const {
  if (always_open_) return true;
  const std::int64_t local = to_local(t);
  const std::int64_t day = floor_div(local, kDayMs);
  if (std::binary_search(holidays_.begin(), holidays_.end(), day)) return false;
  const std::int64_t open = window_open(day);
  return local >= open && local < open + window_length(day);
}

std::chrono::milliseconds BusinessCalendar::business_time_between(UnixMillis a,
                                                                  UnixMillis b) const {
  a = clamp_time(a);
  b = clamp_time(b);
  if (b <= a) return std::chrono::milliseconds{0};
  if (always_open_) return std::chrono::milliseconds{b - a};
  const std::int64_t la = to_local(a);
  const std::int64_t lb = to_local(b);
  std::int64_t total = cumulative(lb) - cumulative(la);
  const std::int64_t last_day = floor_div(lb, kDayMs);
  for (auto it = std::lower_bound(holidays_.begin(), holidays_.end(), floor_div(la, kDayMs));
       it != holidays_.end() && *it <= last_day; ++it) {
    const std::int64_t open = window_open(*it);
    const std::int64_t overlap = std::min(open + window_length(*it), lb) - std::max(open, la);
    if (overlap > 0) total -= overlap;
  }
  return std::chrono::milliseconds{total};
}

// Both searches rely on business_time_between being monotone and growing by
// at most 1 ms per ms: a bracket is found by doubling, then bisected, so the
// cost is ~100 evaluations whatever the duration or holiday pattern.
UnixMillis BusinessCalendar::add_business_time(UnixMillis start,
                                               std::chrono::milliseconds d) const {
  start = clamp_time(start);
  const std::int64_t want = d.count();
  if (want <= 0) return start;
  const UnixMillis limit = want > kMaxTime - start ? kMaxTime : start + want;
  if (always_open_) return limit;
  auto enough = [&](UnixMillis t) { return business_time_between(start, t).count() >= want; };
  UnixMillis lo = start;
  UnixMillis hi = limit;
  while (!enough(hi)) {
    if (hi == kMaxTime) return kMaxTime;
    lo = hi;
    const std::int64_t span = hi - start;
    hi = span > kMaxTime - hi ? kMaxTime : hi + span;
  }
  while (hi - lo > 1) {
    const UnixMillis mid = lo + (hi - lo) / 2;
    (enough(mid) ? hi : lo) = mid;
  }
  return hi;
}

UnixMillis BusinessCalendar::subtract_business_time(UnixMillis end,
                                                    std::chrono::milliseconds d) const {
  end = clamp_time(end);
  const std::int64_t want = d.count();
  if (want <= 0) return end;
  const UnixMillis limit = want > end ? 0 : end - want;
  if (always_open_) return limit;
  auto enough = [&](UnixMillis t) { return business_time_between(t, end).count() >= want; };
  UnixMillis hi = end;
  UnixMillis lo = limit;
  while (!enough(lo)) {
    if (lo == 0) return 0;
    hi = lo;
    const std::int64_t span = end - lo;
    lo = span > lo ? 0 : lo - span;
  }
  while (hi - lo > 1) {
    const UnixMillis mid = lo + (hi - lo) / 2;
    (enough(mid) ? lo : hi) = mid;
  }
  return lo;
}

}  // namespace helpline::relay::tickets
