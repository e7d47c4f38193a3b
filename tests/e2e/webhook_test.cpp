// Webhooks with the real relay and CLI and a loopback receiver in the test:
// ticket events arrive signed (HMAC-SHA256 over timestamp + "." + body), in
// the order they happened, the first one again after the receiver answered
// 500; a queued delivery survives a relay restart; the routes are admin's
// and never show a secret back.
#include <gmock/gmock.h>

#include <fstream>

#include "common/tls/crypto.h"
#include "tests/e2e/relay_fixture.h"
#include "tests/support/http_receiver.h"

namespace helpline::e2e {
namespace {

using helpline::testing::HttpReceiver;
using helpline::testing::json_field_object;
using helpline::testing::json_field_objects;
using helpline::testing::json_field_string;
using helpline::testing::parse_json_array;
using helpline::testing::parse_json_object;
using helpline::testing::ReceivedRequest;
using helpline::testing::wait_until;
using ::testing::HasSubstr;

constexpr const char* kSecret = "e2e-webhook-secret-0123456789";
// Retries come 1 s apart; a loaded sanitizer build gets plenty of room.
constexpr auto kDeliveryWait = 60s;

class Webhooks : public RelayFixture {
 protected:
  // Restarts the relay with a [webhooks] table pointing at `port`.
  void configure(std::uint16_t port) {
    ASSERT_NO_FATAL_FAILURE(stop_relay());
    std::ifstream in(data_dir() / "relay.toml");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto cut = text.find("\n[webhooks]");
    if (cut != std::string::npos) text.resize(cut);
    text +=
        "\n[webhooks]\nretry_base = \"1s\"\nretry_max = \"1s\"\ntimeout = \"5s\"\n"
        "\n[[webhooks.target]]\nid = \"itsm\"\nurl = \"http://127.0.0.1:" +
        std::to_string(port) + "/helpline\"\nsecret = \"" + kSecret + "\"\n";
    std::ofstream(data_dir() / "relay.toml", std::ios::trunc) << text;
    ASSERT_NO_FATAL_FAILURE(start_relay_again());
  }

  std::string create_ticket(const std::string& title) {
    RunResult created =
        cli({"ticket", "create", "--title", title, "--impact", "3", "--urgency", "3", "--json"});
    EXPECT_EQ(created.exit_code, 0) << created.describe();
    auto ticket = parse_json_object(created.out);
    return ticket ? json_field_string(*ticket, "display_id") : "";
  }

  static void expect_signed(const ReceivedRequest& r) {
    const std::string ts = r.header("x-helpline-timestamp");
    ASSERT_FALSE(ts.empty());
    EXPECT_EQ(r.header("x-helpline-signature"),
              "sha256=" + tls::hmac_sha256_hex(kSecret, ts + "." + r.body))
        << "the receiver can verify the body with the shared secret";
  }

  static Struct body_of(const ReceivedRequest& r) {
    auto parsed = parse_json_object(r.body);
    EXPECT_TRUE(parsed) << r.body;
    return parsed.value_or(Struct{});
  }
};

TEST_F(Webhooks, EventsArriveSignedInOrderAndAfterA500) {
  HttpReceiver receiver({500, 200});
  ASSERT_NO_FATAL_FAILURE(configure(receiver.port()));
  const std::string id = create_ticket("VPN drops every hour");
  ASSERT_FALSE(id.empty());
  for (std::vector<std::string> step :
       {std::vector<std::string>{"ticket", "assign", id, "admin"},
        std::vector<std::string>{"ticket", "status", id, "in_progress"},
        std::vector<std::string>{"ticket", "escalate", id, "L2", "--reason",
                                 "needs the network team"},
        std::vector<std::string>{"ticket", "resolve", id, "--solution", "MTU 1400"}}) {
    RunResult done = cli(step);
    ASSERT_EQ(done.exit_code, 0) << done.describe();
  }
  ASSERT_TRUE(wait_until([&] { return receiver.count() >= 6; }, kDeliveryWait, kPoll))
      << receiver.count() << " requests arrived";
  auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 6u);
  std::vector<std::string> events;
  for (const auto& r : requests) {
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.target, "/helpline");
    EXPECT_EQ(r.header("content-type"), "application/json");
    expect_signed(r);
    Struct body = body_of(r);
    EXPECT_EQ(json_field_string(body, "event"), r.header("x-helpline-event"));
    EXPECT_EQ(json_field_string(body, "event_id"), r.header("x-helpline-delivery"));
    auto ticket = json_field_object(body, "ticket");
    ASSERT_TRUE(ticket) << r.body;
    EXPECT_EQ(json_field_string(*ticket, "display_id"), id);
    events.push_back(r.header("x-helpline-event") + ":" + json_field_string(body, "detail"));
  }
  EXPECT_EQ(requests[0].answered, 500);
  EXPECT_EQ(requests[1].header("x-helpline-delivery"), requests[0].header("x-helpline-delivery"))
      << "the retry is the same delivery";
  EXPECT_THAT(events, ::testing::ElementsAre(
                          "ticket.created:api", "ticket.created:api",
                          "ticket.status_changed:assigned", "ticket.status_changed:in_progress",
                          "ticket.escalated:L2", "ticket.status_changed:resolved"));
  Struct escalated = body_of(requests[4]);
  EXPECT_EQ(json_field_string(escalated, "previous"), "L1");
  EXPECT_EQ(json_field_string(escalated, "reason"), "needs the network team");

