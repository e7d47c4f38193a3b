// HelpdeskService over a real SQLite store with a fake clock: creation with
// the acknowledgement, workflow persisted with history, the escalation
// sweep firing once, breaches recorded once, the SLA pause while pending,
// and the device channel (own tickets only, exactly-once deliveries).
#include "server/helpdesk/helpdesk_service.h"

#include <gmock/gmock.h>

#include <algorithm>

#include "tests/unit/server/helpdesk/helpdesk_fixture.h"

namespace helpline::relay::helpdesk {
namespace {

namespace t = tickets;
using ::testing::HasSubstr;
using testing::HelpdeskServiceTest;
using testing::kHour;
using testing::kMinute;
using testing::kStart;

TEST_F(HelpdeskServiceTest, CreateStoresTicketWithAcknowledgementAndHistory) {
  t::Ticket ticket = create(4, 4);
  EXPECT_EQ(ticket.priority, t::Priority::kHigh);
  EXPECT_EQ(ticket.sla.first_response_due, kStart + kHour);
  auto view = service_->show(ticket.id).value();
  ASSERT_EQ(view.messages.size(), 1u);
  EXPECT_EQ(view.messages[0].author_kind, t::ActorKind::kSystem);
  EXPECT_FALSE(view.messages[0].internal);
  EXPECT_THAT(view.messages[0].body, HasSubstr(ticket.display_id()));
  EXPECT_THAT(view.messages[0].body, HasSubstr("Priority: 4 (high)"));
  ASSERT_EQ(view.history.size(), 1u);
  EXPECT_EQ(view.history[0].field, "created");
  EXPECT_EQ(events_, std::vector<std::string>{"created"});
  EXPECT_EQ(ticket.first_response_at, 0) << "the acknowledgement is not a response";
}

TEST_F(HelpdeskServiceTest, RepeatedCreateWithTheSameKeyReturnsTheFirstTicket) {
  t::NewTicket n;
  n.title = "same";
  n.requester = {"alice", ""};
  IdempotencyKey key{"api:bob", "abc"};
  auto first = service_->create(n, tech_, key).value();
  auto again = service_->create(n, tech_, key).value();
  EXPECT_EQ(first.id, again.id);
  EXPECT_EQ(raw_int("SELECT COUNT(*) FROM tickets"), 1);
}

TEST_F(HelpdeskServiceTest, WorkflowIsPersistedWithHistory) {
  t::Ticket ticket = create();
  now_ += kMinute;
  ASSERT_TRUE(service_->assign(ticket.id, "bob", tech_));
  now_ += kMinute;
  auto replied = service_->reply(ticket.id, "Looking at it", false, tech_).value();
  EXPECT_EQ(replied.first_response_at, now_);
  ASSERT_TRUE(service_->reply(ticket.id, "internal detail", true, tech_));
  now_ += kMinute;
  auto resolved =
      service_
          ->change_status(ticket.id, t::StatusChange{t::Status::kResolved, "new profile"}, tech_)
          .value();
  EXPECT_EQ(resolved.status, t::Status::kResolved);
  auto view = service_->show(ticket.id).value();
  EXPECT_EQ(view.ticket, resolved);
  EXPECT_EQ(view.messages.size(), 3u);
  std::set<std::string> fields;
  for (const auto& h : view.history) fields.insert(h.field);
  EXPECT_TRUE(fields.contains("assignee"));
  EXPECT_TRUE(fields.contains("status"));
  EXPECT_TRUE(fields.contains("first_response_at"));

  // Refusals change nothing.
  auto illegal = service_->change_status(ticket.id, t::StatusChange{t::Status::kPending}, tech_);
  ASSERT_FALSE(illegal);
  EXPECT_EQ(illegal.error().code, "illegal_transition");
  auto empty = service_->reply(ticket.id, "  \n", false, tech_);
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, "bad_value");
  EXPECT_EQ(service_->show(ticket.id).value().history.size(), view.history.size());
  EXPECT_EQ(service_->assign(9999, "bob", tech_).error().code, "not_found");
}

TEST_F(HelpdeskServiceTest, EscalationFiresOnceAtItsOffset) {
  t::EscalationRule rule;
  rule.id = "resolve-warning";
  rule.deadline = t::SlaDeadline::kResolve;
  rule.offset = -std::chrono::minutes(30);
  rule.action = t::RaiseLevelAction{t::SupportLevel::kL2};
  make_service({rule});
  t::Ticket ticket = create();  // priority 3: resolve within 40h (24x7)
  const UnixMillis fires_at = kStart + 40 * kHour - 30 * kMinute;

  EXPECT_EQ(service_->sweep(fires_at - 1).escalations, 0u);
  EXPECT_EQ(service_->show(ticket.id).value().ticket.level, t::SupportLevel::kL1);
  SweepReport report = service_->sweep(fires_at);
  EXPECT_EQ(report.escalations, 1u);
  EXPECT_EQ(report.failed, 0u);
  auto view = service_->show(ticket.id).value();
  EXPECT_EQ(view.ticket.level, t::SupportLevel::kL2);
  EXPECT_EQ(count_history(view, "escalation"), 1);
  // Later sweeps, and a service restarted on the same store, do not fire it again.
  EXPECT_EQ(service_->sweep(fires_at + kMinute).escalations, 0u);
  make_service({rule});
  EXPECT_EQ(service_->sweep(fires_at + 2 * kHour).escalations, 0u);
  EXPECT_EQ(std::count(events_.begin(), events_.end(), "escalated"), 1);
}

TEST_F(HelpdeskServiceTest, BreachIsRecordedOnce) {
  t::Ticket ticket = create(5, 5);  // first response within 30 minutes
  EXPECT_EQ(service_->sweep(kStart + 30 * kMinute).breaches, 0u) << "met at the deadline itself";
  EXPECT_EQ(service_->sweep(kStart + 30 * kMinute + 1).breaches, 1u);
  EXPECT_EQ(service_->sweep(kStart + 2 * kHour).breaches, 0u);
  EXPECT_EQ(count_history(service_->show(ticket.id).value(), "sla_breach"), 1);
  EXPECT_EQ(std::count(events_.begin(), events_.end(), "sla_breach"), 1);
  TicketQuery breaching;
  breaching.breaching = true;
  now_ = kStart + kHour;
  EXPECT_EQ(service_->list(breaching).value().tickets.size(), 1u);
}

TEST_F(HelpdeskServiceTest, PendingOnTheUserPausesTheResolveClockUntilTheyReply) {
  Device pc = device("dev_a");
  auto reported = service_->open_report(pc, report(), "", "k1").value();
  auto id = t::parse_display_id(reported.id()).value();
  const UnixMillis due = service_->show(id).value().ticket.sla.resolve_due;
  now_ = kStart + kHour;
  ASSERT_TRUE(service_->change_status(
      id, t::StatusChange{t::Status::kPending, t::PendingReason::kWaitingForUser}, tech_));
  now_ = kStart + 5 * kHour;
  v1::TicketReply reply;
  reply.set_ticket_id(reported.id());
  reply.set_body("Here is the screenshot");
  auto answered = service_->device_reply(pc, reply, "k2").value();
  EXPECT_EQ(answered.status(), "in_progress");
  EXPECT_EQ(answered.resolve_due_ms(), due + 4 * kHour) << "the 4h pending do not count";
}

TEST_F(HelpdeskServiceTest, DeviceSeesOnlyItsOwnTickets) {
  auto mine = service_->open_report(device("dev_a"), report(), "", "k1").value();
  EXPECT_EQ(mine.priority(), 4u);
  EXPECT_THAT(mine.acknowledgement(), HasSubstr(mine.id()));
  auto detail = service_->device_ticket(device("dev_a"), mine.id()).value();
  ASSERT_EQ(detail.messages_size(), 1);
  EXPECT_FALSE(detail.messages(0).from_requester());

  auto other = service_->device_ticket(device("dev_b"), mine.id());
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, "not_found");
  v1::TicketReply reply;
  reply.set_ticket_id(mine.id());
  reply.set_body("me too");
  EXPECT_EQ(service_->device_reply(device("dev_b"), reply, "x").error().code, "not_found");
  EXPECT_EQ(service_->device_tickets(device("dev_b"), {}).value().tickets_size(), 0);
  EXPECT_EQ(service_->device_tickets(device("dev_a"), {}).value().tickets_size(), 1);
  // A technician's internal note never reaches the device.
  auto id = t::parse_display_id(mine.id()).value();
  ASSERT_TRUE(service_->reply(id, "secret", true, tech_));
  EXPECT_EQ(service_->device_ticket(device("dev_a"), mine.id()).value().messages_size(), 1);
}

