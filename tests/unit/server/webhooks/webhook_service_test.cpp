// The webhook sender against loopback receivers: deliveries go one at a
// time in the order of the events, a failure is retried after the backoff
// (the clock is fake: the test advances it) while later events wait, a
// delivery that keeps failing is given up after max_attempts, and https is
// verified against the webhook's CA file and the host name.
#include <gmock/gmock.h>
#include <openssl/ssl.h>

#include <boost/asio/io_context.hpp>
#include <fstream>

#include "common/tls/crypto.h"
#include "server/webhooks/webhooks.h"
#include "tests/support/http_receiver.h"
#include "tests/unit/server/store/store_fixture.h"

namespace helpline::relay::webhooks {
namespace {

using helpline::testing::HttpReceiver;
using helpline::testing::ReceivedRequest;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

constexpr UnixMillis kStart = 1'800'000'000'000;
constexpr const char* kSecret = "test-secret-0123456789";

class WebhookServiceTest : public relay::testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    settings_.retry_base = 10s;
    settings_.retry_max = 60s;
    settings_.max_attempts = 3;
    settings_.timeout = 5s;
  }

  void add_webhook(const std::string& id, const std::string& url, const std::string& ca_file = {},
                   bool enabled = true) {
    WebhookRecord r;
    r.id = id;
    r.url = url;
    r.secret = kSecret;
    r.ca_file = ca_file;
    r.enabled = enabled;
    ASSERT_TRUE(store_->webhook_store().add_webhook(r));
  }

  std::unique_ptr<WebhookService> make_service() {
    return std::make_unique<WebhookService>(
        io_, *store_, settings_,
        [](const helpdesk::TicketEvent& e, std::string_view id) {
          return "{\"event\":\"" + e.kind + "\",\"event_id\":\"" + std::string(id) +
                 "\",\"ticket\":" + std::to_string(e.ticket.id) + "}";
        },
        [this] { return now_; });
  }

  static helpdesk::TicketEvent event(const std::string& kind, std::int64_t ticket) {
    helpdesk::TicketEvent e;
    e.kind = kind;
    e.ticket.id = ticket;
    return e;
  }

  // Runs the io_context until `done` or a generous bound.
  template <class Done>
  bool run_until(Done done) {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      io_.run_for(10ms);
      if (io_.stopped()) io_.restart();
    }
    return true;
  }

  [[nodiscard]] std::vector<WebhookDelivery> deliveries(const std::string& webhook) {
    auto all = store_->webhook_store().recent_deliveries(webhook, 100).value();
    std::reverse(all.begin(), all.end());
    return all;
  }

  static void expect_signed(const ReceivedRequest& r) {
    const std::string ts = r.header("x-helpline-timestamp");
    EXPECT_EQ(r.header("x-helpline-signature"),
              "sha256=" + tls::hmac_sha256_hex(kSecret, ts + "." + r.body));
  }

  boost::asio::io_context io_;
  Settings settings_;
  UnixMillis now_ = kStart;
};

