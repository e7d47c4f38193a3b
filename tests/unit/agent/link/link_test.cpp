// The Link against a scripted relay on the same libuv loop over loopback:
// real sockets and TLS, no sleeps; every wait is bounded by a watchdog.
#include "agent/link/link.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <vector>

#include "agent/link/stream_sender.h"
#include "common/wire/liveness.h"
#include "tests/unit/agent/agent_test_support.h"
#include "tests/unit/agent/fake_relay.h"

namespace helpline::agent {
namespace {

using testing::FakeProxy;
using testing::FakeRelay;
using testing::ok;
using testing::pki;

using std::chrono::milliseconds;

v1::Frame hello_ack(std::uint32_t max_frame_size = 64 * 1024) {
  v1::Frame frame;
  frame.mutable_hello_ack()->set_relay_version("test-relay");
  frame.mutable_hello_ack()->set_max_frame_size(max_frame_size);
  frame.mutable_hello_ack()->set_server_time_ms(unix_now_ms());
  return frame;
}

v1::Frame ping(std::uint64_t id, std::string payload) {
  v1::Frame frame;
  frame.mutable_request()->set_id(id);
  frame.mutable_request()->mutable_ping()->set_payload(std::move(payload));
  return frame;
}

v1::Frame goodbye(std::string code, std::string message) {
  v1::Frame frame;
  frame.mutable_goodbye()->set_reason(code);
  frame.mutable_goodbye()->mutable_error()->set_code(std::move(code));
  frame.mutable_goodbye()->mutable_error()->set_message(std::move(message));
  return frame;
}

class LinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    server_context_ = ok(tls::make_server_context(
        tls::ServerConfig{pki().server, pki().ca_pem, tls::ClientCertMode::kOptional}));
    relay_.emplace(&loop_, server_context_.get());
  }

  void TearDown() override {
    link_.reset();
    relay_.reset();
    proxy_.reset();
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "a libuv handle was left open";
  }

  LinkConfig config() {
    LinkConfig c;
    c.state = testing::make_state(dir_.path(), relay_->port());
    c.host = HostInfo{"testhost", "linux-test", "Test OS 1"};
    c.backoff.initial = milliseconds(1);
    c.backoff.max = milliseconds(5);
    c.backoff.floor = milliseconds(1);
    c.connect_timeout = milliseconds(5000);
    return c;
  }

  void start(LinkConfig c) {
    link_ = ok(Link::create(&loop_, std::move(c)));
    begin();
  }

  // Starts a link made (and given its handlers) by the test.
  void begin() {
    // Connections end when the agent closes them, after the relay read
    // everything (e.g. the Goodbye).
    link_->set_on_stopped([this] {
      relay_->stop_listening();
      if (proxy_) proxy_->stop_listening();
    });
    link_->start();
  }

  void run() {
    testing::run_loop_bounded(&loop_, [this] {
      link_->stop();
      relay_->close();
      if (proxy_) proxy_->close();
    });
  }

  AgentStatus status_file() { return ok(read_status(dir_.path())).value_or(AgentStatus{}); }

  uv_loop_t loop_{};
  testing::TempDir dir_;
  tls::SslCtxPtr server_context_;
  std::optional<FakeRelay> relay_;
  std::optional<FakeProxy> proxy_;
  std::unique_ptr<Link> link_;
};

TEST_F(LinkTest, SendsHelloThenAnswersPingAndSaysGoodbyeOnStop) {
  std::optional<v1::Hello> hello;
  std::string peer;
  std::optional<v1::Response> response;
  std::optional<AgentStatus> status_while_up;
  std::optional<v1::Goodbye> said_goodbye;
  relay_->on_control = [&](FakeRelay::Connection& c, const v1::Frame& frame) {
    if (frame.has_hello()) {
      hello = frame.hello();
      peer = c.peer_common_name;
      c.send(hello_ack());
      c.send(ping(5, std::string("\x00pong me", 8)));
    } else if (frame.has_response()) {
      response = frame.response();
      status_while_up = status_file();
      link_->stop();
    } else if (frame.has_goodbye()) {
      said_goodbye = frame.goodbye();
    }
  };
  start(config());
  run();

  ASSERT_TRUE(hello.has_value());
  EXPECT_EQ(peer, pki().device_id);
  EXPECT_EQ(hello->device_id(), pki().device_id);
  EXPECT_EQ(hello->agent_version(), HELPLINE_VERSION);
  EXPECT_EQ(hello->platform(), "linux-test");
  EXPECT_EQ(hello->hostname(), "testhost");
  EXPECT_EQ(hello->os_release(), "Test OS 1");
  ASSERT_EQ(hello->capabilities_size(), 1);
  EXPECT_EQ(hello->capabilities(0), "ping");
  EXPECT_EQ(hello->max_frame_size(), wire::kDefaultMaxFrameSize);
  EXPECT_EQ(hello->heartbeat_interval_ms(), 30'000u);

  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->id(), 5u);
  EXPECT_EQ(response->pong().payload(), std::string("\x00pong me", 8));
  ASSERT_TRUE(status_while_up.has_value());
  EXPECT_TRUE(status_while_up->connected);
  EXPECT_NE(status_while_up->connected_since, 0);
  EXPECT_EQ(status_while_up->relay, "127.0.0.1:" + std::to_string(relay_->port()));

  ASSERT_TRUE(said_goodbye.has_value());
  EXPECT_EQ(said_goodbye->reason(), "shutting down");
  EXPECT_EQ(link_->exit_code(), 0);
  EXPECT_FALSE(status_file().connected);
}