  RunResult listed = cli({"webhook", "deliveries", "itsm", "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.describe();
  auto deliveries = parse_json_array(listed.out);
  ASSERT_TRUE(deliveries) << listed.out;
  ASSERT_EQ(deliveries->size(), 5u);
  const Struct& first = deliveries->back();  // newest first
  EXPECT_EQ(json_field_string(first, "state"), "delivered");
  EXPECT_EQ(first.fields().at("attempts").number_value(), 2.0);
}

TEST_F(Webhooks, AQueuedDeliverySurvivesARelayRestart) {
  auto down = std::make_unique<HttpReceiver>(std::vector<int>{503});
  ASSERT_NO_FATAL_FAILURE(configure(down->port()));
  ASSERT_FALSE(create_ticket("Printer offline").empty());
  ASSERT_TRUE(wait_until([&] { return down->count() >= 1; }, kDeliveryWait, kPoll));
  const std::string event_id = down->requests()[0].header("x-helpline-delivery");
  ASSERT_FALSE(event_id.empty());
  down.reset();

  // The receiver is back on another port; relay.toml follows it and the
  // queued delivery goes out from the restarted relay.
  HttpReceiver up({200});
  ASSERT_NO_FATAL_FAILURE(configure(up.port()));
  ASSERT_TRUE(wait_until([&] { return up.count() >= 1; }, kDeliveryWait, kPoll));
  EXPECT_EQ(up.requests()[0].header("x-helpline-delivery"), event_id);
  EXPECT_EQ(up.requests()[0].header("x-helpline-event"), "ticket.created");
  expect_signed(up.requests()[0]);
}

TEST_F(Webhooks, RoutesAreForAdminsAndNeverShowTheSecret) {
  HttpReceiver receiver({200});
  const std::string url = "http://127.0.0.1:" + std::to_string(receiver.port()) + "/x";
  RunResult added = cli({"webhook", "add", "zammad", url, "--event", "ticket.created", "--json"});
  ASSERT_EQ(added.exit_code, 0) << added.describe();
  auto created = parse_json_object(added.out);
  ASSERT_TRUE(created);
  const std::string secret = json_field_string(*created, "secret");
  EXPECT_GE(secret.size(), 32u) << "a generated secret is shown once";
  RunResult listed = cli({"webhook", "list", "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.describe();
  EXPECT_THAT(listed.out, HasSubstr("zammad"));
  EXPECT_THAT(listed.out, ::testing::Not(HasSubstr(secret)));

  RunResult bad = cli({"webhook", "add", "bad", "ftp://x/"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.err, HasSubstr("url:"));
  RunResult twice = cli({"webhook", "add", "zammad", url});
  EXPECT_EQ(twice.exit_code, 1);
  EXPECT_THAT(twice.err, HasSubstr("exists already"));

  const auto config = login_new_user("tech-l3", "l3");
  RunResult refused = cli_with(config, {"webhook", "list"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("needs 'admin'"));

  RunResult ping = cli({"webhook", "test", "zammad"});
  ASSERT_EQ(ping.exit_code, 0) << ping.describe();
  ASSERT_TRUE(wait_until([&] { return receiver.count() >= 1; }, kDeliveryWait, kPoll));
  EXPECT_EQ(receiver.requests()[0].header("x-helpline-event"), "ping");
  EXPECT_EQ(receiver.requests()[0].header("x-helpline-signature"),
            "sha256=" +
                tls::hmac_sha256_hex(secret, receiver.requests()[0].header("x-helpline-timestamp") +
                                                 "." + receiver.requests()[0].body));
  RunResult removed = cli({"webhook", "remove", "zammad"});
  EXPECT_EQ(removed.exit_code, 0) << removed.describe();
}

}  // namespace
}  // namespace helpline::e2e
