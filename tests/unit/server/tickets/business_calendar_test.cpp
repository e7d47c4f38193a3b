#include "server/tickets/business_calendar.h"

#include <gtest/gtest.h>

#include "tests/unit/server/tickets/ticket_builders.h"

namespace helpline::relay::tickets {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using testing::at;
using testing::kDay;
using testing::kHour;
using testing::kMinute;

std::chrono::year_month_day date(int y, unsigned m, unsigned d) {
  return std::chrono::year_month_day{std::chrono::year{y}, std::chrono::month{m},
                                     std::chrono::day{d}};
}

TEST(BusinessCalendar, AlwaysOpenCountsEveryMillisecond) {
  const BusinessCalendar calendar;
  const UnixMillis start = at("2026-11-20T17:30:00Z");
  EXPECT_EQ(calendar.add_business_time(start, hours(2)), at("2026-11-20T19:30:00Z"));
  EXPECT_EQ(calendar.subtract_business_time(start, hours(2)), at("2026-11-20T15:30:00Z"));
  EXPECT_EQ(calendar.business_time_between(start, start + kDay), hours(24));
  EXPECT_TRUE(calendar.is_business_time(at("2026-11-22T03:00:00Z")));
}

TEST(BusinessCalendar, FridayEveningRollsOverTheWeekend) {
  const BusinessCalendar calendar = testing::office_calendar();
  EXPECT_EQ(calendar.add_business_time(at("2026-11-20T17:30:00Z"), hours(2)),
            at("2026-11-23T09:30:00Z"));
}

TEST(BusinessCalendar, HolidaysAreSkipped) {
  // Thursday 24 December, 25 December (Friday) is a holiday.
  const BusinessCalendar calendar = testing::office_calendar({date(2026, 12, 25)});
  EXPECT_EQ(calendar.add_business_time(at("2026-12-24T17:30:00Z"), hours(2)),
            at("2026-12-28T09:30:00Z"));
  EXPECT_FALSE(calendar.is_business_time(at("2026-12-25T10:00:00Z")));
  EXPECT_EQ(calendar.business_time_between(at("2026-12-24T00:00:00Z"), at("2026-12-29T00:00:00Z")),
            hours(20));
}

TEST(BusinessCalendar, DeadlineEndsAtClosingWhenTheTimeRunsOutExactly) {
  const BusinessCalendar calendar = testing::office_calendar();
  EXPECT_EQ(calendar.add_business_time(at("2026-11-20T17:00:00Z"), hours(1)),
            at("2026-11-20T18:00:00Z"));
}

TEST(BusinessCalendar, StartBeforeOpeningCountsFromOpening) {
  const BusinessCalendar calendar = testing::office_calendar();
  EXPECT_EQ(calendar.add_business_time(at("2026-11-23T06:00:00Z"), hours(1)),
            at("2026-11-23T09:00:00Z"));
  EXPECT_EQ(calendar.add_business_time(at("2026-11-21T12:00:00Z"), minutes(30)),
            at("2026-11-23T08:30:00Z"));
}

TEST(BusinessCalendar, BusinessTimeBetweenSkipsNightsAndWeekends) {
  const BusinessCalendar calendar = testing::office_calendar();
  EXPECT_EQ(calendar.business_time_between(at("2026-11-20T17:00:00Z"), at("2026-11-23T09:00:00Z")),
            hours(2));
  EXPECT_EQ(calendar.business_time_between(at("2026-11-16T00:00:00Z"), at("2026-11-23T00:00:00Z")),
            hours(50));
  EXPECT_EQ(calendar.business_time_between(at("2026-11-23T09:00:00Z"), at("2026-11-20T17:00:00Z")),
            milliseconds{0});
}

TEST(BusinessCalendar, SubtractMirrorsAdd) {
  const BusinessCalendar calendar = testing::office_calendar();
  const UnixMillis deadline = at("2026-11-23T09:30:00Z");
  EXPECT_EQ(calendar.subtract_business_time(deadline, hours(2)), at("2026-11-20T17:30:00Z"));
  // The latest instant with 1h30 left: Monday's opening, not Friday's close.
  EXPECT_EQ(calendar.subtract_business_time(deadline, minutes(90)), at("2026-11-23T08:00:00Z"));
}

TEST(BusinessCalendar, UtcOffsetShiftsTheOpeningHours) {
  auto calendar = BusinessCalendar::weekdays(DayHours{8 * 60, 18 * 60}, 60);  // UTC+01:00
  ASSERT_TRUE(calendar.has_value());
  EXPECT_FALSE(calendar->is_business_time(at("2026-11-23T06:59:59Z")));
  EXPECT_TRUE(calendar->is_business_time(at("2026-11-23T07:00:00Z")));
  EXPECT_EQ(calendar->add_business_time(at("2026-11-20T16:30:00Z"), hours(2)),
            at("2026-11-23T08:30:00Z"));
  auto west = BusinessCalendar::weekdays(DayHours{8 * 60, 18 * 60}, -300);  // UTC-05:00
  ASSERT_TRUE(west.has_value());
  EXPECT_TRUE(west->is_business_time(at("2026-11-23T13:00:00Z")));
  EXPECT_FALSE(west->is_business_time(at("2026-11-23T12:59:59Z")));
}

TEST(BusinessCalendar, AddAndSubtractAreConsistentWithBetween) {
  const BusinessCalendar calendar =
      testing::office_calendar({date(2026, 11, 26), date(2026, 12, 1)});
  const UnixMillis base = at("2026-11-19T00:00:00Z");
  for (int step = 0; step < 40; ++step) {
    const UnixMillis start = base + step * 97 * kMinute;
    for (const milliseconds d :
         {milliseconds{1}, milliseconds{minutes(45)}, milliseconds{hours(10)},
          milliseconds{hours(33)}, milliseconds{hours(120)}}) {
      const UnixMillis end = calendar.add_business_time(start, d);
      EXPECT_EQ(calendar.business_time_between(start, end), d) << step;
      EXPECT_LT(calendar.business_time_between(start, end - 1), d) << "earliest such time";
      const UnixMillis back = calendar.subtract_business_time(start, d);
      EXPECT_EQ(calendar.business_time_between(back, start), d) << step;
      EXPECT_LT(calendar.business_time_between(back + 1, start), d) << "latest such time";
    }
  }
}

TEST(BusinessCalendar, LongDurationsStayExactAndCheap) {
  const BusinessCalendar calendar = testing::office_calendar();
  const UnixMillis start = at("2026-11-23T08:00:00Z");
  // 365 days of business time = 876 ten-hour days = 175.2 weeks.
  const UnixMillis end = calendar.add_business_time(start, hours(24 * 365));
  EXPECT_EQ(calendar.business_time_between(start, end), hours(24 * 365));
  EXPECT_EQ(calendar.add_business_time(start, milliseconds::max()), BusinessCalendar::kMaxTime);
}

TEST(BusinessCalendar, RejectsBadConfiguration) {
  BusinessCalendar::Week closed{};
  EXPECT_EQ(BusinessCalendar::weekly(closed, 0).error().code, "bad_config");
  BusinessCalendar::Week backwards{};
  backwards[0] = DayHours{18 * 60, 8 * 60};
  auto bad_hours = BusinessCalendar::weekly(backwards, 0);
  ASSERT_FALSE(bad_hours.has_value());
  EXPECT_NE(bad_hours.error().message.find("monday"), std::string::npos);
  EXPECT_FALSE(BusinessCalendar::weekdays(DayHours{0, 1440}, 15 * 60).has_value());
  std::vector<std::chrono::year_month_day> many(BusinessCalendar::kMaxHolidays + 1,
                                                date(2026, 1, 1));
  EXPECT_FALSE(BusinessCalendar::weekdays(DayHours{0, 1440}, 0, many).has_value());
  EXPECT_FALSE(BusinessCalendar::weekdays(DayHours{0, 1440}, 0, {date(2026, 2, 30)}).has_value());
}

TEST(BusinessCalendar, ParsesHoursAndDates) {
  EXPECT_EQ(parse_day_hours("08:00-18:00").value(), (DayHours{480, 1080}));
  EXPECT_EQ(parse_day_hours("00:00-24:00").value(), (DayHours{0, 1440}));
  EXPECT_EQ(to_string(DayHours{480, 1080}), "08:00-18:00");
  for (const char* bad :
       {"18:00-08:00", "8:00-18:00", "08:00-24:01", "08:60-18:00", "", "24:00-24:00"}) {
    auto parsed = parse_day_hours(bad);
    ASSERT_FALSE(parsed.has_value()) << bad;
    EXPECT_TRUE(parsed.error().message.starts_with("hours:"));
  }
  EXPECT_EQ(parse_local_date("2026-12-25").value(), date(2026, 12, 25));
  EXPECT_EQ(to_string(date(2026, 12, 25)), "2026-12-25");
  EXPECT_FALSE(parse_local_date("2026-13-01").has_value());
  EXPECT_FALSE(parse_local_date("25/12/2026").has_value());
}

TEST(BusinessCalendar, KeepsHolidaysSortedAndUnique) {
  auto calendar = BusinessCalendar::weekdays(
      DayHours{480, 1080}, 0, {date(2026, 12, 25), date(2026, 1, 1), date(2026, 12, 25)});
  ASSERT_TRUE(calendar.has_value());
  EXPECT_EQ(calendar->holidays(),
            (std::vector<std::chrono::year_month_day>{date(2026, 1, 1), date(2026, 12, 25)}));
}

}  // namespace
}  // namespace helpline::relay::tickets