TEST_F(LinkTest, RevokedGoodbyeStopsForGoodWithExitCode78) {
  relay_->on_control = [&](FakeRelay::Connection& c, const v1::Frame& frame) {
    if (!frame.has_hello()) return;
    c.send(goodbye("revoked", "device dev_0123abcd was revoked"));
    c.close_after_flush();
  };
  start(config());
  run();
  EXPECT_EQ(relay_->accepted(), 1);  // no reconnect
  EXPECT_EQ(link_->exit_code(), kExitRevoked);
  EXPECT_EQ(link_->exit_message(), "this device was revoked by the relay; re-enroll");
  AgentStatus status = status_file();
  EXPECT_FALSE(status.connected);
  EXPECT_NE(status.last_error.find("revoked"), std::string::npos) << status.last_error;
  EXPECT_NE(status.last_error_at, 0);
}

TEST_F(LinkTest, ReconnectsAfterTheRelayDropsTheLink) {
  std::vector<std::string> errors;
  relay_->on_control = [&](FakeRelay::Connection& c, const v1::Frame& frame) {
    if (frame.has_hello() && c.index == 0) {
      c.send(hello_ack());
      c.close_after_flush();
    } else if (frame.has_hello()) {
      c.send(hello_ack());
      c.send(ping(1, "again"));
    } else if (frame.has_response()) {
      link_->stop();
    }
  };
  start(config());
  link_->set_on_status([&](const AgentStatus& s) {
    if (!s.last_error.empty()) errors.push_back(s.last_error);
  });
  run();
  EXPECT_EQ(relay_->accepted(), 2);
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors.front().rfind("connection_closed: ", 0), 0u) << errors.front();
}

TEST_F(LinkTest, UnknownGoodbyeCodeIsRetried) {
  relay_->on_control = [&](FakeRelay::Connection& c, const v1::Frame& frame) {
    if (!frame.has_hello()) return;
    if (c.index == 0) {
      c.send(goodbye("unknown_device", "no such device"));
      c.close_after_flush();
      return;
    }
    link_->stop();
  };
  std::vector<std::string> errors;
  start(config());
  link_->set_on_status([&](const AgentStatus& s) {
    if (!s.last_error.empty()) errors.push_back(s.last_error);
  });
  run();
  EXPECT_EQ(relay_->accepted(), 2);
  EXPECT_EQ(link_->exit_code(), 0);
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors.front(), "unknown_device: the relay said goodbye: no such device");
}

TEST_F(LinkTest, SilentRelayIsDeclaredDeadAndRedialed) {
  relay_->on_control = [&](FakeRelay::Connection& c, const v1::Frame& frame) {
    if (!frame.has_hello() || c.index == 0) return;  // the first relay never answers
    link_->stop();
  };
  std::vector<std::string> errors;
  LinkConfig c = config();
  c.heartbeat = milliseconds(20);
  start(std::move(c));
  link_->set_on_status([&](const AgentStatus& s) {
    if (!s.last_error.empty()) errors.push_back(s.last_error);
  });
  run();
  EXPECT_EQ(relay_->accepted(), 2);
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors.front().rfind("heartbeat_timeout: ", 0), 0u) << errors.front();
}

TEST_F(LinkTest, SendsHeartbeatsAfterHelloAck) {
  // Per connection: a slow machine may see a 30 ms silence and redial,
  // which restarts the sequence; what matters is 1, 2, 3 on one link.
  std::map<int, std::vector<std::uint64_t>> seqs;
  std::vector<std::uint64_t> done;
  relay_->on_control = [&](FakeRelay::Connection& c, const v1::Frame& frame) {
    if (frame.has_hello()) {
      c.send(hello_ack());
    } else if (frame.has_heartbeat() && done.empty()) {
      auto& mine = seqs[c.index];
      mine.push_back(frame.heartbeat().seq());
      EXPECT_NE(frame.heartbeat().sent_at_ms(), 0);
      c.send(wire::heartbeat_ack(frame.heartbeat()));
      if (mine.size() == 3) {
        done = mine;
        link_->stop();
      }
    }
  };
  LinkConfig c = config();
  c.heartbeat = milliseconds(10);
  start(std::move(c));
  run();
  EXPECT_EQ(done, (std::vector<std::uint64_t>{1, 2, 3}));
}

