// The agent's session manager against a scripted relay on a real link (TLS
// and multiplexer on the test's loop): refusals of bad requests and bad
// streams name their reason, data a misbehaving relay sends on a channel
// that is already closed is dropped, and through all of it the session and
// its shell keep working until the relay closes the session. A forward
// stream passes the relay's end on to the local server.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <unistd.h>
#include <uv.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>

#include "agent/consent/consent_broker.h"
#include "agent/session/session.h"
#include "common/session/session.h"
#include "tests/unit/agent/agent_test_support.h"
#include "tests/unit/agent/fake_relay.h"

namespace helpline::agent {
namespace {

[[nodiscard]] std::string me() {
  struct passwd* pw = ::getpwuid(::geteuid());
  return pw != nullptr ? pw->pw_name : "root";
}

v1::Frame open_frame(std::uint64_t id, std::vector<std::string> caps) {
  v1::Frame frame;
  frame.mutable_request()->set_id(id);
  v1::SessionOpen* open = frame.mutable_request()->mutable_session_open();
  open->set_session_id("ses_00112233445566" + std::string(id < 10 ? "0" : "") +
                       std::to_string(id));
  open->set_technician("alice");
  open->set_technician_role("l3");
  open->set_ticket_id(12);
  open->set_reason("printer queue stuck");
  for (auto& c : caps) open->add_capabilities(c);
  open->set_policy("unattended");
  return frame;
}

std::string shell_frame(const v1::ShellFrame& f) {
  return ::helpline::session::frame(f.SerializeAsString());
}

struct Streams {
  std::map<std::uint32_t, std::string> resets;  // channel -> reason
  std::map<std::uint32_t, std::string> output;  // shell data per channel
  std::map<std::uint32_t, std::string> notices;
  std::map<std::uint32_t, ::helpline::session::MessageDecoder> decoders;
};

// The agent's side of these tests on one loop: a scripted relay, a link to
// it, a consent broker that sees this user logged in, and, once
// start_sessions() is called, the session manager.
struct Endpoint {
  Endpoint() {
    EXPECT_EQ(uv_loop_init(&loop), 0);
    server_context = testing::ok(tls::make_server_context(tls::ServerConfig{
        testing::pki().server, testing::pki().ca_pem, tls::ClientCertMode::kOptional}));
    relay.emplace(&loop, server_context.get());
    LinkConfig config;
    config.state = testing::make_state(dir.path(), relay->port());
    config.host = HostInfo{"testhost", "linux-test", "Test OS 1"};
    link = testing::ok(Link::create(&loop, std::move(config)));
    consent::ConsentOptions consent_options;
    consent_options.logged_in_user = [] { return std::optional<std::string>(me()); };
    consent_options.notify = [](const actions::ConsentRequest&, bool) {};
    broker = std::make_unique<consent::ConsentBroker>(&loop, consent_options);
  }

  // Sessions that need nobody's approval, with `configure`'s limits.
  void start_sessions(const std::function<void(SessionsConfig&)>& configure) {
    SessionsConfig sessions;
    sessions.consent_policy = ::helpline::session::Policy::kUnattended;
    configure(sessions);
    audit = testing::ok(LocalAudit::open(dir.path() / kLocalAuditFile));
    manager = testing::ok(session::SessionManager::create(&loop, *link, *broker, sessions, *audit));
    manager->attach();
  }

