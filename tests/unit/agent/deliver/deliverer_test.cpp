// The Deliverer against a scripted relay on the same libuv loop (real TLS
// and multiplexer, no sleeps, every wait bounded by the loop watchdog):
// items spooled before the link is up are delivered in order, each with
// its payload on an upload stream, and deleted once the relay confirms; a
// permanent refusal drops the item, a transient one retries it, a lost
// link keeps it for the next connection.
#include "agent/deliver/deliverer.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <vector>

#include "common/tls/crypto.h"
#include "tests/unit/agent/agent_test_support.h"
#include "tests/unit/agent/fake_relay.h"

namespace helpline::agent {
namespace {

using std::chrono::milliseconds;
using testing::FakeRelay;
using testing::ok;
using testing::pki;

// What the scripted relay saw of one delivery.
struct Seen {
  v1::DeliverRequest request;
  std::uint64_t request_id = 0;
  std::string metadata;
  std::string payload;
  bool closed = false;
};

class DelivererTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    server_context_ = ok(tls::make_server_context(
        tls::ServerConfig{pki().server, pki().ca_pem, tls::ClientCertMode::kOptional}));
    relay_.emplace(&loop_, server_context_.get());
    spool::SpoolOptions options;
    options.dir = dir_.path() / "spool";
    spool_.emplace(ok(spool::Spool::open(std::move(options))));

    relay_->on_control = [this](FakeRelay::Connection& c, const v1::Frame& frame) {
      if (frame.has_hello()) {
        v1::Frame ack;
        ack.mutable_hello_ack()->set_relay_version("test-relay");
        c.send(std::move(ack));
      } else if (frame.has_request() && frame.request().has_deliver()) {
        Seen& seen = by_request_[frame.request().id()];
        seen.request = frame.request().deliver();
        seen.request_id = frame.request().id();
        maybe_answer(c, frame.request().id());
      }
    };
    relay_->on_stream = [this](FakeRelay::Connection& c, const wire::MuxEvent& event) {
      using Kind = wire::MuxEvent::Kind;
      if (event.kind == Kind::kChannelOpened) {
        EXPECT_EQ(event.open_kind, "upload");
        channel_request_[event.channel] = event.request_id;
        by_request_[event.request_id].metadata = event.metadata;
      } else if (event.kind == Kind::kChannelData) {
        by_request_[channel_request_[event.channel]].payload += event.data;
        c.mux.consume(event.channel, event.data.size());
        c.flush();
      } else if (event.kind == Kind::kChannelClosed) {
        std::uint64_t id = channel_request_[event.channel];
        by_request_[id].closed = true;
        (void)c.mux.close_channel(event.channel);
        c.flush();
        maybe_answer(c, id);
      }
    };
  }

  void TearDown() override {
    deliverer_.reset();
    link_.reset();
    relay_.reset();
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "a libuv handle was left open";
  }

  // Answers a delivery once both its request and its whole stream arrived,
  // with what `answer` says for that attempt.
  void maybe_answer(FakeRelay::Connection& c, std::uint64_t id) {
    Seen& seen = by_request_[id];
    if (seen.request_id == 0 || !seen.closed) return;
    attempts_.push_back(seen);
    v1::Frame frame;
    v1::Response* response = frame.mutable_response();
    response->set_id(id);
    std::string code = answer ? answer(seen) : "";
    if (code == "drop_link") {
      c.close_after_flush();
      return;
    }
    if (code.empty()) {
      response->mutable_deliver()->set_idempotency_id(seen.request.idempotency_id());
      response->mutable_deliver()->set_bundle_id("sha256:stored");
    } else {
      response->mutable_error()->set_code(code);
      response->mutable_error()->set_message("scripted refusal");
    }
    c.send(std::move(frame));
  }

  void start() {
    LinkConfig c;
    c.state = testing::make_state(dir_.path(), relay_->port());
    c.host = HostInfo{"testhost", "linux-test", "Test OS 1"};
    c.backoff.initial = milliseconds(1);
    c.backoff.max = milliseconds(5);
    c.backoff.floor = milliseconds(1);
    link_ = ok(Link::create(&loop_, std::move(c)));
    DelivererOptions options;
    options.first_retry = milliseconds(1);
    options.max_retry = milliseconds(5);
    deliverer_.emplace(&loop_, *link_, *spool_, options);
    deliverer_->start();
    link_->set_on_stopped([this] {
      deliverer_->close(nullptr);
      relay_->stop_listening();
    });
    link_->start();
  }

  // Stops everything once `done` holds after a delivery outcome.
  void stop_when(std::function<bool()> done) { done_ = std::move(done); }

  void watch(const std::string& id) {
    deliverer_->watch(id, [this](const DeliveryOutcome& outcome) {
      outcomes_.push_back(outcome);
      if (done_ && done_()) link_->stop();
    });
  }

  void run() {
    testing::run_loop_bounded(&loop_, [this] {
      link_->stop();
      relay_->close();
    });
  }

  std::string enqueue(std::string kind, std::string payload) {
    return ok(spool_->enqueue(kind, payload)).item.id;
  }

