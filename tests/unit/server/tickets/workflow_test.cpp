#include "server/tickets/workflow.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/unit/server/tickets/ticket_builders.h"

namespace helpline::relay::tickets {
namespace {

using testing::at;
using testing::kDay;
using testing::kHour;
using testing::kMinute;
using testing::ok;

const HistoryEntry* find_entry(const Changes& changes, std::string_view field) {
  auto it = std::find_if(changes.history.begin(), changes.history.end(),
                         [&](const HistoryEntry& e) { return e.field == field; });
  return it == changes.history.end() ? nullptr : &*it;
}

class Workflow : public ::testing::Test {
 protected:
  HelpdeskRules rules_ = testing::default_rules();
  UnixMillis opened_ = at("2026-11-16T09:00:00Z");
  UnixMillis later_ = opened_ + 10 * kMinute;
};

TEST_F(Workflow, StatusChangeWritesHistoryWithActorTimeAndReason) {
  const Ticket t = testing::ticket_in(Status::kInProgress, rules_, opened_);
  auto result = change_status(
      t, StatusChange{Status::kPending, PendingReason::kWaitingForVendor, "RMA opened"},
      testing::tech(), rules_, later_);
  ASSERT_TRUE(result.has_value()) << result.error().to_string();
  const HistoryEntry* status = find_entry(*result, "status");
  ASSERT_NE(status, nullptr);
  EXPECT_EQ(status->old_value, "in_progress");
  EXPECT_EQ(status->new_value, "pending");
  EXPECT_EQ(status->actor, testing::tech());
  EXPECT_EQ(status->at, later_);
  EXPECT_EQ(status->reason, "RMA opened");
  const HistoryEntry* reason = find_entry(*result, "pending_reason");
  ASSERT_NE(reason, nullptr);
  EXPECT_EQ(reason->new_value, "waiting_for_vendor");
}

TEST_F(Workflow, AssignMovesNewToAssigned) {
  const Ticket t = testing::new_ticket(rules_, opened_);
  auto result = assign(t, "carol", testing::tech(), later_);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->ticket.status, Status::kAssigned);
  EXPECT_EQ(result->ticket.assignee, "carol");
  EXPECT_EQ(result->ticket.first_response_at, 0) << "assigning is not a response";
}

TEST_F(Workflow, AssignedNeedsAnAssignee) {
  Ticket t = testing::ticket_in(Status::kInProgress, rules_, opened_);
  t.assignee.clear();
  auto result = change_status(t, StatusChange{Status::kAssigned}, testing::tech(), rules_, later_);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, "assignee_required");
}

TEST_F(Workflow, UnassignReturnsToNewAndClearsAssignee) {
  const Ticket t = testing::ticket_in(Status::kAssigned, rules_, opened_);
  const Ticket after =
      ok(change_status(t, StatusChange{Status::kNew}, testing::tech(), rules_, later_));
  EXPECT_EQ(after.status, Status::kNew);
  EXPECT_TRUE(after.assignee.empty());
}

TEST_F(Workflow, TakingANewTicketAssignsTheTechnicianAndCountsAsFirstResponse) {
  const Ticket t = testing::new_ticket(rules_, opened_);
  const Ticket after = ok(change_status(t, StatusChange{Status::kInProgress},
                                        testing::tech(SupportLevel::kL1, "dave"), rules_, later_));
  EXPECT_EQ(after.assignee, "dave");
  EXPECT_EQ(after.first_response_at, later_);
  const Ticket again = ok(change_status(
      ok(change_status(after, StatusChange{Status::kAssigned}, testing::tech(), rules_, later_)),
      StatusChange{Status::kInProgress}, testing::tech(), rules_, later_ + kHour));
  EXPECT_EQ(again.first_response_at, later_) << "the first response is kept";
}

TEST_F(Workflow, PendingNeedsAReason) {
  const Ticket t = testing::ticket_in(Status::kInProgress, rules_, opened_);
  auto missing = change_status(t, StatusChange{Status::kPending}, testing::tech(), rules_, later_);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, "reason_required");
  auto other = change_status(t, StatusChange{Status::kPending, PendingReason::kOther, " "},
                             testing::tech(), rules_, later_);
  ASSERT_FALSE(other.has_value());
  EXPECT_EQ(other.error().code, "reason_required");
  auto stray = change_status(t, StatusChange{Status::kResolved, PendingReason::kOther, "fixed"},
                             testing::tech(), rules_, later_);
  ASSERT_FALSE(stray.has_value());
  EXPECT_EQ(stray.error().code, "bad_value");
}

TEST_F(Workflow, ResolvingNeedsTheSolutionAndStopsTheClock) {
  const Ticket t = testing::ticket_in(Status::kInProgress, rules_, opened_);
  auto missing = change_status(t, StatusChange{Status::kResolved}, testing::tech(), rules_, later_);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, "reason_required");
  const Ticket after = ok(change_status(t, StatusChange{Status::kResolved, {}, "cleared the queue"},
                                        testing::tech(), rules_, later_));
  EXPECT_EQ(after.resolved_at, later_);
  EXPECT_EQ(after.solution, "cleared the queue");
  EXPECT_EQ(after.sla.paused_since, later_);
}