TEST_F(LinkTest, HelloAckSetsTheHeartbeatInterval) {
  // Configured 30 s, the relay says 1 s: the first heartbeat comes after 1 s
  // (with 30 s the watchdog would fail the test first).
  relay_->on_control = [&](FakeRelay::Connection& c, const v1::Frame& frame) {
    if (frame.has_hello()) {
      v1::Frame ack = hello_ack();
      ack.mutable_hello_ack()->set_heartbeat_interval_ms(1000);
      c.send(std::move(ack));
    } else if (frame.has_heartbeat()) {
      EXPECT_EQ(frame.heartbeat().seq(), 1u);
      link_->stop();
    }
  };
  start(config());
  run();
  EXPECT_EQ(relay_->accepted(), 1);
}

TEST_F(LinkTest, AnswersTheRelaysHeartbeat) {
  relay_->on_control = [&](FakeRelay::Connection& c, const v1::Frame& frame) {
    if (frame.has_hello()) {
      c.send(hello_ack());
      v1::Frame beat;
      beat.mutable_heartbeat()->set_seq(77);
      beat.mutable_heartbeat()->set_sent_at_ms(1234);
      c.send(std::move(beat));
    } else if (frame.has_heartbeat_ack()) {
      EXPECT_EQ(frame.heartbeat_ack().seq(), 77u);
      EXPECT_EQ(frame.heartbeat_ack().sent_at_ms(), 1234);
      link_->stop();
    }
  };
  start(config());
  run();
  EXPECT_EQ(link_->exit_code(), 0);
}

TEST_F(LinkTest, UnknownChannelKindIsReset) {
  std::optional<wire::MuxEvent> reset;
  relay_->on_control = [&](FakeRelay::Connection& c, const v1::Frame& frame) {
    if (!frame.has_hello()) return;
    c.send(hello_ack());
    ASSERT_TRUE(c.mux.open_channel("shell").has_value());
    c.flush();
  };
  relay_->on_stream = [&](FakeRelay::Connection&, const wire::MuxEvent& event) {
    if (event.kind != wire::MuxEvent::Kind::kChannelReset) return;
    reset = event;
    link_->stop();
  };
  start(config());
  run();
  ASSERT_TRUE(reset.has_value());
  EXPECT_EQ(reset->reason, kUnsupportedChannelKind);
}

// A stream longer than the agent's send buffer, to a relay that grants
// credit only after half its (larger) window was consumed, as the real relay
// does: once the agent framed part of its buffer, the stream must hear that
// it may write again from the agent's own writes finishing. Waiting for the
// relay to send something first deadlocks, since the relay waits for data.
TEST_F(LinkTest, StreamLongerThanTheSendBufferFlowsWithoutWaitingForTheRelay) {
  constexpr std::size_t kBytes = std::size_t{3} << 20;  // three agent send buffers
  relay_->stream_window = 4u << 20;                     // first grant after 2 MiB
  auto payload = std::make_shared<std::string>(kBytes, '\0');
  for (std::size_t i = 0; i < kBytes; ++i) (*payload)[i] = static_cast<char>((i * 131) % 251);

  std::optional<Result<void>> sent;
  link_ = ok(Link::create(&loop_, config()));
  link_->channels().add("bulk", [&](const ChannelOpenInfo&, ChannelStream stream) {
    auto sender = std::make_unique<StreamSender>(std::move(stream), payload, "test payload",
                                                 [&](Result<void> r) { sent = std::move(r); });
    sender->on_writable();  // nothing else starts a stream the relay opened
    return sender;
  });
  std::string received;
  bool closed = false;
  relay_->on_control = [&](FakeRelay::Connection& c, const v1::Frame& frame) {
    if (!frame.has_hello()) return;
    c.send(hello_ack());
    ASSERT_TRUE(c.mux.open_channel("bulk").has_value());
    c.flush();
  };
  relay_->on_stream = [&](FakeRelay::Connection& c, const wire::MuxEvent& event) {
    if (event.kind == wire::MuxEvent::Kind::kChannelData) {
      received += event.data;
      c.mux.consume(event.channel, event.data.size());
      c.flush();
    } else if (event.kind == wire::MuxEvent::Kind::kChannelClosed) {
      closed = true;
      link_->stop();
    }
  };
  begin();
  run();
  ASSERT_TRUE(sent.has_value());
  EXPECT_TRUE(sent->has_value());
  EXPECT_TRUE(closed);
  EXPECT_EQ(received.size(), kBytes);
  EXPECT_TRUE(received == *payload) << "the bytes arrived changed";
}

