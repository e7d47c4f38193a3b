// Assignment, reclassification, priority overrides, SLA policy changes and
// satisfaction ratings.
#include <gtest/gtest.h>

#include "tests/unit/server/tickets/ticket_builders.h"

namespace helpline::relay::tickets {
namespace {

using std::chrono::hours;
using testing::at;
using testing::kHour;
using testing::ok;

class TicketEdits : public ::testing::Test {
 protected:
  HelpdeskRules rules_ = testing::default_rules();
  UnixMillis opened_ = at("2026-11-16T09:00:00Z");
  UnixMillis later_ = opened_ + kHour;
};

TEST_F(TicketEdits, ReassigningKeepsStatusAndSameAssigneeIsNoChange) {
  const Ticket t = testing::ticket_in(Status::kInProgress, rules_, opened_);
  auto same = assign(t, t.assignee, testing::tech(), later_);
  ASSERT_TRUE(same.has_value());
  EXPECT_FALSE(same->changed());
  const Ticket moved = ok(assign(t, "erin", testing::tech(), later_));
  EXPECT_EQ(moved.assignee, "erin");
  EXPECT_EQ(moved.status, Status::kInProgress);
}

TEST_F(TicketEdits, AssignmentRules) {
  const Ticket t = testing::new_ticket(rules_, opened_);
  EXPECT_EQ(assign(t, "bob", testing::user(), later_).error().code, "not_allowed");
  EXPECT_EQ(assign(t, "", testing::tech(), later_).error().code, "bad_value");
  const Ticket resolved = testing::ticket_in(Status::kResolved, rules_, opened_);
  EXPECT_EQ(assign(resolved, "bob", testing::tech(), later_).error().code, "ticket_finished");
  const Ticket grouped = ok(assign_group(t, "network-l2", testing::tech(), later_));
  EXPECT_EQ(grouped.group, "network-l2");
  EXPECT_EQ(grouped.status, Status::kNew);
}

TEST_F(TicketEdits, ReclassifyRecomputesPriorityAndRetargetsTheSla) {
  const Ticket t = testing::new_ticket(rules_, opened_);  // 3 x 3 -> 3
  auto result = reclassify(
      t, Reclassification{Impact::kVeryHigh, Urgency::kVeryHigh, "software", TicketType::kProblem},
      testing::tech(), rules_, later_);
  ASSERT_TRUE(result.has_value()) << result.error().to_string();
  const Ticket& after = result->ticket;
  EXPECT_EQ(after.priority, Priority::kVeryHigh);
  EXPECT_EQ(after.category.name(), "software");
  EXPECT_EQ(after.type, TicketType::kProblem);
  EXPECT_EQ(after.sla.first_response_due, opened_ + 30 * testing::kMinute);
  EXPECT_EQ(after.sla.resolve_due, opened_ + 8 * kHour);
  std::vector<std::string> fields;
  for (const HistoryEntry& e : result->history) fields.push_back(e.field);
  EXPECT_EQ(fields, (std::vector<std::string>{"impact", "urgency", "type", "category", "priority",
                                              "first_response_due", "resolve_due"}));
  Reclassification unknown;
  unknown.category = "nope";
  EXPECT_EQ(reclassify(t, unknown, testing::tech(), rules_, later_).error().code, "bad_value");
  EXPECT_EQ(reclassify(t, {}, testing::user(), rules_, later_).error().code, "not_allowed");
}

TEST_F(TicketEdits, MajorPriorityIsOnlySetByHandAndSurvivesReclassification) {
  const Ticket t = testing::new_ticket(rules_, opened_);
  EXPECT_EQ(
      override_priority(t, Priority::kMajor, "", testing::tech(), rules_, later_).error().code,
      "reason_required");
  EXPECT_EQ(override_priority(t, Priority::kMajor, "site down", testing::robot(), rules_, later_)
                .error()
                .code,
            "not_allowed");
  const Ticket major = ok(
      override_priority(t, Priority::kMajor, "whole site down", testing::tech(), rules_, later_));
  EXPECT_EQ(major.priority, Priority::kMajor);
  EXPECT_TRUE(major.priority_overridden);
  EXPECT_EQ(major.sla.first_response_due, opened_ + 15 * testing::kMinute);
  Reclassification lower;
  lower.impact = Impact::kVeryLow;
  const Ticket still = ok(reclassify(major, lower, testing::tech(), rules_, later_));
  EXPECT_EQ(still.priority, Priority::kMajor);
  const Ticket back =
      ok(override_priority(still, std::nullopt, "contained", testing::tech(), rules_, later_));
  EXPECT_FALSE(back.priority_overridden);
  EXPECT_EQ(back.priority, Priority::kLow) << "impact 1 x urgency 3";
}

TEST_F(TicketEdits, NewSlaPolicyKeepsThePause) {
  Ticket t = testing::ticket_in(Status::kPending, rules_, opened_);
  t = ok(change_status(t, StatusChange{Status::kInProgress}, testing::tech(), rules_,
                       t.sla.paused_since + 2 * kHour));
  ASSERT_EQ(t.sla.paused_total, hours(2));
  SlaPolicy::Table table = SlaPolicy::default_targets();
  table[2] = SlaTargets{hours(1), hours(10)};
  const SlaPolicy policy = SlaPolicy::create("gold", table, BusinessCalendar{}).value();
  const Changes changes = apply_sla_policy(t, policy, testing::robot(), later_ + 5 * kHour);
  EXPECT_EQ(changes.ticket.sla.resolve_due, opened_ + 12 * kHour);
  EXPECT_EQ(changes.ticket.sla.first_response_due, opened_ + kHour);
  ASSERT_FALSE(changes.history.empty());
  EXPECT_EQ(changes.history[0].reason, "SLA policy gold");
  const Ticket closed = testing::ticket_in(Status::kClosed, rules_, opened_);
  EXPECT_EQ(apply_sla_policy(closed, policy, testing::robot(), later_).ticket, closed);
}

TEST_F(TicketEdits, RequesterRatesAResolvedTicket) {
  const Ticket open = testing::ticket_in(Status::kInProgress, rules_, opened_);
  EXPECT_EQ(rate(open, 5, "", testing::user(), later_).error().code, "illegal_transition");
  const Ticket resolved = testing::ticket_in(Status::kResolved, rules_, opened_);
  EXPECT_EQ(rate(resolved, 6, "", testing::user(), later_).error().code, "bad_value");
  EXPECT_EQ(rate(resolved, 0, "", testing::user(), later_).error().code, "bad_value");
  EXPECT_EQ(rate(resolved, 4, "", testing::tech(), later_).error().code, "not_allowed");
  auto rated = rate(resolved, 4, "quick, thanks", testing::user(), later_);
  ASSERT_TRUE(rated.has_value());
  EXPECT_EQ(rated->ticket.satisfaction, (Satisfaction{4, "quick, thanks", later_}));
  ASSERT_EQ(rated->history.size(), 2u);
  EXPECT_EQ(rated->history[0].field, "satisfaction");
  EXPECT_EQ(rated->history[0].new_value, "4");
}

}  // namespace
}  // namespace helpline::relay::tickets