  uv_loop_t loop{};
  testing::TempDir dir;
  tls::SslCtxPtr server_context;
  std::optional<testing::FakeRelay> relay;
  std::unique_ptr<Link> link;
  std::unique_ptr<consent::ConsentBroker> broker;
  std::unique_ptr<LocalAudit> audit;
  std::unique_ptr<session::SessionManager> manager;
};

TEST(SessionManager, RefusesBadInputWithReasonsAndKeepsTheSessionRunning) {
  Endpoint e;
  e.start_sessions([&](SessionsConfig& sessions) {
    sessions.file_roots = {e.dir.path().string()};
    sessions.forward_ports = {5900};
    sessions.shell = "/bin/sh";
  });
  uv_loop_t& loop = e.loop;
  auto& relay = e.relay;
  auto& link = e.link;
  auto& broker = *e.broker;
  auto& manager = e.manager;

  std::map<std::uint64_t, v1::Response> answers;
  Streams streams;
  const std::string session_id = "ses_0011223344556602";
  std::uint32_t outside = 0, huge = 0, port22 = 0, shell = 0, bad_frames = 0;
  int step = 0;

  auto open_stream = [&](testing::FakeRelay::Connection& c, const std::string& kind,
                         v1::SessionStreamOpen open) {
    open.set_session_id(session_id);
    auto id = c.mux.open_channel(kind, open.SerializeAsString());
    EXPECT_TRUE(id);
    c.flush();
    return id ? *id : 0u;
  };
  auto write = [&](testing::FakeRelay::Connection& c, std::uint32_t ch, const std::string& bytes) {
    auto n = c.mux.write(ch, std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
    EXPECT_TRUE(n && *n == bytes.size());
    c.flush();
  };
  auto type = [&](testing::FakeRelay::Connection& c, std::uint32_t ch, const std::string& text) {
    v1::ShellFrame f;
    f.set_data(text);
    write(c, ch, shell_frame(f));
  };

  relay->on_control = [&](testing::FakeRelay::Connection& c, const v1::Frame& frame) {
    if (frame.has_hello()) {
      v1::Frame ack;
      ack.mutable_hello_ack()->set_relay_version("script");
      c.send(std::move(ack));
      c.send(open_frame(1, {"shell", "teleport"}));
      c.send(open_frame(2, {"shell", "files", "forward"}));
      return;
    }
    if (!frame.has_response()) return;
    answers[frame.response().id()] = frame.response();
    if (frame.response().id() == 2 && frame.response().has_session_open()) {
      v1::SessionStreamOpen pull;
      pull.mutable_file()->set_path("/etc/passwd");
      outside = open_stream(c, "file_pull", pull);
      v1::SessionStreamOpen big;
      big.mutable_shell()->set_cols(100000);
      big.mutable_shell()->set_rows(24);
      huge = open_stream(c, "shell", big);
      v1::SessionStreamOpen fwd;
      fwd.mutable_forward()->set_port(22);
      port22 = open_stream(c, "forward", fwd);
      v1::SessionStreamOpen sh;
      sh.mutable_shell()->set_cols(80);
      sh.mutable_shell()->set_rows(24);
      sh.mutable_shell()->set_term("dumb");
      shell = open_stream(c, "shell", sh);
      bad_frames = open_stream(c, "shell", sh);
      step = 1;
    }
    if (frame.response().id() == 3) link->stop();
  };
  relay->on_stream = [&](testing::FakeRelay::Connection& c, const wire::MuxEvent& event) {
    using Kind = wire::MuxEvent::Kind;
    if (event.kind == Kind::kChannelReset) {
      streams.resets[event.channel] = event.reason;
      if (event.channel == outside) {
        // A misbehaving relay keeps sending on the channel the agent reset.
        v1::Frame raw;
        raw.set_channel(outside);
        raw.mutable_data()->set_data("more bytes after the reset");
        c.send_raw(raw);
      }
    }
    if (event.kind == Kind::kChannelOpened || event.kind == Kind::kChannelWritable) return;
    if (event.kind != Kind::kChannelData) return;
    c.mux.consume(event.channel, event.data.size());
    auto& decoder = streams.decoders[event.channel];
    ASSERT_TRUE(decoder.feed(event.data));
    while (auto m = decoder.next()) {
      v1::ShellFrame f;
      ASSERT_TRUE(f.ParseFromString(*m));
      if (f.has_data()) streams.output[event.channel] += f.data();
      if (f.has_notice()) streams.notices[event.channel] += f.notice() + "\n";
    }
    if (event.channel != shell) return;
    const std::string& out = streams.output[shell];
    if (step == 1 && !out.empty()) {
      // A window too large, a signal nobody may send, then a command.
      v1::ShellFrame resize;
      resize.mutable_resize()->set_cols(5000);
      resize.mutable_resize()->set_rows(5000);
      write(c, shell, shell_frame(resize));
      v1::ShellFrame sig;
      sig.set_signal("SEGV");
      write(c, shell, shell_frame(sig));
      // A length prefix far above the limit on the other shell.
      write(c, bad_frames, std::string("\x7f\xff\xff\xff", 4));
      type(c, shell, "echo first-$((6*7))\n");
      step = 2;
    } else if (step == 2 && out.find("first-42") != std::string::npos) {
      type(c, shell, "echo second-$((7*7))\n");
      step = 3;
    } else if (step == 3 && out.find("second-49") != std::string::npos) {
      v1::Frame close;
      close.mutable_request()->set_id(3);
      close.mutable_request()->mutable_session_close()->set_session_id(session_id);
      close.mutable_request()->mutable_session_close()->set_reason("done");
      c.send(std::move(close));
      step = 4;
    }
  };
  link->set_on_stopped([&] {
    manager->close([&] { broker.close([] {}); });
    relay->stop_listening();
  });
  link->start();
  testing::run_loop_bounded(&loop, [&] {
    link->stop();
    relay->close();
  });

  ASSERT_TRUE(answers.count(1));
  EXPECT_EQ(answers[1].error().code(), "bad_capability");
  EXPECT_NE(answers[1].error().message().find("teleport"), std::string::npos);
  ASSERT_TRUE(answers.count(2));
  EXPECT_EQ(answers[2].session_open().decision(), "unattended");
  EXPECT_EQ(answers[2].session_open().shell_user(), me());
  EXPECT_EQ(streams.resets[outside].rfind("path_not_allowed:", 0), 0u) << streams.resets[outside];
  EXPECT_EQ(streams.resets[huge].rfind("bad_window:", 0), 0u) << streams.resets[huge];
  EXPECT_EQ(streams.resets[port22].rfind("port_not_allowed:", 0), 0u) << streams.resets[port22];
  EXPECT_EQ(streams.resets[bad_frames].rfind("bad_frame:", 0), 0u) << streams.resets[bad_frames];
  EXPECT_NE(streams.notices[shell].find("terminal size 5000x5000 refused"), std::string::npos)
      << streams.notices[shell];
  EXPECT_NE(streams.notices[shell].find("signal 'SEGV' refused"), std::string::npos);
  EXPECT_NE(streams.output[shell].find("second-49"), std::string::npos) << streams.output[shell];
  ASSERT_TRUE(answers.count(3));
  EXPECT_TRUE(answers[3].session_close().was_active());
  EXPECT_EQ(streams.resets[shell].rfind("session_ended: done", 0), 0u) << streams.resets[shell];
  EXPECT_TRUE(manager->active().empty());

  link.reset();
  manager.reset();
  relay.reset();
  EXPECT_EQ(uv_loop_close(&loop), 0) << "a libuv handle was left open";
}


// A TCP server on the test's loop that answers a connection with what it
// received, once the client has shut its side (as a request-response
// service does), then shuts its own side.
class EchoAtEnd {
 public:
  explicit EchoAtEnd(uv_loop_t* loop) {
    uv_tcp_init(loop, &server_);
    server_.data = this;
    sockaddr_in addr{};
    uv_ip4_addr("127.0.0.1", 0, &addr);
    EXPECT_EQ(uv_tcp_bind(&server_, reinterpret_cast<const sockaddr*>(&addr), 0), 0);
    EXPECT_EQ(uv_listen(reinterpret_cast<uv_stream_t*>(&server_), 4, &on_connection), 0);
    sockaddr_storage bound{};
    int len = sizeof bound;
    uv_tcp_getsockname(&server_, reinterpret_cast<sockaddr*>(&bound), &len);
    port_ = ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  }
  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] bool saw_end() const { return saw_end_; }
  void close() {
    uv_close(reinterpret_cast<uv_handle_t*>(&server_), nullptr);
    if (accepted_) uv_close(reinterpret_cast<uv_handle_t*>(&client_), nullptr);
  }

 private:
  static void on_connection(uv_stream_t* server, int status) {
    auto* self = static_cast<EchoAtEnd*>(server->data);
    if (status != 0 || self->accepted_) return;
    uv_tcp_init(server->loop, &self->client_);
    self->client_.data = self;
    if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&self->client_)) != 0) return;
    self->accepted_ = true;
    uv_read_start(
        reinterpret_cast<uv_stream_t*>(&self->client_),
        [](uv_handle_t* h, std::size_t, uv_buf_t* buf) {
          auto* me = static_cast<EchoAtEnd*>(h->data);
          *buf = uv_buf_init(me->buffer_, sizeof me->buffer_);
        },
        [](uv_stream_t* stream, ssize_t n, const uv_buf_t*) {
          auto* me = static_cast<EchoAtEnd*>(stream->data);
          if (n > 0) me->received_.append(me->buffer_, static_cast<std::size_t>(n));
          if (n != UV_EOF) return;
          me->saw_end_ = true;
          uv_read_stop(stream);
          uv_buf_t out = uv_buf_init(me->received_.data(),
                                     static_cast<unsigned>(me->received_.size()));
          uv_write(&me->write_, stream, &out, 1, nullptr);
          uv_shutdown(&me->shutdown_, stream, nullptr);
        });
  }

  uv_tcp_t server_{};
  uv_tcp_t client_{};
  uv_write_t write_{};
  uv_shutdown_t shutdown_{};
  bool accepted_ = false;
  bool saw_end_ = false;
  std::uint16_t port_ = 0;
  std::string received_;
  char buffer_[4096];
};

