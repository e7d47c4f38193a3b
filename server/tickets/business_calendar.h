// Which minutes count towards an SLA: 24x7, or weekly opening hours in a
// fixed UTC offset, minus holidays.
//
// Simplifications, on purpose: one opening interval per weekday (no lunch
// break) and a fixed UTC offset in minutes rather than an IANA zone, so there
// is no daylight-saving rule to get wrong; an organisation that changes its
// offset twice a year updates relay.toml (deadlines already computed keep
// their value until recomputed). Holidays are local dates in that offset.
//
// All functions are pure and cheap (O(7 + holidays in range) per call, no
// loop over days); times are clamped to [0, 9999-12-31T23:59:59.999Z].
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/result.h"
#include "common/core/time_format.h"

namespace helpline::relay::tickets {

// Open from open_minute to close_minute after local midnight, [open, close).
// close_minute may be 1440 (open until midnight).
struct DayHours {
  int open_minute = 0;
  int close_minute = 0;

  friend bool operator==(const DayHours&, const DayHours&) = default;
};

// "08:00-18:00". Errors: "bad_value" ("hours: ...").
[[nodiscard]] Result<DayHours> parse_day_hours(std::string_view text);
// "08:00-18:00".
[[nodiscard]] std::string to_string(const DayHours& hours);

// "2026-12-25". Errors: "bad_value" ("holiday: ...").
[[nodiscard]] Result<std::chrono::year_month_day> parse_local_date(std::string_view text);
[[nodiscard]] std::string to_string(const std::chrono::year_month_day& date);

class BusinessCalendar {
 public:
  static constexpr int kMaxOffsetMinutes = 14 * 60;
  static constexpr std::size_t kMaxHolidays = 1000;
  static constexpr UnixMillis kMaxTime = 253402300799999;  // 9999-12-31T23:59:59.999Z

  // Index 0 is Monday, 6 is Sunday; nullopt means closed all day.
  using Week = std::array<std::optional<DayHours>, 7>;

  // 24x7: every millisecond counts.
  BusinessCalendar();
  [[nodiscard]] static BusinessCalendar always_open() { return {}; }

  // Errors: "bad_config" for hours outside 00:00-24:00 or empty, no open
  // day at all, an offset beyond +-14h, more than kMaxHolidays holidays or
  // an invalid date. Duplicate holidays are merged.
  [[nodiscard]] static Result<BusinessCalendar> weekly(
      Week week, int utc_offset_minutes, std::vector<std::chrono::year_month_day> holidays = {});
  // Monday to Friday with the same hours.
  [[nodiscard]] static Result<BusinessCalendar> weekdays(
      DayHours hours, int utc_offset_minutes,
      std::vector<std::chrono::year_month_day> holidays = {});

  [[nodiscard]] bool is_always_open() const { return always_open_; }
  [[nodiscard]] const Week& week() const { return week_; }
  [[nodiscard]] int utc_offset_minutes() const { return offset_minutes_; }
  [[nodiscard]] std::vector<std::chrono::year_month_day> holidays() const;

  [[nodiscard]] bool is_business_time(UnixMillis t) const;

  // Business time in [a, b); zero when b <= a.
  [[nodiscard]] std::chrono::milliseconds business_time_between(UnixMillis a, UnixMillis b) const;

  // The earliest t >= start with business_time_between(start, t) == d: a
  // deadline "d of business time after start". Ends at the close of a day
  // rather than the next opening when the time runs out exactly at closing.
  // d <= 0 gives start.
  [[nodiscard]] UnixMillis add_business_time(UnixMillis start, std::chrono::milliseconds d) const;

  // The mirror: the latest t <= end with business_time_between(t, end) == d,
  // "d of business time before end". d <= 0 gives end.
  [[nodiscard]] UnixMillis subtract_business_time(UnixMillis end,
                                                  std::chrono::milliseconds d) const;

 private:
  [[nodiscard]] std::int64_t cumulative(std::int64_t local) const;
  [[nodiscard]] std::int64_t window_open(std::int64_t day) const;
  [[nodiscard]] std::int64_t window_length(std::int64_t day) const;
  [[nodiscard]] std::int64_t to_local(UnixMillis t) const;

  bool always_open_ = true;
  Week week_{};
  int offset_minutes_ = 0;
  std::vector<std::int64_t> holidays_;  // local day numbers since 1970-01-01, sorted, unique
  std::int64_t week_total_ = 0;         // business ms in any 7 consecutive days
};

}  // namespace helpline::relay::tickets
