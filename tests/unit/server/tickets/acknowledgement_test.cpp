#include "server/tickets/acknowledgement.h"

#include <gtest/gtest.h>

#include "tests/unit/server/tickets/ticket_builders.h"

namespace helpline::relay::tickets {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using testing::at;

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

TEST(Acknowledgement, NamesIdPriorityAndDeadline) {
  const HelpdeskRules rules;
  Ticket t = testing::new_ticket(rules, at("2026-11-16T09:00:00Z"), Impact::kHigh, Urgency::kHigh);
  t.id = 1042;
  const Acknowledgement ack = make_acknowledgement(t);
  EXPECT_EQ(ack.display_id, "HL-1042");
  EXPECT_EQ(ack.priority, Priority::kHigh);
  EXPECT_EQ(ack.first_response_due, at("2026-11-16T10:00:00Z"));
  EXPECT_EQ(ack.first_response_target, hours(1));
  EXPECT_TRUE(contains(ack.text, "HL-1042")) << ack.text;
  EXPECT_TRUE(contains(ack.text, "\"Printer offline\"")) << ack.text;
  EXPECT_TRUE(contains(ack.text, "Priority: 4 (high).")) << ack.text;
  EXPECT_TRUE(contains(ack.text, "by 2026-11-16T10:00:00Z (within 1h).")) << ack.text;
}

TEST(Acknowledgement, SaysBusinessHoursWhenTheCalendarStretchesTheDeadline) {
  HelpdeskRules rules;
  auto table = SlaPolicy::default_targets();
  table[2] = SlaTargets{hours(2), hours(8)};
  rules.sla = SlaPolicy::create("office", table, testing::office_calendar()).value();
  const Ticket t = testing::new_ticket(rules, at("2026-11-20T17:30:00Z"));
  const Acknowledgement ack = make_acknowledgement(t);
  EXPECT_TRUE(contains(ack.text, "Priority: 3 (medium).")) << ack.text;
  EXPECT_TRUE(contains(ack.text, "by 2026-11-23T09:30:00Z (within 2h of business hours)."))
      << ack.text;
}

TEST(Acknowledgement, MajorAndNoTarget) {
  HelpdeskRules rules;
  auto table = SlaPolicy::default_targets();
  table[2] = SlaTargets{milliseconds{0}, milliseconds{0}};
  rules.sla = SlaPolicy::create("none", table, BusinessCalendar{}).value();
  Ticket t = testing::new_ticket(rules, at("2026-11-16T09:00:00Z"));
  const Acknowledgement none = make_acknowledgement(t);
  EXPECT_EQ(none.first_response_due, 0);
  EXPECT_TRUE(contains(none.text, "as soon as possible")) << none.text;
  t.priority = Priority::kMajor;
  EXPECT_TRUE(contains(make_acknowledgement(t).text, "Priority: 6 (major).")) << none.text;
}

TEST(Acknowledgement, FormatsTargetsInHoursAndMinutes) {
  EXPECT_EQ(format_hours_minutes(hours(2)), "2h");
  EXPECT_EQ(format_hours_minutes(minutes(30)), "30m");
  EXPECT_EQ(format_hours_minutes(minutes(90)), "1h30m");
  EXPECT_EQ(format_hours_minutes(hours(40)), "40h");
  EXPECT_EQ(format_hours_minutes(milliseconds{1}), "1m");
  EXPECT_EQ(format_hours_minutes(milliseconds{0}), "0m");
}

}  // namespace
}  // namespace helpline::relay::tickets
