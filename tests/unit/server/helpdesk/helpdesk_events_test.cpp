// HelpdeskService beyond the workflow: events recorded in the change's own
// transaction (the webhook outbox), attachments and knowledge-base links in
// the history, reclassification and priority by hand, and the sweep
// closing resolved tickets once their reopen window has passed.
#include <gmock/gmock.h>

#include "tests/unit/server/helpdesk/helpdesk_fixture.h"

namespace helpline::relay::helpdesk {
namespace {

namespace t = tickets;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::HelpdeskServiceTest;
using testing::kHour;
using testing::kMinute;
using testing::kStart;

// Records what it is given; fails on demand (to check the rollback).
class RecordingOutbox final : public EventOutbox {
 public:
  Result<void> record(const TicketEvent& event) override {
    if (fail_next) {
      fail_next = false;
      return fail("store_error", "outbox is full");
    }
    seen.push_back(event);
    return {};
  }

  std::vector<TicketEvent> seen;
  bool fail_next = false;
};

class HelpdeskEventsTest : public HelpdeskServiceTest {
 protected:
  void SetUp() override {
    HelpdeskServiceTest::SetUp();
    service_->set_outbox(&outbox_);
  }

  [[nodiscard]] std::vector<std::string> kinds() const {
    std::vector<std::string> out;
    for (const auto& e : outbox_.seen) out.push_back(e.kind);
    return out;
  }

