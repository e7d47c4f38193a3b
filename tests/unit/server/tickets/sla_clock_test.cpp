#include "server/tickets/sla_clock.h"

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
using testing::ok;

// A policy whose priority-3 targets are 2h / 8h in the given calendar.
SlaPolicy policy_with(BusinessCalendar calendar, SlaTargets medium = {hours(2), hours(8)}) {
  SlaPolicy::Table table = SlaPolicy::default_targets();
  table[2] = medium;
  auto policy = SlaPolicy::create("office", table, std::move(calendar));
  EXPECT_TRUE(policy.has_value());
  return policy.value_or(SlaPolicy{});
}

TEST(SlaClock, DeadlinesIn24x7) {
  const UnixMillis start = at("2026-11-20T17:30:00Z");
  const SlaClock clock = start_sla_clock(start, {hours(2), hours(8)}, BusinessCalendar{});
  EXPECT_EQ(clock.first_response_due, at("2026-11-20T19:30:00Z"));
  EXPECT_EQ(clock.resolve_due, at("2026-11-21T01:30:00Z"));
}

TEST(SlaClock, DeadlinesInBusinessHours) {
  const UnixMillis start = at("2026-11-20T17:30:00Z");  // a Friday
  const SlaClock clock = start_sla_clock(start, {hours(2), hours(8)}, testing::office_calendar());
  EXPECT_EQ(clock.first_response_due, at("2026-11-23T09:30:00Z"));
  EXPECT_EQ(clock.resolve_due, at("2026-11-23T15:30:00Z"));
}

TEST(SlaClock, ZeroTargetMeansNoDeadlineAndNoBreach) {
  const SlaClock clock = start_sla_clock(1000, {milliseconds{0}, hours(1)}, BusinessCalendar{});
  EXPECT_EQ(clock.first_response_due, 0);
  EXPECT_FALSE(sla_state(clock, 0, 1000 + 100 * kDay).first_response_breached);
  EXPECT_TRUE(sla_state(clock, 0, 1000 + 100 * kDay).resolve_breached);
}

TEST(SlaClock, PauseMovesTheResolveDeadlineByBusinessTimeOnly) {
  const BusinessCalendar calendar = testing::office_calendar();
  SlaClock clock = start_sla_clock(at("2026-11-20T09:00:00Z"), {hours(2), hours(10)}, calendar);
  const SlaClock before = clock;
  EXPECT_EQ(before.resolve_due, at("2026-11-23T09:00:00Z"));
  // Pending from Friday 17:00 to Monday 10:00: 1h + 2h of business time.
  pause_sla(clock, at("2026-11-20T17:00:00Z"));
  EXPECT_TRUE(clock.paused());
  EXPECT_EQ(clock.resolve_due, before.resolve_due) << "unchanged while the pause runs";
  resume_sla(clock, calendar, at("2026-11-23T10:00:00Z"));
  EXPECT_FALSE(clock.paused());
  EXPECT_EQ(clock.paused_total, hours(3));
  EXPECT_EQ(clock.resolve_due, at("2026-11-23T12:00:00Z"));
  EXPECT_EQ(clock.first_response_due, before.first_response_due) << "never paused";
}

TEST(SlaClock, PauseAndResumeAreIdempotent) {
  const BusinessCalendar calendar;
  SlaClock clock = start_sla_clock(1000, {hours(1), hours(4)}, calendar);
  resume_sla(clock, calendar, 5000);
  EXPECT_EQ(clock.paused_total, milliseconds{0});
  pause_sla(clock, 2000);
  pause_sla(clock, 3000);
  EXPECT_EQ(clock.paused_since, 2000);
  resume_sla(clock, calendar, 2000 + kHour);
  EXPECT_EQ(clock.paused_total, hours(1));
  EXPECT_EQ(clock.resolve_due, 1000 + 5 * kHour);
}

TEST(SlaClock, PolicyChangeKeepsTheAccumulatedPause) {
  const BusinessCalendar calendar;
  const UnixMillis start = at("2026-11-16T09:00:00Z");
  SlaClock clock = start_sla_clock(start, {hours(1), hours(8)}, calendar);
  pause_sla(clock, start + kHour);
  resume_sla(clock, calendar, start + 4 * kHour);
  ASSERT_EQ(clock.paused_total, hours(3));
  retarget_sla(clock, {hours(2), hours(24)}, calendar);
  EXPECT_EQ(clock.first_response_due, start + 2 * kHour);
  EXPECT_EQ(clock.resolve_due, start + 27 * kHour);
  // And a new calendar counts the same accumulated pause in its own hours.
  retarget_sla(clock, {hours(2), hours(7)}, testing::office_calendar());
  EXPECT_EQ(clock.resolve_due, at("2026-11-17T09:00:00Z"));
}

TEST(SlaClock, PolicyChangeDuringAPauseKeepsThePauseRunning) {
  const BusinessCalendar calendar;
  SlaClock clock = start_sla_clock(0 + kDay, {hours(1), hours(8)}, calendar);
  pause_sla(clock, 2 * kDay);
  retarget_sla(clock, {hours(1), hours(10)}, calendar);
  EXPECT_TRUE(clock.paused());
  resume_sla(clock, calendar, 2 * kDay + 5 * kHour);
  EXPECT_EQ(clock.resolve_due, kDay + 15 * kHour);
}