// The relay opens a forward stream, sends a request and ends its side in
// one burst. The end must reach the local server (after the request), or a
// request-response service never answers; the answer and the server's end
// come back. (Whether the burst arrives before the agent's connection to
// the local port is up depends on the loop's order; forward_channel.cpp
// handles both.)
TEST(SessionManager, ForwardPassesTheRelaysEndToTheLocalServer) {
  Endpoint e;
  EchoAtEnd echo(&e.loop);
  e.start_sessions([&](SessionsConfig& sessions) { sessions.forward_ports = {echo.port()}; });
  uv_loop_t& loop = e.loop;
  auto& relay = e.relay;
  auto& link = e.link;
  auto& broker = *e.broker;
  auto& manager = e.manager;

  const std::string request = "GET / HTTP/1.0\r\n\r\n";
  std::uint32_t forward = 0;
  std::string answer;
  bool answer_ended = false;
  std::optional<std::string> reset;

  relay->on_control = [&](testing::FakeRelay::Connection& c, const v1::Frame& frame) {
    if (frame.has_hello()) {
      v1::Frame ack;
      ack.mutable_hello_ack()->set_relay_version("script");
      c.send(std::move(ack));
      c.send(open_frame(1, {"forward"}));
      return;
    }
    if (!frame.has_response()) return;
    if (frame.response().id() == 1) {
      ASSERT_TRUE(frame.response().has_session_open()) << frame.response().DebugString();
      v1::SessionStreamOpen open;
      open.set_session_id("ses_0011223344556601");
      open.mutable_forward()->set_port(echo.port());
      auto id = c.mux.open_channel("forward", open.SerializeAsString());
      ASSERT_TRUE(id);
      forward = *id;
      auto n = c.mux.write(forward, std::span(reinterpret_cast<const std::uint8_t*>(request.data()),
                                              request.size()));
      ASSERT_TRUE(n && *n == request.size());
      ASSERT_TRUE(c.mux.close_channel(forward));
      c.flush();  // open, data and end in one burst
    }
    if (frame.response().id() == 2) link->stop();
  };
  relay->on_stream = [&](testing::FakeRelay::Connection& c, const wire::MuxEvent& event) {
    using Kind = wire::MuxEvent::Kind;
    if (event.channel != forward) return;
    if (event.kind == Kind::kChannelData) {
      c.mux.consume(event.channel, event.data.size());
      answer += event.data;
    } else if (event.kind == Kind::kChannelReset) {
      reset = event.reason;
    } else if (event.kind == Kind::kChannelClosed) {
      answer_ended = true;
    } else {
      return;
    }
    if (answer_ended || reset) {
      v1::Frame close;
      close.mutable_request()->set_id(2);
      close.mutable_request()->mutable_session_close()->set_session_id("ses_0011223344556601");
      close.mutable_request()->mutable_session_close()->set_reason("done");
      c.send(std::move(close));
    }
  };
  link->set_on_stopped([&] {
    manager->close([&] { broker.close([] {}); });
    relay->stop_listening();
    echo.close();
  });
  link->start();
  testing::run_loop_bounded(&loop, [&] {
    link->stop();
    relay->close();
  });

  EXPECT_FALSE(reset.has_value()) << *reset;
  EXPECT_TRUE(echo.saw_end()) << "the local server never saw the relay's end";
  EXPECT_EQ(answer, request);
  EXPECT_TRUE(answer_ended);

  link.reset();
  manager.reset();
  relay.reset();
  EXPECT_EQ(uv_loop_close(&loop), 0) << "a libuv handle was left open";
}

}  // namespace
}  // namespace helpline::agent
