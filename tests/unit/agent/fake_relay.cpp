#include "tests/unit/agent/fake_relay.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace helpline::agent::testing {
namespace {

struct WriteCopy {
  uv_write_t req{};
  std::string data;
  std::function<void(int)> done;
};

void write_copy(uv_stream_t* stream, std::string data, std::function<void(int)> done) {
  auto* w = new WriteCopy;
  w->data = std::move(data);
  w->done = std::move(done);
  w->req.data = w;
  uv_buf_t buf = uv_buf_init(w->data.data(), static_cast<unsigned>(w->data.size()));
  int rc = uv_write(&w->req, stream, &buf, 1, [](uv_write_t* req, int status) {
    std::unique_ptr<WriteCopy> owned(static_cast<WriteCopy*>(req->data));
    if (owned->done) owned->done(status);
  });
  if (rc != 0) {
    auto done_cb = std::move(w->done);
    delete w;
    if (done_cb) done_cb(rc);
  }
}

void alloc_buffer(uv_handle_t* /*handle*/, std::size_t suggested, uv_buf_t* buf) {
  *buf = uv_buf_init(new char[suggested], static_cast<unsigned>(suggested));
}

std::uint16_t bind_loopback(uv_loop_t* loop, uv_tcp_t* listener, void* data,
                            uv_connection_cb on_connection) {
  uv_tcp_init(loop, listener);
  listener->data = data;
  sockaddr_in addr{};
  uv_ip4_addr("127.0.0.1", 0, &addr);
  EXPECT_EQ(uv_tcp_bind(listener, reinterpret_cast<const sockaddr*>(&addr), 0), 0);
  EXPECT_EQ(uv_listen(reinterpret_cast<uv_stream_t*>(listener), 16, on_connection), 0);
  sockaddr_storage bound{};
  int len = sizeof bound;
  uv_tcp_getsockname(listener, reinterpret_cast<sockaddr*>(&bound), &len);
  return ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
}

std::span<const std::uint8_t> as_bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

// ---- FakeRelay ------------------------------------------------------------

FakeRelay::Connection::Connection(FakeRelay* relay, int connection_index)
    : mux(wire::MuxConfig{.role = wire::Role::kRelay, .initial_window = relay->stream_window}),
      index(connection_index),
      relay_(relay) {}

void FakeRelay::Connection::send(v1::Frame frame) {
  EXPECT_TRUE(mux.send_control(std::move(frame)).has_value());
  flush();
}

void FakeRelay::Connection::flush() {
  if (closing_ || !tls_) return;
  for (int round = 0; round < 1024; ++round) {
    auto out = tls_->pending_output();
    if (!out.empty()) {
      std::string chunk(reinterpret_cast<const char*>(out.data()), out.size());
      tls_->consume_output(out.size());
      ++writes_pending_;
      write_copy(reinterpret_cast<uv_stream_t*>(&tcp_), std::move(chunk), [this](int) {
        --writes_pending_;
        maybe_close();
      });
      continue;
    }
    if (tls_->state() == tls::TlsSession::State::kOpen && mux.wants_write()) {
      auto plain = mux.pending_output();
      if (!tls_->send(plain).has_value()) break;
      mux.consume_output(plain.size());
      continue;
    }
    break;
  }
  maybe_close();
}

void FakeRelay::Connection::send_raw(const v1::Frame& frame) {
  flush();
  if (closing_ || !tls_) return;
  std::string bytes;
  if (!wire::encode_frame(frame, wire::kDefaultMaxFrameSize, bytes)) return;
  if (!tls_->send(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()))) {
    return;
  }
  flush();
}

void FakeRelay::Connection::close_after_flush() {
  close_after_flush_ = true;
  flush();
}

void FakeRelay::Connection::maybe_close() {
  if (close_after_flush_ && writes_pending_ == 0) close_now();
}

void FakeRelay::Connection::close_now() {
  if (closing_) return;
  closing_ = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), [](uv_handle_t* handle) {
    auto* self = static_cast<Connection*>(handle->data);
    FakeRelay* relay = self->relay_;
    int which = self->index;
    relay->connections_.remove_if([self](const auto& c) { return c.get() == self; });
    if (relay->on_disconnect) relay->on_disconnect(which);
  });
}