  RecordingOutbox outbox_;
};

TEST_F(HelpdeskEventsTest, EveryChangeRecordsItsEventsWithTheStoredTicket) {
  t::Ticket ticket = create();
  now_ += kMinute;
  ASSERT_TRUE(service_->assign(ticket.id, "bob", tech_));
  ASSERT_TRUE(service_->change_status(ticket.id, t::StatusChange{t::Status::kInProgress}, tech_));
  ASSERT_TRUE(service_->escalate(
      ticket.id, t::EscalateRequest{t::SupportLevel::kL2, "needs L2", std::nullopt}, tech_));
  ASSERT_TRUE(service_->reply(ticket.id, "on it", false, tech_));  // no event
  EXPECT_THAT(kinds(), ElementsAre("created", "status_changed", "status_changed", "escalated"));
  EXPECT_EQ(outbox_.seen[0].ticket.id, ticket.id) << "the id the store gave the new ticket";
  EXPECT_EQ(outbox_.seen[0].detail, "portal") << "the channel";
  EXPECT_EQ(outbox_.seen[1].previous, "new");
  EXPECT_EQ(outbox_.seen[1].detail, "assigned");
  EXPECT_EQ(outbox_.seen[3].previous, "L1");
  EXPECT_EQ(outbox_.seen[3].detail, "L2");
  EXPECT_EQ(outbox_.seen[3].reason, "needs L2");
  EXPECT_EQ(outbox_.seen[3].actor, "technician bob (L1)");
  EXPECT_EQ(outbox_.seen[3].ticket.level, t::SupportLevel::kL2) << "the ticket after the change";
  EXPECT_EQ(events_, kinds()) << "the sink hears the same events after the commit";
}

TEST_F(HelpdeskEventsTest, AFailingOutboxRollsTheChangeBack) {
  t::Ticket ticket = create();
  outbox_.fail_next = true;
  auto refused = service_->assign(ticket.id, "bob", tech_);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "store_error");
  auto view = service_->show(ticket.id).value();
  EXPECT_EQ(view.ticket.status, t::Status::kNew);
  EXPECT_EQ(view.ticket.assignee, "");
  EXPECT_EQ(view.history.size(), 1u) << "only the creation";
  outbox_.fail_next = true;
  t::NewTicket n;
  n.title = "x";
  n.requester = {"alice", ""};
  auto not_created = service_->create(n, tech_);
  ASSERT_FALSE(not_created);
  EXPECT_EQ(not_created.error().code, "store_error");
  EXPECT_EQ(raw_int("SELECT COUNT(*) FROM tickets"), 1);
  EXPECT_EQ(raw_int("SELECT COUNT(*) FROM ticket_messages"), 1) << "no orphan acknowledgement";
}

TEST_F(HelpdeskEventsTest, SweepRecordsBreachAndNotifyEvents) {
  t::EscalationRule rule;
  rule.id = "warn";
  rule.deadline = t::SlaDeadline::kFirstResponse;
  rule.offset = std::chrono::minutes(0);
  rule.action = t::NotifyAction{"duty-manager"};
  make_service({rule});
  service_->set_outbox(&outbox_);
  t::Ticket ticket = create(5, 5);  // first response within 30 minutes
  outbox_.seen.clear();
  EXPECT_EQ(service_->sweep(kStart + 30 * kMinute + 1).breaches, 1u);
  EXPECT_THAT(kinds(), ElementsAre("escalated", "sla_breach", "notify"));
  EXPECT_EQ(outbox_.seen[1].detail, "first_response");
  EXPECT_EQ(outbox_.seen[2].detail, "duty-manager");
  EXPECT_EQ(outbox_.seen[2].ticket.id, ticket.id);
}

TEST_F(HelpdeskServiceTest, AttachmentsAreRecordedInTheHistory) {
  t::Ticket ticket = create();
  now_ += kMinute;
  AttachmentDraft file;
  file.kind = "file";
  file.ref = "sha256:" + std::string(64, 'a');
  file.name = "screenshot.png";
  file.size = 1234;
  file.content_type = "image/png";
  auto attached = service_->attach(ticket.id, file, tech_);
  ASSERT_TRUE(attached) << attached.error().to_string();
  EXPECT_EQ(attached->updated_at, now_);
  auto view = service_->show(ticket.id).value();
  ASSERT_EQ(view.attachments.size(), 1u);
  EXPECT_EQ(view.attachments[0].name, "screenshot.png");
  EXPECT_EQ(view.attachments[0].size, 1234u);
  EXPECT_EQ(view.attachments[0].content_type, "image/png");
  EXPECT_EQ(view.attachments[0].added_by, "bob");
  ASSERT_EQ(count_history(view, "attachment"), 1);
  EXPECT_THAT(view.history.back().new_value, HasSubstr("file: screenshot.png"));

  file.name = "../etc/passwd";
  auto bad_name = service_->attach(ticket.id, file, tech_);
  ASSERT_FALSE(bad_name);
  EXPECT_THAT(bad_name.error().message, HasSubstr("name:"));
  file.name = "x";
  file.kind = "video";
  EXPECT_FALSE(service_->attach(ticket.id, file, tech_));
  ASSERT_TRUE(
      service_->change_status(ticket.id, t::StatusChange{t::Status::kResolved, "done"}, tech_));
  ASSERT_TRUE(service_->change_status(ticket.id, t::StatusChange{t::Status::kClosed}, tech_));
  file.kind = "file";
  auto closed = service_->attach(ticket.id, file, tech_);
  ASSERT_FALSE(closed);
  EXPECT_EQ(closed.error().code, "ticket_finished");
  EXPECT_EQ(service_->show(ticket.id).value().attachments.size(), 1u);
}

TEST_F(HelpdeskServiceTest, ArticlesAreLinkedAndSuggestedWithATicket) {
  KbStore& kb = store_->kb_store();
  kb::Article vpn{
      .title = "VPN drops after an hour", .body = "Lower the MTU to 1400.", .category = "network"};
  kb::Article disk{.title = "Disk full",
                   .body = "Clean the journal.",
                   .category = "hardware",
                   .finding_rules = {"storage.filesystem_full"}};
  kb::Article other{.title = "Printer jams", .body = "Open tray 2.", .category = "hardware"};
  for (auto* a : {&vpn, &disk, &other}) *a = kb.create_article(*a).value();

  t::NewTicket n;
  n.title = "VPN drops every hour";
  n.requester = {"alice", ""};
  n.category = "network";
  n.finding_ids = {"storage.filesystem_full"};
  t::Ticket ticket = service_->create(n, tech_).value();
  auto view = service_->show(ticket.id).value();
  ASSERT_EQ(view.articles.size(), 2u);
  EXPECT_EQ(view.articles[0].article.id, disk.id);
  EXPECT_EQ(view.articles[0].reason, "finding:storage.filesystem_full");
  EXPECT_EQ(view.articles[1].article.id, vpn.id);
  EXPECT_EQ(view.articles[1].reason, "category");

  now_ += kMinute;
  auto linked = service_->link_article(ticket.id, other.id, true, "same printer model", tech_);
  ASSERT_TRUE(linked) << linked.error().to_string();
  view = service_->show(ticket.id).value();
  ASSERT_EQ(view.articles.size(), 3u);
  EXPECT_EQ(view.articles[0].article.id, other.id) << "linked by hand comes first";
  EXPECT_EQ(view.articles[0].reason, "linked");
  EXPECT_EQ(view.articles[0].linked_by, "bob");
  EXPECT_EQ(view.articles[0].linked_at, now_);
  ASSERT_EQ(count_history(view, "kb_article"), 1);
  EXPECT_EQ(view.history.back().new_value, other.id);
  EXPECT_EQ(view.history.back().reason, "same printer model");

  auto twice = service_->link_article(ticket.id, other.id, true, "", tech_);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, "conflict");
  auto unknown = service_->link_article(ticket.id, "KB-9999", true, "", tech_);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, "not_found");
  EXPECT_EQ(count_history(service_->show(ticket.id).value(), "kb_article"), 1)
      << "refused links leave no history";

  ASSERT_TRUE(service_->link_article(ticket.id, other.id, false, "", tech_));
  view = service_->show(ticket.id).value();
  EXPECT_EQ(view.articles.size(), 2u);
  EXPECT_EQ(count_history(view, "kb_article"), 2);
  EXPECT_EQ(view.history.back().old_value, other.id);
}