TEST_F(HelpdeskServiceTest, PersonOnASharedDeviceListsTheirOwnTickets) {
  Device pc = device("dev_a");
  ASSERT_TRUE(service_->open_report(pc, report(), "", "k1"));  // carol's
  v1::TicketReport dave = report();
  dave.set_requester("dave");
  dave.set_title("Scanner jams");
  ASSERT_TRUE(service_->open_report(pc, dave, "", "k2"));
  v1::DeviceTicketsRequest ask;
  ask.set_requester("dave");
  auto listed = service_->device_tickets(pc, ask).value();
  ASSERT_EQ(listed.tickets_size(), 1);
  EXPECT_EQ(listed.tickets(0).title(), "Scanner jams");
  EXPECT_EQ(service_->device_tickets(pc, {}).value().tickets_size(), 2);
}

TEST_F(HelpdeskServiceTest, RepeatedDeviceDeliveryChangesThingsOnce) {
  Device pc = device("dev_a");
  auto first = service_->open_report(pc, report(), "", "spool-1").value();
  auto again = service_->open_report(pc, report(), "", "spool-1").value();
  EXPECT_EQ(first.id(), again.id());
  EXPECT_EQ(raw_int("SELECT COUNT(*) FROM tickets"), 1);
  v1::TicketReply reply;
  reply.set_ticket_id(first.id());
  reply.set_body("more info");
  ASSERT_TRUE(service_->device_reply(pc, reply, "spool-2"));
  ASSERT_TRUE(service_->device_reply(pc, reply, "spool-2"));
  EXPECT_EQ(raw_int("SELECT COUNT(*) FROM ticket_messages WHERE author_kind = 'requester'"), 1);
}

