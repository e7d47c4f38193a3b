#include "server/tickets/escalation.h"

#include <gtest/gtest.h>

#include "tests/unit/server/tickets/ticket_builders.h"

namespace helpline::relay::tickets {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using testing::at;
using testing::kHour;
using testing::kMinute;
using testing::ok;

EscalationRule rule(std::string id, SlaDeadline deadline, milliseconds offset,
                    EscalationAction action) {
  return EscalationRule{std::move(id), deadline, offset, std::move(action), {}};
}

class Escalation : public ::testing::Test {
 protected:
  HelpdeskRules rules_ = testing::default_rules();
  BusinessCalendar calendar_;
  UnixMillis opened_ = at("2026-11-16T09:00:00Z");
  // Priority 3 in 24x7: first response due 13:00, resolve due 40h later.
  Ticket ticket_ = testing::new_ticket(rules_, opened_);
};

TEST_F(Escalation, FiresOnceAtItsOffset) {
  const std::vector<EscalationRule> rules{
      rule("warn", SlaDeadline::kFirstResponse, -minutes(30), NotifyAction{"duty"})};
  const UnixMillis due = ticket_.sla.first_response_due - 30 * kMinute;
  FiredSet fired;
  EXPECT_TRUE(evaluate_escalations(ticket_, rules, fired, calendar_, due - 1).empty());
  EXPECT_TRUE(fired.empty());
  const auto at_due = evaluate_escalations(ticket_, rules, fired, calendar_, due);
  ASSERT_EQ(at_due.size(), 1u);
  EXPECT_EQ(at_due[0],
            (DueEscalation{"warn", SlaDeadline::kFirstResponse, NotifyAction{"duty"}, due}));
  EXPECT_EQ(fired, FiredSet{"warn"});
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(evaluate_escalations(ticket_, rules, fired, calendar_, due + i * kHour).empty());
  }
}

TEST_F(Escalation, LateEvaluationStillFiresOnceInDueOrder) {
  const std::vector<EscalationRule> rules{
      rule("after", SlaDeadline::kFirstResponse, hours(1), NotifyAction{"manager"}),
      rule("at", SlaDeadline::kFirstResponse, milliseconds{0}, NotifyAction{"duty"}),
      rule("later", SlaDeadline::kResolve, milliseconds{0}, NotifyAction{"duty"})};
  FiredSet fired;
  const auto due = evaluate_escalations(ticket_, rules, fired, calendar_,
                                        ticket_.sla.first_response_due + 2 * kHour);
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].rule_id, "at");
  EXPECT_EQ(due[1].rule_id, "after");
  EXPECT_EQ(due[1].due_at, ticket_.sla.first_response_due + kHour);
  EXPECT_EQ(next_escalation_at(ticket_, rules, fired, calendar_), ticket_.sla.resolve_due);
}

TEST_F(Escalation, NegativeOffsetCountsBusinessTimeBeforeTheDeadline) {
  rules_.sla = SlaPolicy::create(
                   "office",
                   [] {
                     auto t = SlaPolicy::default_targets();
                     t[2] = SlaTargets{hours(2), hours(8)};
                     return t;
                   }(),
                   testing::office_calendar())
                   .value();
  const Ticket t = testing::new_ticket(rules_, at("2026-11-20T17:30:00Z"));
  ASSERT_EQ(t.sla.first_response_due, at("2026-11-23T09:30:00Z"));
  const EscalationRule warn =
      rule("warn", SlaDeadline::kFirstResponse, -minutes(60), NotifyAction{"duty"});
  EXPECT_EQ(escalation_time(t, warn, rules_.sla.calendar()), at("2026-11-23T08:30:00Z"));
  const EscalationRule early =
      rule("early", SlaDeadline::kFirstResponse, -minutes(105), NotifyAction{"duty"});
  EXPECT_EQ(escalation_time(t, early, rules_.sla.calendar()), at("2026-11-20T17:45:00Z"));
}