TEST_F(LinkTest, ConnectsThroughAConnectProxy) {
  proxy_.emplace(&loop_, "HTTP/1.1 200 Connection established", relay_->port());
  relay_->on_control = [&](FakeRelay::Connection& c, const v1::Frame& frame) {
    if (frame.has_hello()) {
      c.send(hello_ack());
      c.send(ping(9, "via proxy"));
    } else if (frame.has_response()) {
      EXPECT_EQ(frame.response().pong().payload(), "via proxy");
      link_->stop();
    }
  };
  LinkConfig c = config();
  c.proxy = Endpoint{"127.0.0.1", proxy_->port()};
  start(std::move(c));
  run();
  EXPECT_EQ(relay_->accepted(), 1);
  std::string target = "127.0.0.1:" + std::to_string(relay_->port());
  EXPECT_EQ(proxy_->last_request().rfind("CONNECT " + target + " HTTP/1.1\r\nHost: " + target, 0),
            0u)
      << proxy_->last_request();
}

TEST_F(LinkTest, ProxyRefusalIsRecordedAndRetried) {
  proxy_.emplace(&loop_, "HTTP/1.1 407 Proxy Authentication Required", relay_->port());
  std::vector<std::string> errors;
  LinkConfig c = config();
  c.proxy = Endpoint{"127.0.0.1", proxy_->port()};
  start(std::move(c));
  link_->set_on_status([&](const AgentStatus& s) {
    if (s.last_error.empty() || errors.size() == 2) return;
    errors.push_back(s.last_error);
    if (errors.size() == 2) link_->stop();
  });
  run();
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].rfind("proxy_refused: ", 0), 0u) << errors[0];
  EXPECT_NE(errors[0].find("407 Proxy Authentication Required"), std::string::npos);
  EXPECT_EQ(relay_->accepted(), 0);
}

TEST_F(LinkTest, UnreachableRelayIsRetried) {
  // A port nobody listens on: bind one and close it again.
  FakeRelay closed(&loop_, server_context_.get());
  std::uint16_t dead_port = closed.port();
  closed.close();
  uv_run(&loop_, UV_RUN_NOWAIT);
  std::vector<std::string> errors;
  LinkConfig c = config();
  c.state.config.relay.port = dead_port;
  start(std::move(c));
  link_->set_on_status([&](const AgentStatus& s) {
    if (s.last_error.empty() || errors.size() == 3) return;
    errors.push_back(s.last_error);
    if (errors.size() == 3) link_->stop();
  });
  run();
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0].rfind("connect_failed: cannot connect to 127.0.0.1:", 0), 0u) << errors[0];
}

TEST_F(LinkTest, StopWhileConnectingClosesEverything) {
  start(config());
  link_->stop();
  run();
  EXPECT_EQ(link_->exit_code(), 0);
}

TEST_F(LinkTest, RelayCaNotMatchingTheStateFailsTheHandshake) {
  // A relay whose certificate comes from another CA: the pinned agent must
  // refuse it and say why.
  auto other_key = ok(tls::generate_key());
  auto other_ca =
      ok(tls::make_ca_certificate(other_key.get(), "Impostor CA", std::chrono::hours(1)));
  auto server_key = ok(tls::generate_key());
  tls::CertRequest request;
  request.common_name = "relay";
  request.subject_alt_names = {"127.0.0.1"};
  request.usage = tls::CertUsage::kServer;
  auto server_cert =
      ok(tls::sign_certificate(other_ca.get(), other_key.get(), server_key.get(), request));
  tls::Identity impostor{
      ok(tls::certificate_to_pem(server_cert.get())) + ok(tls::certificate_to_pem(other_ca.get())),
      ok(tls::private_key_to_pem(server_key.get()))};
  relay_->close();
  uv_run(&loop_, UV_RUN_NOWAIT);
  server_context_ = ok(tls::make_server_context(
      tls::ServerConfig{impostor, pki().ca_pem, tls::ClientCertMode::kOptional}));
  relay_.emplace(&loop_, server_context_.get());

  std::vector<std::string> errors;
  start(config());
  link_->set_on_status([&](const AgentStatus& s) {
    if (s.last_error.empty() || !errors.empty()) return;
    errors.push_back(s.last_error);
    link_->stop();
  });
  run();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind("tls_handshake: ", 0), 0u) << errors[0];
  EXPECT_NE(errors[0].find("failed verification"), std::string::npos) << errors[0];
}

}  // namespace
}  // namespace helpline::agent