TEST(SlaClock, BreachFlipsExactlyAfterTheDeadline) {
  const SlaClock clock =
      start_sla_clock(at("2026-11-20T17:30:00Z"), {hours(2), hours(8)}, testing::office_calendar());
  const UnixMillis fr = clock.first_response_due;
  EXPECT_FALSE(sla_state(clock, 0, fr - 1).first_response_breached);
  EXPECT_FALSE(sla_state(clock, 0, fr).first_response_breached) << "due at, not before";
  EXPECT_TRUE(sla_state(clock, 0, fr + 1).first_response_breached);
  const UnixMillis rd = clock.resolve_due;
  EXPECT_FALSE(sla_state(clock, 0, rd).resolve_breached);
  EXPECT_TRUE(sla_state(clock, 0, rd + 1).resolve_breached);
}

TEST(SlaClock, AResponseFreezesTheFirstResponseOutcome) {
  const SlaClock clock = start_sla_clock(1000, {hours(1), hours(8)}, BusinessCalendar{});
  const UnixMillis due = clock.first_response_due;
  EXPECT_FALSE(sla_state(clock, due, due + 100 * kDay).first_response_breached);
  EXPECT_TRUE(sla_state(clock, due + 1, due + 2).first_response_breached);
}

TEST(SlaClock, PausedInTimeNeverBreachesWhileWaiting) {
  SlaClock clock = start_sla_clock(1000, {hours(1), hours(8)}, BusinessCalendar{});
  pause_sla(clock, clock.resolve_due);
  const SlaState state = sla_state(clock, 0, clock.resolve_due + 365 * kDay);
  EXPECT_TRUE(state.paused);
  EXPECT_FALSE(state.resolve_breached);
  SlaClock late = start_sla_clock(1000, {hours(1), hours(8)}, BusinessCalendar{});
  pause_sla(late, late.resolve_due + 1);
  EXPECT_TRUE(sla_state(late, 0, late.resolve_due + 2).resolve_breached);
}

TEST(SlaClock, PendingTicketKeepsFirstResponseDeadlineAndMovesResolveDeadline) {
  HelpdeskRules rules;
  rules.sla = policy_with(testing::office_calendar());
  const UnixMillis opened = at("2026-11-23T09:00:00Z");  // Monday
  Ticket t = testing::new_ticket(rules, opened);
  ASSERT_EQ(t.sla.first_response_due, at("2026-11-23T11:00:00Z"));
  ASSERT_EQ(t.sla.resolve_due, at("2026-11-23T17:00:00Z"));
  t = ok(change_status(t, StatusChange{Status::kPending, PendingReason::kWaitingForVendor},
                       testing::tech(), rules, at("2026-11-23T10:00:00Z")));
  EXPECT_TRUE(t.sla.paused());
  auto resumed = change_status(t, StatusChange{Status::kInProgress}, testing::tech(), rules,
                               at("2026-11-24T10:00:00Z"));
  ASSERT_TRUE(resumed.has_value()) << resumed.error().to_string();
  EXPECT_EQ(resumed->ticket.sla.first_response_due, at("2026-11-23T11:00:00Z"));
  EXPECT_EQ(resumed->ticket.sla.paused_total, hours(10));
  EXPECT_EQ(resumed->ticket.sla.resolve_due, at("2026-11-24T17:00:00Z"));
  bool recorded = false;
  for (const HistoryEntry& e : resumed->history) {
    if (e.field == "resolve_due") {
      recorded = true;
      EXPECT_EQ(e.old_value, "2026-11-23T17:00:00Z");
      EXPECT_EQ(e.new_value, "2026-11-24T17:00:00Z");
    }
  }
  EXPECT_TRUE(recorded);
}

TEST(SlaPolicy, DefaultsAndValidation) {
  const SlaPolicy policy;
  EXPECT_EQ(policy.targets(Priority::kMajor), (SlaTargets{minutes(15), hours(4)}));
  EXPECT_EQ(policy.targets(Priority::kVeryLow), (SlaTargets{hours(16), hours(160)}));
  EXPECT_TRUE(policy.calendar().is_always_open());

  SlaPolicy::Table table = SlaPolicy::default_targets();
  table[4] = SlaTargets{hours(9), hours(8)};
  auto inverted = SlaPolicy::create("x", table, BusinessCalendar{});
  ASSERT_FALSE(inverted.has_value());
  EXPECT_EQ(inverted.error().code, "bad_config");
  EXPECT_NE(inverted.error().message.find("priority 5"), std::string::npos);
  table[4] = SlaTargets{std::chrono::seconds(30), hours(8)};
  EXPECT_FALSE(SlaPolicy::create("x", table, BusinessCalendar{}).has_value());
  table[4] = SlaTargets{milliseconds{0}, milliseconds{0}};
  EXPECT_TRUE(SlaPolicy::create("x", table, BusinessCalendar{}).has_value());
}

}  // namespace
}  // namespace helpline::relay::tickets