void FakeRelay::Connection::on_bytes(const char* data, std::size_t size) {
  bool was_open = tls_->state() == tls::TlsSession::State::kOpen;
  auto received = tls_->receive({reinterpret_cast<const std::uint8_t*>(data), size});
  if (!received) {
    flush();  // the alert
    close_after_flush();
    return;
  }
  if (!was_open && tls_->state() == tls::TlsSession::State::kOpen) {
    peer_common_name = tls::peer_common_name(tls_->native_handle());
  }
  std::string plain = tls_->take_plaintext();
  if (!plain.empty() && !mux.failed()) {
    (void)mux.receive(as_bytes(plain));
    while (auto event = mux.poll_event()) {
      if (closing_ || close_after_flush_) break;
      if (event->kind == wire::MuxEvent::Kind::kControl) {
        if (relay_->on_control) relay_->on_control(*this, event->control);
      } else if (relay_->on_stream) {
        relay_->on_stream(*this, *event);
      }
    }
  }
  flush();
}

FakeRelay::FakeRelay(uv_loop_t* loop, SSL_CTX* server_context)
    : loop_(loop), context_(server_context) {
  port_ = bind_loopback(loop_, &listener_, this, on_connection);
  listening_ = true;
}

FakeRelay::~FakeRelay() { EXPECT_TRUE(connections_.empty() && !listening_); }

void FakeRelay::on_connection(uv_stream_t* server, int status) {
  auto* self = static_cast<FakeRelay*>(server->data);
  if (status < 0) return;
  auto connection = std::make_unique<Connection>(self, self->accepted_++);
  Connection* c = connection.get();
  uv_tcp_init(self->loop_, &c->tcp_);
  c->tcp_.data = c;
  self->connections_.push_back(std::move(connection));
  if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&c->tcp_)) != 0) {
    c->close_now();
    return;
  }
  auto session = tls::TlsSession::server(self->context_);
  EXPECT_TRUE(session.has_value());
  if (!session) {
    c->close_now();
    return;
  }
  c->tls_.emplace(std::move(*session));
  uv_read_start(reinterpret_cast<uv_stream_t*>(&c->tcp_), alloc_buffer,
                [](uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
                  std::unique_ptr<char[]> owned(buf->base);
                  auto* conn = static_cast<Connection*>(stream->data);
                  if (conn->closing_) return;
                  if (nread < 0) {
                    conn->close_now();
                    return;
                  }
                  if (nread > 0) conn->on_bytes(buf->base, static_cast<std::size_t>(nread));
                });
}

void FakeRelay::stop_listening() {
  if (!listening_) return;
  listening_ = false;
  uv_close(reinterpret_cast<uv_handle_t*>(&listener_), nullptr);
}

void FakeRelay::close() {
  stop_listening();
  std::vector<Connection*> open;
  for (auto& c : connections_) open.push_back(c.get());
  for (Connection* c : open) c->close_now();
}

// ---- FakeProxy ------------------------------------------------------------

struct FakeProxy::Tunnel {
  FakeProxy* proxy = nullptr;
  uv_tcp_t client{};
  uv_tcp_t upstream{};
  uv_connect_t connect_req{};
  bool upstream_open = false;
  bool upstream_connected = false;
  bool closing = false;
  int open_handles = 0;
  std::string header;
  std::string early;  // client bytes after the CONNECT header

  void close() {
    if (closing) return;
    closing = true;
    auto on_closed = [](uv_handle_t* handle) {
      auto* tunnel = static_cast<Tunnel*>(handle->data);
      if (--tunnel->open_handles > 0) return;
      tunnel->proxy->tunnels_.remove_if([tunnel](const auto& t) { return t.get() == tunnel; });
    };
    uv_close(reinterpret_cast<uv_handle_t*>(&client), on_closed);
    if (upstream_open) uv_close(reinterpret_cast<uv_handle_t*>(&upstream), on_closed);
  }

  void pipe_upstream() {
    uv_read_start(reinterpret_cast<uv_stream_t*>(&upstream), alloc_buffer,
                  [](uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
                    std::unique_ptr<char[]> owned(buf->base);
                    auto* tunnel = static_cast<Tunnel*>(stream->data);
                    if (tunnel->closing) return;
                    if (nread < 0) {
                      tunnel->close();
                      return;
                    }
                    write_copy(reinterpret_cast<uv_stream_t*>(&tunnel->client),
                               std::string(buf->base, static_cast<std::size_t>(nread)), nullptr);
                  });
  }

