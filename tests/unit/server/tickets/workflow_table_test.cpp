// Every (actor, from, to) triple of the status table: the allowed ones
// succeed when their preconditions hold, the others fail with the code
// that names the rule.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <tuple>

#include "tests/unit/server/tickets/ticket_builders.h"

namespace helpline::relay::tickets {
namespace {

using testing::at;
using testing::kDay;
using testing::kMinute;

// The table of workflow.h, written out independently: "actor:from>to".
const std::set<std::string>& allowed_edges() {
  static const std::set<std::string> kEdges{
      "technician:new>assigned",         "technician:new>in_progress",
      "technician:new>pending",          "technician:new>resolved",
      "technician:new>closed",           "technician:assigned>new",
      "technician:assigned>in_progress", "technician:assigned>pending",
      "technician:assigned>resolved",    "technician:in_progress>assigned",
      "technician:in_progress>pending",  "technician:in_progress>resolved",
      "technician:pending>assigned",     "technician:pending>in_progress",
      "technician:pending>resolved",     "technician:resolved>in_progress",
      "technician:resolved>closed",      "requester:resolved>in_progress",
      "requester:resolved>closed",       "system:pending>in_progress",
      "system:resolved>closed",
  };
  return kEdges;
}

std::string key(ActorKind actor, Status from, Status to) {
  return std::string(to_string(actor)) + ":" + to_string(from) + ">" + to_string(to);
}

bool allowed_for_someone(Status from, Status to) {
  for (ActorKind kind : kAllActorKinds) {
    if (allowed_edges().contains(key(kind, from, to))) return true;
  }
  return false;
}

Actor actor_of(ActorKind kind) {
  switch (kind) {
    case ActorKind::kRequester:
      return testing::user();
    case ActorKind::kTechnician:
      return testing::tech(SupportLevel::kL3);
    case ActorKind::kSystem:
      break;
  }
  return testing::robot();
}

using Case = std::tuple<ActorKind, Status, Status>;

class StatusTable : public ::testing::TestWithParam<Case> {};

TEST_P(StatusTable, AllowsExactlyTheDocumentedEdges) {
  const auto [kind, from, to] = GetParam();
  const HelpdeskRules rules = testing::default_rules();
  const UnixMillis opened = at("2026-11-16T09:00:00Z");
  Ticket ticket = testing::ticket_in(from, rules, opened);
  // "assigned" needs an assignee (assign() is the usual way there); the
  // ticket_in() tickets that skipped assignment get one here.
  if (to == Status::kAssigned && ticket.assignee.empty()) ticket.assignee = "carol";
  // The system may close only after the 7-day reopen window; the others act
  // within it.
  const UnixMillis now = opened + (kind == ActorKind::kSystem ? 8 * kDay : 2 * kMinute);
  StatusChange change{to, std::nullopt, "because"};
  if (to == Status::kPending) change.pending_reason = PendingReason::kWaitingForVendor;

  const auto result = change_status(ticket, change, actor_of(kind), rules, now);

  EXPECT_EQ(transition_allowed(from, to, kind), allowed_edges().contains(key(kind, from, to)));
  if (allowed_edges().contains(key(kind, from, to))) {
    ASSERT_TRUE(result.has_value()) << result.error().to_string();
    EXPECT_EQ(result->ticket.status, to);
    ASSERT_FALSE(result->history.empty());
    EXPECT_EQ(result->ticket.updated_at, now);
  } else {
    ASSERT_FALSE(result.has_value());
    const bool edge_exists = from != Status::kClosed && from != to && allowed_for_someone(from, to);
    EXPECT_EQ(result.error().code, edge_exists ? "not_allowed" : "illegal_transition")
        << result.error().message;
  }
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  const auto [kind, from, to] = info.param;
  return std::string(to_string(kind)) + "_" + to_string(from) + "_to_" + to_string(to);
}

INSTANTIATE_TEST_SUITE_P(AllPairs, StatusTable,
                         ::testing::Combine(::testing::ValuesIn(kAllActorKinds),
                                            ::testing::ValuesIn(kAllStatuses),
                                            ::testing::ValuesIn(kAllStatuses)),
                         case_name);

TEST(StatusTable, NextStatusesFollowTheTable) {
  EXPECT_EQ(next_statuses(Status::kInProgress, ActorKind::kTechnician),
            (std::vector<Status>{Status::kAssigned, Status::kPending, Status::kResolved}));
  EXPECT_EQ(next_statuses(Status::kResolved, ActorKind::kRequester),
            (std::vector<Status>{Status::kInProgress, Status::kClosed}));
  EXPECT_TRUE(next_statuses(Status::kClosed, ActorKind::kTechnician).empty());
  EXPECT_TRUE(next_statuses(Status::kNew, ActorKind::kRequester).empty());
}

}  // namespace
}  // namespace helpline::relay::tickets