TEST_F(HelpdeskServiceTest, DeviceErrorsUseTheDocumentedCodes) {
  Device pc = device("dev_a");
  v1::TicketReport bad = report();
  bad.set_impact(9);
  auto refused = service_->open_report(pc, bad, "", "k");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "bad_value");
  EXPECT_THAT(refused.error().message, HasSubstr("impact"));

  auto ticket = service_->open_report(pc, report(), "", "k2").value();
  v1::TicketRating rating;
  rating.set_ticket_id(ticket.id());
  rating.set_rating(5);
  auto early = service_->device_rate(pc, rating, "k3");
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().code, "bad_state");
  rating.set_rating(0);
  EXPECT_EQ(service_->device_rate(pc, rating, "k4").error().code, "bad_value");
  EXPECT_EQ(service_->device_ticket(pc, "nonsense").error().code, "bad_value");
  EXPECT_EQ(service_->open_report(pc, report(), "sha256:none", "k5").error().code, "not_found");
}

TEST_F(HelpdeskServiceTest, RequesterRatesAResolvedTicket) {
  Device pc = device("dev_a");
  auto ticket = service_->open_report(pc, report(), "", "k1").value();
  auto id = t::parse_display_id(ticket.id()).value();
  ASSERT_TRUE(
      service_->change_status(id, t::StatusChange{t::Status::kResolved, "reinstalled"}, tech_));
  EXPECT_TRUE(service_->device_tickets(pc, {}).value().tickets(0).can_rate());
  v1::TicketRating rating;
  rating.set_ticket_id(ticket.id());
  rating.set_rating(5);
  rating.set_comment("thanks");
  auto rated = service_->device_rate(pc, rating, "k2").value();
  EXPECT_EQ(rated.rating(), 5u);
  EXPECT_FALSE(rated.can_rate());
}

TEST(HelpdeskActors, RolesMapToTechnicianLevels) {
  User user;
  user.name = "x";
  user.role = Role::kTechnician2;
  EXPECT_EQ(actor_for(user).value().level, t::SupportLevel::kL2);
  user.role = Role::kAdmin;
  EXPECT_EQ(actor_for(user).value().level, t::SupportLevel::kL3);
  user.role = Role::kViewer;
  EXPECT_EQ(actor_for(user).error().code, "forbidden");
}

}  // namespace
}  // namespace helpline::relay::helpdesk