  uv_loop_t loop_{};
  testing::TempDir dir_;
  tls::SslCtxPtr server_context_;
  std::optional<FakeRelay> relay_;
  std::optional<spool::Spool> spool_;
  std::unique_ptr<Link> link_;
  std::optional<Deliverer> deliverer_;
  std::map<std::uint64_t, Seen> by_request_;
  std::map<std::uint32_t, std::uint64_t> channel_request_;
  std::vector<Seen> attempts_;
  std::vector<DeliveryOutcome> outcomes_;
  std::function<std::string(const Seen&)> answer;
  std::function<bool()> done_;
};

TEST_F(DelivererTest, SpooledItemsGoInOrderWithTheirPayloadAndAreDeletedOnConfirmation) {
  std::string big(300 * 1024, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7);
  std::string first = enqueue("report", "a small report");
  std::string second = enqueue("bundle", big);
  start();
  watch(first);
  watch(second);
  stop_when([this] { return outcomes_.size() == 2; });
  run();

  ASSERT_EQ(attempts_.size(), 2u);
  EXPECT_EQ(attempts_[0].request.idempotency_id(), first);
  EXPECT_EQ(attempts_[0].request.kind(), "report");
  EXPECT_EQ(attempts_[0].payload, "a small report");
  EXPECT_EQ(attempts_[0].request.size(), 14u);
  EXPECT_EQ(attempts_[0].request.sha256(), tls::sha256_hex("a small report"));
  EXPECT_EQ(attempts_[0].metadata, "sha256:" + tls::sha256_hex("a small report"));
  EXPECT_EQ(attempts_[1].request.idempotency_id(), second);
  EXPECT_TRUE(attempts_[1].payload == big);
  ASSERT_EQ(outcomes_.size(), 2u);
  EXPECT_TRUE(outcomes_[0].result.has_value());
  EXPECT_EQ(outcomes_[1].result->bundle_id(), "sha256:stored");
  EXPECT_TRUE(spool_->empty());
}

TEST_F(DelivererTest, PermanentRefusalDropsTheItemAndTheNextOneGoes) {
  std::string bad = enqueue("report", "does not parse");
  std::string good = enqueue("report", "fine");
  answer = [&](const Seen& seen) {
    return seen.request.idempotency_id() == bad ? std::string("bad_payload") : std::string();
  };
  start();
  watch(bad);
  watch(good);
  stop_when([this] { return outcomes_.size() == 2; });
  run();

  ASSERT_EQ(outcomes_.size(), 2u);
  ASSERT_FALSE(outcomes_[0].result.has_value());
  EXPECT_EQ(outcomes_[0].result.error().code, "bad_payload");
  EXPECT_TRUE(outcomes_[1].result.has_value());
  EXPECT_EQ(attempts_.size(), 2u);
  EXPECT_TRUE(spool_->empty());
}

TEST_F(DelivererTest, TransientRefusalIsRetriedUntilTheRelayTakesIt) {
  std::string id = enqueue("rating", "5 stars");
  int refusals = 0;
  answer = [&](const Seen&) { return refusals++ < 2 ? std::string("store_error") : std::string(); };
  start();
  watch(id);
  stop_when([this] { return outcomes_.size() == 1; });
  run();

  ASSERT_EQ(attempts_.size(), 3u);
  for (const Seen& seen : attempts_) EXPECT_EQ(seen.request.idempotency_id(), id);
  ASSERT_EQ(outcomes_.size(), 1u);
  EXPECT_TRUE(outcomes_[0].result.has_value());
  EXPECT_TRUE(spool_->empty());
}

TEST_F(DelivererTest, ItemWhoseAnswerIsLostOnADroppedLinkIsSentAgainAfterReconnecting) {
  std::string id = enqueue("bundle", "payload");
  int attempt = 0;
  answer = [&](const Seen&) { return attempt++ == 0 ? std::string("drop_link") : std::string(); };
  start();
  watch(id);
  stop_when([this] { return outcomes_.size() == 1; });
  run();

  // Sent twice with the same idempotency id: the relay deduplicates.
  ASSERT_EQ(attempts_.size(), 2u);
  EXPECT_EQ(attempts_[0].request.idempotency_id(), id);
  EXPECT_EQ(attempts_[1].request.idempotency_id(), id);
  EXPECT_GE(relay_->accepted(), 2);
  EXPECT_TRUE(outcomes_[0].result.has_value());
  EXPECT_TRUE(spool_->empty());
}

TEST(DeliveryErrors, PermanentCodesAreExactlyTheOnesResendingCannotCure) {
  for (const char* code :
       {"bad_payload", "bad_value", "bad_bundle", "not_found", "bad_state", "too_large"}) {
    EXPECT_TRUE(is_permanent_delivery_error(code)) << code;
  }
  for (const char* code : {"timeout", "link_lost", "store_error", "unavailable", "hash_mismatch",
                           "busy", ""}) {
    EXPECT_FALSE(is_permanent_delivery_error(code)) << code;
  }
}

}  // namespace
}  // namespace helpline::agent