  void on_client_bytes(const char* data, std::size_t size) {
    if (upstream_connected) {
      write_copy(reinterpret_cast<uv_stream_t*>(&upstream), std::string(data, size), nullptr);
      return;
    }
    if (upstream_open) {  // connecting: keep for later
      early.append(data, size);
      return;
    }
    header.append(data, size);
    auto end = header.find("\r\n\r\n");
    if (end == std::string::npos) return;
    early = header.substr(end + 4);
    header.resize(end + 4);
    proxy->last_request_ = header;
    bool ok = proxy->status_line_.find(" 2") == 8;
    if (!ok) {
      write_copy(reinterpret_cast<uv_stream_t*>(&client),
                 proxy->status_line_ + "\r\nVia: fake-proxy\r\n\r\n", [this](int) { close(); });
      return;
    }
    uv_tcp_init(proxy->loop_, &upstream);
    upstream.data = this;
    upstream_open = true;
    ++open_handles;
    sockaddr_in addr{};
    uv_ip4_addr("127.0.0.1", proxy->target_port_, &addr);
    connect_req.data = this;
    uv_tcp_connect(&connect_req, &upstream, reinterpret_cast<const sockaddr*>(&addr),
                   [](uv_connect_t* req, int status) {
                     auto* tunnel = static_cast<Tunnel*>(req->data);
                     if (tunnel->closing) return;
                     if (status < 0) {
                       tunnel->close();
                       return;
                     }
                     tunnel->upstream_connected = true;
                     std::string answer = tunnel->proxy->status_line_ + "\r\n\r\n";
                     write_copy(reinterpret_cast<uv_stream_t*>(&tunnel->client), answer, nullptr);
                     if (!tunnel->early.empty()) {
                       write_copy(reinterpret_cast<uv_stream_t*>(&tunnel->upstream),
                                  std::move(tunnel->early), nullptr);
                     }
                     tunnel->pipe_upstream();
                   });
  }
};

FakeProxy::FakeProxy(uv_loop_t* loop, std::string status_line, std::uint16_t target_port)
    : loop_(loop), status_line_(std::move(status_line)), target_port_(target_port) {
  port_ = bind_loopback(loop_, &listener_, this, on_connection);
  listening_ = true;
}

FakeProxy::~FakeProxy() { EXPECT_TRUE(tunnels_.empty() && !listening_); }

void FakeProxy::on_connection(uv_stream_t* server, int status) {
  auto* self = static_cast<FakeProxy*>(server->data);
  if (status < 0) return;
  auto owned = std::make_unique<Tunnel>();
  Tunnel* t = owned.get();
  t->proxy = self;
  uv_tcp_init(self->loop_, &t->client);
  t->client.data = t;
  t->open_handles = 1;
  self->tunnels_.push_back(std::move(owned));
  if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&t->client)) != 0) {
    t->close();
    return;
  }
  uv_read_start(reinterpret_cast<uv_stream_t*>(&t->client), alloc_buffer,
                [](uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
                  std::unique_ptr<char[]> bytes(buf->base);
                  auto* tunnel = static_cast<Tunnel*>(stream->data);
                  if (tunnel->closing) return;
                  if (nread < 0) {
                    tunnel->close();
                    return;
                  }
                  tunnel->on_client_bytes(buf->base, static_cast<std::size_t>(nread));
                });
}

void FakeProxy::stop_listening() {
  if (!listening_) return;
  listening_ = false;
  uv_close(reinterpret_cast<uv_handle_t*>(&listener_), nullptr);
}

void FakeProxy::close() {
  stop_listening();
  std::vector<Tunnel*> open;
  for (auto& t : tunnels_) open.push_back(t.get());
  for (Tunnel* t : open) t->close();
}

// ---- run_loop_bounded -----------------------------------------------------

void run_loop_bounded(uv_loop_t* loop, const std::function<void()>& on_timeout,
                      std::uint64_t limit_ms) {
  struct Watchdog {
    uv_timer_t timer{};
    const std::function<void()>* on_timeout = nullptr;
  } watchdog;
  watchdog.on_timeout = &on_timeout;
  uv_timer_init(loop, &watchdog.timer);
  watchdog.timer.data = &watchdog;
  uv_timer_start(
      &watchdog.timer,
      [](uv_timer_t* timer) {
        auto* self = static_cast<Watchdog*>(timer->data);
        ADD_FAILURE() << "the loop did not finish in time";
        (*self->on_timeout)();
      },
      limit_ms, 0);
  // The watchdog must not keep the loop alive by itself.
  uv_unref(reinterpret_cast<uv_handle_t*>(&watchdog.timer));
  uv_run(loop, UV_RUN_DEFAULT);
  uv_close(reinterpret_cast<uv_handle_t*>(&watchdog.timer), nullptr);
  uv_run(loop, UV_RUN_DEFAULT);
}

}  // namespace helpline::agent::testing