TEST_F(Escalation, RaiseLevelStopsAtL4AndNeverLowers) {
  Ticket t = ticket_;
  const DueEscalation up{"up", SlaDeadline::kResolve, RaiseLevelAction{}, 1};
  t.level = SupportLevel::kL3;
  Changes changes = apply_escalation(t, up, testing::robot(), opened_);
  EXPECT_EQ(changes.ticket.level, SupportLevel::kL4);
  changes = apply_escalation(changes.ticket, up, testing::robot(), opened_);
  EXPECT_EQ(changes.ticket.level, SupportLevel::kL4);
  ASSERT_EQ(changes.history.size(), 1u) << "only the escalation note";
  EXPECT_EQ(changes.history[0].field, "escalation");
  EXPECT_EQ(changes.history[0].new_value, "up: raise_level +1");
  const DueEscalation to_l2{"l2", SlaDeadline::kResolve, RaiseLevelAction{SupportLevel::kL2}, 1};
  EXPECT_EQ(apply_escalation(changes.ticket, to_l2, testing::robot(), opened_).ticket.level,
            SupportLevel::kL4);
  const Changes raised = apply_escalation(ticket_, to_l2, testing::robot(), opened_);
  EXPECT_EQ(raised.ticket.level, SupportLevel::kL2);
  ASSERT_EQ(raised.history.size(), 2u);
  EXPECT_EQ(raised.history[1].field, "level");
  EXPECT_EQ(raised.history[1].old_value, "L1");
  EXPECT_EQ(raised.history[1].new_value, "L2");
}

TEST_F(Escalation, ReassignsGroup) {
  const DueEscalation move{"move", SlaDeadline::kResolve, ReassignGroupAction{"network-l2"}, 1};
  const Changes changes = apply_escalation(ticket_, move, testing::robot(), opened_);
  EXPECT_EQ(changes.ticket.group, "network-l2");
  EXPECT_EQ(changes.history.back().field, "group");
}

TEST_F(Escalation, NothingFiresAfterResolution) {
  const Ticket resolved = testing::ticket_in(Status::kResolved, rules_, opened_);
  const std::vector<EscalationRule> rules{
      rule("a", SlaDeadline::kResolve, hours(1), NotifyAction{"x"}),
      rule("b", SlaDeadline::kFirstResponse, hours(1), NotifyAction{"x"})};
  FiredSet fired;
  EXPECT_TRUE(
      evaluate_escalations(resolved, rules, fired, calendar_, opened_ + 1000 * kHour).empty());
  EXPECT_EQ(next_escalation_at(resolved, rules, fired, calendar_), 0);
  const DueEscalation up{"up", SlaDeadline::kResolve, RaiseLevelAction{}, 1};
  EXPECT_FALSE(apply_escalation(resolved, up, testing::robot(), opened_).changed());
}

TEST_F(Escalation, ResolveRulesWaitWhilePendingButFirstResponseRulesDoNot) {
  const Ticket t =
      ok(change_status(ticket_, StatusChange{Status::kPending, PendingReason::kWaitingForVendor},
                       testing::tech(), rules_, opened_ + kHour));
  ASSERT_EQ(t.first_response_at, 0) << "pending is not a response";
  const std::vector<EscalationRule> rules{
      rule("resolve", SlaDeadline::kResolve, milliseconds{0}, NotifyAction{"x"}),
      rule("respond", SlaDeadline::kFirstResponse, milliseconds{0}, NotifyAction{"x"})};
  FiredSet fired;
  const UnixMillis late = t.sla.resolve_due + kHour;
  const auto due = evaluate_escalations(t, rules, fired, calendar_, late);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].rule_id, "respond");
  // Resumed after 10h pending: the resolve deadline moved, the rule follows it.
  const Ticket resumed = ok(change_status(t, StatusChange{Status::kInProgress}, testing::tech(),
                                          rules_, opened_ + 11 * kHour));
  EXPECT_EQ(resumed.sla.resolve_due, ticket_.sla.resolve_due + 10 * kHour);
  EXPECT_TRUE(
      evaluate_escalations(resumed, rules, fired, calendar_, resumed.sla.resolve_due - 1).empty());
  EXPECT_EQ(evaluate_escalations(resumed, rules, fired, calendar_, resumed.sla.resolve_due).size(),
            1u);
}