TEST_F(HelpdeskServiceTest, ReclassifyAndMajorPriorityByHand) {
  t::Ticket ticket = create(2, 2);  // priority 2
  auto raised = service_->reclassify(
      ticket.id, t::Reclassification{t::Impact::kVeryHigh, t::Urgency::kVeryHigh, "network", {}},
      tech_);
  ASSERT_TRUE(raised) << raised.error().to_string();
  EXPECT_EQ(raised->priority, t::Priority::kVeryHigh);
  EXPECT_EQ(raised->category.name(), "network");
  EXPECT_EQ(raised->sla.first_response_due, kStart + 30 * kMinute) << "deadlines follow";
  auto no_reason = service_->set_priority(ticket.id, t::Priority::kMajor, "", tech_);
  ASSERT_FALSE(no_reason);
  EXPECT_EQ(no_reason.error().code, "reason_required");
  auto major = service_->set_priority(ticket.id, t::Priority::kMajor, "whole floor down", tech_);
  ASSERT_TRUE(major);
  EXPECT_EQ(major->priority, t::Priority::kMajor);
  EXPECT_TRUE(major->priority_overridden);
  auto matrix = service_->set_priority(ticket.id, std::nullopt, "over", tech_);
  ASSERT_TRUE(matrix);
  EXPECT_EQ(matrix->priority, t::Priority::kVeryHigh);
  EXPECT_FALSE(matrix->priority_overridden);
}

TEST_F(HelpdeskServiceTest, SweepClosesResolvedTicketsOnceTheReopenWindowHasPassed) {
  t::HelpdeskRules rules;
  rules.reopen_window = std::chrono::hours(24);
  use_rules(rules);
  t::Ticket ticket = create();
  now_ += kHour;
  ASSERT_TRUE(
      service_->change_status(ticket.id, t::StatusChange{t::Status::kResolved, "fixed"}, tech_));
  const UnixMillis resolved_at = now_;
  EXPECT_EQ(service_->sweep(resolved_at + 24 * kHour).closed, 0u)
      << "the requester may still reopen";
  EXPECT_EQ(service_->show(ticket.id).value().ticket.status, t::Status::kResolved);
  SweepReport report = service_->sweep(resolved_at + 24 * kHour + 1);
  EXPECT_EQ(report.closed, 1u);
  EXPECT_EQ(report.failed, 0u);
  auto view = service_->show(ticket.id).value();
  EXPECT_EQ(view.ticket.status, t::Status::kClosed);
  EXPECT_EQ(view.history.back().actor.kind, t::ActorKind::kSystem);
  EXPECT_EQ(service_->sweep(resolved_at + 48 * kHour).checked, 0u)
      << "closed: never looked at again";
}

}  // namespace
}  // namespace helpline::relay::helpdesk
