// Webhooks and their durable delivery queue in SQLite.
#include <gmock/gmock.h>

#include "tests/unit/server/store/store_fixture.h"

namespace helpline::relay {
namespace {

using ::testing::ElementsAre;

class WebhookStoreTest : public testing::StoreTest {
 protected:
  std::function<std::string()> empty = [] { return std::string("{}"); };

  WebhookStore& hooks() { return store_->webhook_store(); }

  static WebhookRecord record(std::string id, std::vector<std::string> events = {},
                              std::string source = "api") {
    WebhookRecord r;
    r.id = std::move(id);
    r.url = "https://itsm.example.org/hook";
    r.secret = "0123456789abcdef-secret";
    r.events = std::move(events);
    r.source = std::move(source);
    r.created_at = 1000;
    return r;
  }

  std::vector<std::string> pending_events(const std::string& webhook) {
    std::vector<std::string> out;
    const auto recent = hooks().recent_deliveries(webhook, 100).value();
    for (const auto& d : recent) {
      if (d.state == DeliveryState::kPending) out.insert(out.begin(), d.event);
    }
    return out;
  }
};

TEST_F(WebhookStoreTest, EventsAreQueuedForTheWebhooksThatWantThem) {
  ASSERT_TRUE(hooks().add_webhook(record("all")));
  ASSERT_TRUE(hooks().add_webhook(record("breaches", {"ticket.sla_breach"})));
  EXPECT_EQ(hooks().add_webhook(record("all")).error().code, "conflict");
  int rendered = 0;
  auto body = [&rendered] {
    ++rendered;
    return std::string("{}");
  };
  EXPECT_EQ(hooks().enqueue("e1", "ticket.created", 7, body, 100).value(), 1u);
  EXPECT_EQ(hooks().enqueue("e2", "ticket.sla_breach", 7, body, 101).value(), 2u);
  EXPECT_EQ(hooks().enqueue("e3", "ping", 0, body, 102, "breaches").value(), 1u)
      << "a ping goes to the one named, whatever it wants";
  EXPECT_EQ(rendered, 3) << "one body per event";
  EXPECT_THAT(pending_events("all"), ElementsAre("ticket.created", "ticket.sla_breach"));
  EXPECT_THAT(pending_events("breaches"), ElementsAre("ticket.sla_breach", "ping"));
  EXPECT_EQ(hooks().pending_deliveries("all").value(), 2u);
  ASSERT_TRUE(hooks().remove_webhook("all"));
  EXPECT_EQ(hooks().enqueue("e4", "ticket.created", 7, body, 103).value(), 0u);
  EXPECT_EQ(rendered, 3) << "nobody wants it: no body is made";
}

TEST_F(WebhookStoreTest, DeliveriesLeaveTheQueueInOrder) {
  ASSERT_TRUE(hooks().add_webhook(record("itsm")));
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(hooks().enqueue("e" + std::to_string(i), "ticket.created", i, empty, 100 + i));
  }
  auto head = hooks().next_pending("itsm").value().value();
  EXPECT_EQ(head.event_id, "e1");
  ASSERT_TRUE(hooks().record_attempt(
      head.id, AttemptOutcome{DeliveryState::kPending, 200, 5000, 500, "HTTP 500"}));
  head = hooks().next_pending("itsm").value().value();
  EXPECT_EQ(head.event_id, "e1") << "a retry keeps its place";
  EXPECT_EQ(head.attempts, 1);
  EXPECT_EQ(head.next_attempt_at, 5000);
  EXPECT_EQ(head.last_status, 500);
  ASSERT_TRUE(
      hooks().record_attempt(head.id, AttemptOutcome{DeliveryState::kDelivered, 5000, 0, 200, ""}));
  head = hooks().next_pending("itsm").value().value();
  EXPECT_EQ(head.event_id, "e2");
  ASSERT_TRUE(hooks().record_attempt(
      head.id, AttemptOutcome{DeliveryState::kFailed, 6000, 0, 0, "refused"}));
  EXPECT_EQ(hooks().next_pending("itsm").value()->event_id, "e3");
  EXPECT_EQ(hooks().purge_deliveries(5500).value(), 1u) << "delivered before 5500";
  EXPECT_EQ(hooks().recent_deliveries("itsm", 10).value().size(), 2u);
  EXPECT_EQ(hooks().record_attempt(999, AttemptOutcome{}).error().code, "not_found");
}

TEST_F(WebhookStoreTest, QueueSurvivesReopeningTheStore) {
  ASSERT_TRUE(hooks().add_webhook(record("itsm")));
  ASSERT_TRUE(hooks().enqueue("e1", "ticket.created", 1, empty, 100));
  reopen();
  EXPECT_EQ(hooks().next_pending("itsm").value()->event_id, "e1");
}

TEST_F(WebhookStoreTest, ConfigWebhooksFollowTheFileAndLeaveApiOnesAlone) {
  ASSERT_TRUE(hooks().add_webhook(record("manual")));
  ASSERT_TRUE(hooks().sync_config_webhooks({record("glpi"), record("jira")}));
  ASSERT_TRUE(hooks().enqueue("e1", "ticket.created", 1, empty, 100));
  WebhookRecord changed = record("glpi", {"ticket.created"});
  changed.url = "https://glpi.example.org/new";
  ASSERT_TRUE(hooks().sync_config_webhooks({changed}));
  auto all = hooks().list_webhooks().value();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, "glpi");
  EXPECT_EQ(all[0].url, "https://glpi.example.org/new");
  EXPECT_EQ(all[0].source, "config");
  EXPECT_THAT(all[0].events, ElementsAre("ticket.created"));
  EXPECT_EQ(all[1].id, "manual");
  EXPECT_EQ(hooks().pending_deliveries("glpi").value(), 1u) << "an updated webhook keeps its queue";
  EXPECT_EQ(raw_int("SELECT COUNT(*) FROM webhook_deliveries WHERE webhook_id = 'jira'"), 0)
      << "a removed one takes its queue along";
  EXPECT_EQ(hooks().sync_config_webhooks({record("manual")}).error().code, "conflict");
  EXPECT_EQ(hooks().list_webhooks().value().size(), 2u) << "a refused sync changes nothing";
}

}  // namespace
}  // namespace helpline::relay