TEST_F(Escalation, FirstResponseRulesStopOnceAnswered) {
  const Ticket answered = ok(
      record_reply(ticket_, testing::tech(), ReplyVisibility::kPublic, rules_, opened_ + kMinute));
  const EscalationRule r =
      rule("r", SlaDeadline::kFirstResponse, milliseconds{0}, NotifyAction{"x"});
  EXPECT_EQ(escalation_time(answered, r, calendar_), 0);
}

TEST_F(Escalation, RulesCanBeLimitedToPriorities) {
  EscalationRule r = rule("r", SlaDeadline::kResolve, milliseconds{0}, NotifyAction{"x"});
  r.priorities = {Priority::kVeryHigh, Priority::kMajor};
  EXPECT_EQ(escalation_time(ticket_, r, calendar_), 0);
  r.priorities.push_back(Priority::kMedium);
  EXPECT_EQ(escalation_time(ticket_, r, calendar_), ticket_.sla.resolve_due);
}

TEST_F(Escalation, ManualEscalationRaisesTheLevelWithHistory) {
  auto result = escalate(ticket_, EscalateRequest{SupportLevel::kL2, "needs AD rights", "identity"},
                         testing::tech(), opened_ + kHour);
  ASSERT_TRUE(result.has_value()) << result.error().to_string();
  EXPECT_EQ(result->ticket.level, SupportLevel::kL2);
  EXPECT_EQ(result->ticket.group, "identity");
  ASSERT_EQ(result->history.size(), 2u);
  EXPECT_EQ(result->history[0].field, "level");
  EXPECT_EQ(result->history[0].reason, "needs AD rights");
  EXPECT_EQ(result->history[0].actor, testing::tech());
}

TEST_F(Escalation, ManualEscalationRules) {
  EXPECT_EQ(escalate(ticket_, {SupportLevel::kL1, "x", {}}, testing::tech(), opened_).error().code,
            "no_change");
  EXPECT_EQ(escalate(ticket_, {SupportLevel::kL2, " ", {}}, testing::tech(), opened_).error().code,
            "reason_required");
  EXPECT_EQ(escalate(ticket_, {SupportLevel::kL2, "x", {}}, testing::user(), opened_).error().code,
            "not_allowed");
  const Ticket closed = testing::ticket_in(Status::kClosed, rules_, opened_);
  EXPECT_EQ(escalate(closed, {SupportLevel::kL2, "x", {}}, testing::tech(), opened_).error().code,
            "ticket_finished");
  Ticket top = ticket_;
  top.level = SupportLevel::kL4;
  EXPECT_EQ(escalate(top, {SupportLevel::kL4, "x", {}}, testing::tech(), opened_).error().code,
            "no_change");
}

TEST(EscalationRules, Validation) {
  std::vector<EscalationRule> rules{
      rule("a", SlaDeadline::kResolve, hours(1), NotifyAction{"x"}),
      rule("b", SlaDeadline::kResolve, -hours(1), RaiseLevelAction{SupportLevel::kL2}),
      rule("c", SlaDeadline::kFirstResponse, milliseconds{0}, ReassignGroupAction{"l2"})};
  EXPECT_TRUE(validate_escalation_rules(rules).has_value());
  rules.push_back(rule("a", SlaDeadline::kResolve, hours(1), NotifyAction{"x"}));
  EXPECT_NE(validate_escalation_rules(rules).error().message.find("used twice"), std::string::npos);
  rules.back().id = "bad id";
  EXPECT_EQ(validate_escalation_rules(rules).error().code, "bad_config");
  rules.back() = rule("d", SlaDeadline::kResolve, hours(24 * 31), NotifyAction{"x"});
  EXPECT_NE(validate_escalation_rules(rules).error().message.find("30 days"), std::string::npos);
  rules.back() = rule("d", SlaDeadline::kResolve, hours(1), ReassignGroupAction{""});
  EXPECT_EQ(validate_escalation_rules(rules).error().message,
            "escalation rule 'd': group: must not be empty");
  EXPECT_EQ(parse_sla_deadline("resolve").value(), SlaDeadline::kResolve);
  EXPECT_FALSE(parse_sla_deadline("close").has_value());
}

}  // namespace
}  // namespace helpline::relay::tickets