TEST_F(Workflow, ClosingUnresolvedNeedsAReason) {
  const Ticket t = testing::new_ticket(rules_, opened_);
  auto missing = change_status(t, StatusChange{Status::kClosed}, testing::tech(), rules_, later_);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, "reason_required");
  const Ticket after = ok(change_status(t, StatusChange{Status::kClosed, {}, "duplicate of HL-6"},
                                        testing::tech(), rules_, later_));
  EXPECT_EQ(after.closed_at, later_);
  EXPECT_EQ(after.solution, "duplicate of HL-6");
  EXPECT_EQ(after.resolved_at, 0);
}

TEST_F(Workflow, ClosedIsFinal) {
  const Ticket t = testing::ticket_in(Status::kClosed, rules_, opened_);
  auto result = change_status(t, StatusChange{Status::kInProgress},
                              testing::tech(SupportLevel::kL3), rules_, later_);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().to_string(),
            "illegal_transition: a closed ticket cannot change; open a new ticket");
  auto reply = record_reply(t, testing::user(), ReplyVisibility::kPublic, rules_, later_);
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().code, "ticket_finished");
}

TEST_F(Workflow, IllegalTransitionListsTheWaysOut) {
  const Ticket t = testing::ticket_in(Status::kInProgress, rules_, opened_);
  auto result = change_status(t, StatusChange{Status::kNew}, testing::tech(), rules_, later_);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, "illegal_transition");
  EXPECT_NE(result.error().message.find("it can go to assigned, pending or resolved"),
            std::string::npos)
      << result.error().message;
}

TEST_F(Workflow, RequesterReopensWithinTheWindow) {
  const Ticket t = testing::ticket_in(Status::kResolved, rules_, opened_);
  const UnixMillis resolved = t.resolved_at;
  auto result = change_status(t, StatusChange{Status::kInProgress, {}, "still jams"},
                              testing::user(), rules_, resolved + 7 * kDay);
  ASSERT_TRUE(result.has_value()) << result.error().to_string();
  EXPECT_EQ(result->ticket.status, Status::kInProgress);
  EXPECT_EQ(result->ticket.reopen_count, 1);
  EXPECT_EQ(result->ticket.resolved_at, 0);
  EXPECT_TRUE(result->ticket.solution.empty());
  EXPECT_FALSE(result->ticket.sla.paused());
  ASSERT_NE(find_entry(*result, "reopen_count"), nullptr);
  EXPECT_EQ(find_entry(*result, "reopen_count")->new_value, "1");
}

TEST_F(Workflow, RequesterCannotReopenAfterTheWindow) {
  const Ticket t = testing::ticket_in(Status::kResolved, rules_, opened_);
  auto result = change_status(t, StatusChange{Status::kInProgress}, testing::user(), rules_,
                              t.resolved_at + 7 * kDay + 1);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, "reopen_window_passed");
  EXPECT_NE(result.error().message.find("reopen window of 7d has passed"), std::string::npos)
      << result.error().message;
}

TEST_F(Workflow, TechnicianReopensAfterTheWindowAndCountIncreases) {
  Ticket t = testing::ticket_in(Status::kResolved, rules_, opened_);
  t.reopen_count = 2;
  const Ticket after = ok(change_status(t, StatusChange{Status::kInProgress}, testing::tech(),
                                        rules_, t.resolved_at + 30 * kDay));
  EXPECT_EQ(after.reopen_count, 3);
}

TEST_F(Workflow, ReopenWindowIsConfigurable) {
  rules_.reopen_window = std::chrono::hours(24);
  const Ticket t = testing::ticket_in(Status::kResolved, rules_, opened_);
  auto late = change_status(t, StatusChange{Status::kInProgress}, testing::user(), rules_,
                            t.resolved_at + kDay + 1);
  ASSERT_FALSE(late.has_value());
  EXPECT_NE(late.error().message.find("window of 1d"), std::string::npos);
  rules_.reopen_window = std::chrono::milliseconds{0};
  auto never =
      change_status(t, StatusChange{Status::kInProgress}, testing::user(), rules_, t.resolved_at);
  ASSERT_FALSE(never.has_value());
  EXPECT_EQ(never.error().code, "reopen_window_passed");
}

TEST_F(Workflow, SystemClosesOnlyAfterTheWindow) {
  const Ticket t = testing::ticket_in(Status::kResolved, rules_, opened_);
  const UnixMillis when = auto_close_at(t, rules_);
  EXPECT_EQ(when, t.resolved_at + 7 * kDay + 1);
  auto early = change_status(t, StatusChange{Status::kClosed}, testing::robot(), rules_, when - 1);
  ASSERT_FALSE(early.has_value());
  EXPECT_EQ(early.error().code, "not_allowed");
  const Ticket closed =
      ok(change_status(t, StatusChange{Status::kClosed}, testing::robot(), rules_, when));
  EXPECT_EQ(closed.closed_at, when);
  EXPECT_EQ(closed.resolved_at, t.resolved_at) << "closing keeps the resolution time";
  EXPECT_EQ(auto_close_at(testing::ticket_in(Status::kInProgress, rules_, opened_), rules_), 0);
}