TEST_F(WebhookServiceTest, DeliversInOrderAndRetriesAFailureBeforeLaterEvents) {
  HttpReceiver receiver({500, 200});
  add_webhook("itsm", "http://127.0.0.1:" + std::to_string(receiver.port()) + "/hook?src=helpline");
  auto service = make_service();
  ASSERT_TRUE(service->record(event("created", 7)));
  ASSERT_TRUE(service->record(event("status_changed", 7)));
  service->start();
  ASSERT_TRUE(run_until([&] { return receiver.count() == 1 && service->in_flight() == 0; }));
  auto first = deliveries("itsm");
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].state, DeliveryState::kPending);
  EXPECT_EQ(first[0].attempts, 1);
  EXPECT_EQ(first[0].last_status, 500);
  EXPECT_EQ(first[0].next_attempt_at, kStart + 10'000);
  EXPECT_EQ(first[1].attempts, 0) << "the later event waits for the failed one";
  io_.run_for(100ms);
  EXPECT_EQ(receiver.count(), 1u) << "nothing is sent before the backoff has passed";

  now_ += 10'000;
  service->wake();
  ASSERT_TRUE(run_until([&] { return receiver.count() == 3 && service->in_flight() == 0; }));
  auto requests = receiver.requests();
  for (const auto& r : requests) {
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.target, "/hook?src=helpline");
    EXPECT_EQ(r.header("content-type"), "application/json");
    expect_signed(r);
  }
  EXPECT_EQ(requests[0].header("x-helpline-event"), "ticket.created");
  EXPECT_EQ(requests[1].header("x-helpline-event"), "ticket.created");
  EXPECT_EQ(requests[2].header("x-helpline-event"), "ticket.status_changed");
  EXPECT_EQ(requests[0].header("x-helpline-delivery"), requests[1].header("x-helpline-delivery"))
      << "a retry is the same delivery";
  EXPECT_EQ(requests[0].body, requests[1].body);
  EXPECT_NE(requests[1].header("x-helpline-delivery"), requests[2].header("x-helpline-delivery"));
  EXPECT_EQ(requests[1].header("x-helpline-timestamp"), std::to_string((kStart + 10'000) / 1000));
  auto done = deliveries("itsm");
  EXPECT_EQ(done[0].state, DeliveryState::kDelivered);
  EXPECT_EQ(done[0].attempts, 2);
  EXPECT_EQ(done[1].state, DeliveryState::kDelivered);
}

TEST_F(WebhookServiceTest, GivesUpAfterMaxAttemptsAndMovesOn) {
  settings_.max_attempts = 2;
  HttpReceiver receiver({503});
  add_webhook("down", "http://127.0.0.1:" + std::to_string(receiver.port()) + "/");
  auto service = make_service();
  ASSERT_TRUE(service->record(event("created", 1)));
  ASSERT_TRUE(service->record(event("created", 2)));
  service->start();
  // Each time nothing is on the wire, the backoff has passed.
  ASSERT_TRUE(run_until([&] {
    if (service->in_flight() == 0) {
      now_ += 60'000;
      service->wake();
    }
    auto all = deliveries("down");
    return all[0].state == DeliveryState::kFailed && all[1].state == DeliveryState::kFailed;
  }));
  EXPECT_EQ(receiver.count(), 4u) << "two attempts each";
  auto all = deliveries("down");
  ASSERT_EQ(all.size(), 2u);
  for (const auto& d : all) {
    EXPECT_EQ(d.state, DeliveryState::kFailed);
    EXPECT_EQ(d.attempts, 2);
    EXPECT_THAT(d.last_error, HasSubstr("HTTP 503"));
  }
}

TEST_F(WebhookServiceTest, ADisabledWebhookGetsAndSendsNothing) {
  HttpReceiver receiver({200});
  add_webhook("paused", "http://127.0.0.1:" + std::to_string(receiver.port()) + "/", {}, false);
  add_webhook("live", "http://127.0.0.1:" + std::to_string(receiver.port()) + "/live");
  auto service = make_service();
  ASSERT_TRUE(service->record(event("created", 1)));
  EXPECT_TRUE(deliveries("paused").empty()) << "nothing is queued for it";
  ASSERT_TRUE(service->ping("paused", "ada")) << "a test delivery may be queued";
  service->start();
  ASSERT_TRUE(run_until([&] { return receiver.count() == 1 && service->in_flight() == 0; }));
  io_.run_for(100ms);
  ASSERT_EQ(receiver.count(), 1u);
  EXPECT_EQ(receiver.requests()[0].target, "/live");
  EXPECT_EQ(deliveries("paused")[0].attempts, 0);
}

TEST_F(WebhookServiceTest, UnreachableReceiverIsRetried) {
  // A port nobody listens on: take one and close it.
  std::uint16_t port = 0;
  {
    HttpReceiver gone({200});
    port = gone.port();
  }
  add_webhook("gone", "http://127.0.0.1:" + std::to_string(port) + "/");
  auto service = make_service();
  ASSERT_TRUE(service->record(event("created", 1)));
  service->start();
  ASSERT_TRUE(run_until([&] { return deliveries("gone")[0].attempts == 1; }));
  auto d = deliveries("gone")[0];
  EXPECT_EQ(d.state, DeliveryState::kPending);
  EXPECT_EQ(d.last_status, 0);
  EXPECT_THAT(d.last_error, HasSubstr("connect"));
}

// A CA, and a server certificate for 127.0.0.1 signed by it.
struct TestPki {
  tls::PKeyPtr ca_key, server_key;
  tls::X509Ptr ca, server;
};

TestPki make_pki() {
  TestPki p;
  p.ca_key = tls::generate_key().value();
  p.ca =
      tls::make_ca_certificate(p.ca_key.get(), "Webhook Test CA", std::chrono::hours(24)).value();
  p.server_key = tls::generate_key().value();
  tls::CertRequest request;
  request.common_name = "127.0.0.1";
  request.subject_alt_names = {"127.0.0.1"};
  request.usage = tls::CertUsage::kServer;
  p.server = tls::sign_certificate(p.ca.get(), p.ca_key.get(), p.server_key.get(), request).value();
  return p;
}

TEST_F(WebhookServiceTest, HttpsIsVerifiedAgainstTheCaFileAndTheHostName) {
  TestPki pki = make_pki();
  SSL_CTX* server = SSL_CTX_new(TLS_server_method());
  ASSERT_EQ(SSL_CTX_use_certificate(server, pki.server.get()), 1);
  ASSERT_EQ(SSL_CTX_use_PrivateKey(server, pki.server_key.get()), 1);
  HttpReceiver receiver({200}, server);
  SSL_CTX_free(server);
  const auto ca_file = dir_ / "ca.pem";
  std::ofstream(ca_file) << tls::certificate_to_pem(pki.ca.get()).value();
  const std::string port = std::to_string(receiver.port());
  add_webhook("trusted", "https://127.0.0.1:" + port + "/", ca_file.string());
  add_webhook("system-store", "https://127.0.0.1:" + port + "/");
  add_webhook("wrong-name", "https://localhost:" + port + "/", ca_file.string());
  auto service = make_service();
  ASSERT_TRUE(service->record(event("created", 1)));
  service->start();
  ASSERT_TRUE(run_until([&] {
    for (const char* id : {"trusted", "system-store", "wrong-name"}) {
      if (deliveries(id)[0].attempts == 0) return false;
    }
    return service->in_flight() == 0;
  }));
  EXPECT_EQ(deliveries("trusted")[0].state, DeliveryState::kDelivered);
  ASSERT_EQ(receiver.count(), 1u) << "only the verified connection carried the event";
  expect_signed(receiver.requests()[0]);
  for (const char* id : {"system-store", "wrong-name"}) {
    auto d = deliveries(id)[0];
    EXPECT_EQ(d.state, DeliveryState::kPending) << id;
    EXPECT_THAT(d.last_error, HasSubstr("tls handshake")) << id;
  }
}

}  // namespace
}  // namespace helpline::relay::webhooks