TEST_F(Workflow, RequesterReplyReturnsTicketPendingOnUserToInProgress) {
  const Ticket t = testing::ticket_in(Status::kPending, rules_, opened_);
  ASSERT_EQ(t.pending_reason, PendingReason::kWaitingForUser);
  const UnixMillis reply_at = t.sla.paused_since + 2 * kHour;
  auto result = record_reply(t, testing::user(), ReplyVisibility::kPublic, rules_, reply_at);
  ASSERT_TRUE(result.has_value()) << result.error().to_string();
  EXPECT_EQ(result->ticket.status, Status::kInProgress);
  EXPECT_FALSE(result->ticket.pending_reason.has_value());
  EXPECT_FALSE(result->ticket.sla.paused());
  EXPECT_EQ(result->ticket.sla.paused_total, std::chrono::hours(2));
  const HistoryEntry* status = find_entry(*result, "status");
  ASSERT_NE(status, nullptr);
  EXPECT_EQ(status->reason, "requester replied");
  EXPECT_EQ(status->actor, testing::user());
}

TEST_F(Workflow, RequesterReplyDoesNotEndAVendorWait) {
  const Ticket t =
      ok(change_status(testing::ticket_in(Status::kInProgress, rules_, opened_),
                       StatusChange{Status::kPending, PendingReason::kWaitingForVendor},
                       testing::tech(), rules_, later_));
  const Ticket after =
      ok(record_reply(t, testing::user(), ReplyVisibility::kPublic, rules_, later_ + kHour));
  EXPECT_EQ(after.status, Status::kPending);
  EXPECT_EQ(after.updated_at, later_ + kHour);
}

TEST_F(Workflow, RequesterReplyDoesNotReopenAResolvedTicket) {
  const Ticket t = testing::ticket_in(Status::kResolved, rules_, opened_);
  const Ticket after =
      ok(record_reply(t, testing::user(), ReplyVisibility::kPublic, rules_, later_));
  EXPECT_EQ(after.status, Status::kResolved);
}

TEST_F(Workflow, FirstPublicTechnicianReplyIsTheFirstResponse) {
  const Ticket t = testing::new_ticket(rules_, opened_);
  const Ticket noted =
      ok(record_reply(t, testing::tech(), ReplyVisibility::kInternal, rules_, later_));
  EXPECT_EQ(noted.first_response_at, 0);
  const Ticket system =
      ok(record_reply(t, testing::robot(), ReplyVisibility::kPublic, rules_, later_));
  EXPECT_EQ(system.first_response_at, 0) << "the automatic acknowledgement is not a response";
  const Ticket replied =
      ok(record_reply(noted, testing::tech(), ReplyVisibility::kPublic, rules_, later_ + 1));
  EXPECT_EQ(replied.first_response_at, later_ + 1);
  const Ticket again =
      ok(record_reply(replied, testing::tech(), ReplyVisibility::kPublic, rules_, later_ + 2));
  EXPECT_EQ(again.first_response_at, later_ + 1);
}

TEST_F(Workflow, RequesterCannotAddInternalNotes) {
  const Ticket t = testing::new_ticket(rules_, opened_);
  auto result = record_reply(t, testing::user(), ReplyVisibility::kInternal, rules_, later_);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, "not_allowed");
}

TEST_F(Workflow, TechnicianBelowTheTicketLevelCannotChangeStatus) {
  Ticket t = testing::ticket_in(Status::kInProgress, rules_, opened_);
  t.level = SupportLevel::kL2;
  auto result = change_status(t, StatusChange{Status::kResolved, {}, "done"},
                              testing::tech(SupportLevel::kL1), rules_, later_);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, "insufficient_level");
  EXPECT_NE(result.error().message.find("HL-7 is at L2"), std::string::npos);
  t.level = SupportLevel::kL4;
  EXPECT_TRUE(change_status(t, StatusChange{Status::kResolved, {}, "vendor patch"},
                            testing::tech(SupportLevel::kL3), rules_, later_)
                  .has_value())
      << "L3 staff handle tickets escalated to the vendor";
}

TEST_F(Workflow, ReasonTextIsValidated) {
  const Ticket t = testing::ticket_in(Status::kInProgress, rules_, opened_);
  auto result = change_status(t, StatusChange{Status::kResolved, {}, std::string("a\0b", 3)},
                              testing::tech(), rules_, later_);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, "bad_value");
  EXPECT_TRUE(result.error().message.starts_with("reason:"));
}

}  // namespace
}  // namespace helpline::relay::tickets
