#include "agent/link/transport.h"

#include <cassert>
#include <cstring>
#include <utility>

namespace helpline::agent {
namespace {

constexpr std::size_t kReadBufferSize = 64u * 1024;
constexpr std::size_t kMaxAddresses = 16;
constexpr std::chrono::milliseconds kProtocolErrorFlush{1000};
// pump() writes whole frames and TLS records; this only bounds a bug.
constexpr int kMaxPumpRounds = 4096;

[[nodiscard]] std::string uv_error(int code) { return uv_strerror(code); }

[[nodiscard]] std::string address_string(const sockaddr_storage& address) {
  char host[INET6_ADDRSTRLEN] = "?";
  std::uint16_t port = 0;
  if (address.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address);
    uv_ip6_name(in6, host, sizeof host);
    port = ntohs(in6->sin6_port);
    return std::string("[") + host + "]:" + std::to_string(port);
  }
  const auto* in4 = reinterpret_cast<const sockaddr_in*>(&address);
  uv_ip4_name(in4, host, sizeof host);
  port = ntohs(in4->sin_port);
  return std::string(host) + ":" + std::to_string(port);
}

[[nodiscard]] std::uint64_t to_uv_ms(std::chrono::milliseconds ms) {
  return ms.count() > 0 ? static_cast<std::uint64_t>(ms.count()) : 0;
}

[[nodiscard]] std::span<const std::uint8_t> as_bytes(const std::string& text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace

struct Transport::WriteRequest {
  uv_write_t req{};
  std::string data;
  Transport* owner = nullptr;
};

Transport::Transport(uv_loop_t* loop, TransportConfig config, TransportCallbacks callbacks)
    : loop_(loop),
      config_(std::move(config)),
      callbacks_(std::move(callbacks)),
      mux_(config_.mux),
      read_buffer_(std::make_unique<char[]>(kReadBufferSize)) {}

Transport::~Transport() {
  // libuv still points into this object until every close callback ran.
  assert(stage_ == Stage::kIdle || stage_ == Stage::kClosed);
}

void Transport::start() {
  if (stage_ != Stage::kIdle) return;
  stage_ = Stage::kResolving;
  uv_timer_init(loop_, &timer_);
  timer_.data = this;
  timer_open_ = true;
  uv_timer_start(&timer_, on_timer, to_uv_ms(config_.connect_timeout), 0);

  const Endpoint& target = config_.proxy ? *config_.proxy : config_.relay;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  resolve_req_.data = this;
  std::string port = std::to_string(target.port);
  int rc =
      uv_getaddrinfo(loop_, &resolve_req_, on_resolved, target.host.c_str(), port.c_str(), &hints);
  if (rc != 0) {
    finish(Error{"resolve_failed", "cannot resolve " + target.host + ": " + uv_error(rc)});
    return;
  }
  resolving_ = true;
}

void Transport::on_resolved(uv_getaddrinfo_t* req, int status, struct addrinfo* res) {
  auto* self = static_cast<Transport*>(req->data);
  self->resolving_ = false;
  if (self->stage_ >= Stage::kClosing) {
    if (res != nullptr) uv_freeaddrinfo(res);
    self->maybe_closed();
    return;
  }
  const Endpoint& target = self->config_.proxy ? *self->config_.proxy : self->config_.relay;
  if (status < 0) {
    self->finish(
        Error{"resolve_failed", "cannot resolve " + target.host + ": " + uv_error(status)});
    return;
  }
  for (const addrinfo* ai = res; ai != nullptr && self->addresses_.size() < kMaxAddresses;
       ai = ai->ai_next) {
    if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
        ai->ai_addrlen > sizeof(sockaddr_storage)) {
      continue;
    }
    sockaddr_storage address{};
    std::memcpy(&address, ai->ai_addr, ai->ai_addrlen);
    self->addresses_.push_back(address);
  }
  uv_freeaddrinfo(res);
  if (self->addresses_.empty()) {
    self->finish(Error{"resolve_failed", target.host + " has no IPv4 or IPv6 address"});
    return;
  }
  self->stage_ = Stage::kConnecting;
  self->connect_next();
}

void Transport::connect_next() {
  if (next_address_ >= addresses_.size()) {
    finish(Error{"connect_failed", last_connect_error_});
    return;
  }
  const sockaddr_storage& address = addresses_[next_address_++];
  uv_tcp_init(loop_, &tcp_);
  tcp_.data = this;
  tcp_open_ = true;
  uv_tcp_nodelay(&tcp_, 1);
  uv_tcp_keepalive(&tcp_, 1, 60);
  connect_req_.data = this;
  int rc = uv_tcp_connect(&connect_req_, &tcp_, reinterpret_cast<const sockaddr*>(&address),
                          on_connected);
  if (rc != 0) {
    last_connect_error_ = "cannot connect to " + address_string(address) + ": " + uv_error(rc);
    close_tcp_for_retry();
  }
}

void Transport::on_connected(uv_connect_t* req, int status) {
  auto* self = static_cast<Transport*>(req->data);
  if (self->stage_ >= Stage::kClosing) return;  // canceled by finish()
  if (status < 0) {
    std::string what = self->config_.proxy ? "cannot connect to proxy " : "cannot connect to ";
    self->last_connect_error_ =
        what + address_string(self->addresses_[self->next_address_ - 1]) + ": " + uv_error(status);
    self->close_tcp_for_retry();
    return;
  }
  self->on_tcp_connected();
}

void Transport::close_tcp_for_retry() {
  tcp_open_ = false;
  retry_after_close_ = true;
  ++closes_pending_;
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), on_tcp_closed);
}

void Transport::on_tcp_connected() {
  int rc = uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), on_alloc, on_read);
  if (rc != 0) {
    finish(Error{"io_error", "cannot read from the connection: " + uv_error(rc)});
    return;
  }
  if (config_.proxy) {
    stage_ = Stage::kProxyHandshake;
    write_raw(make_connect_request(config_.relay));
    return;
  }
  start_tls();
}

void Transport::start_tls() {
  auto session = tls::TlsSession::client(config_.tls_context, config_.relay.host);
  if (!session) {
    finish(session.error());
    return;
  }
  tls_.emplace(std::move(*session));
  stage_ = Stage::kTlsHandshake;
  auto advanced = tls_->advance();
  if (!advanced) {
    finish(tls_failure(advanced.error()));
    return;
  }
  pump();
}

void Transport::on_alloc(uv_handle_t* handle, std::size_t /*suggested*/, uv_buf_t* buf) {
  auto* self = static_cast<Transport*>(handle->data);
  *buf = uv_buf_init(self->read_buffer_.get(), static_cast<unsigned>(kReadBufferSize));
}

void Transport::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* self = static_cast<Transport*>(stream->data);
  if (self->stage_ >= Stage::kClosing || nread == 0) return;
  if (nread == UV_EOF) {
    if (self->stage_ == Stage::kDraining) {
      self->finish(*self->drain_error_);
    } else if (self->stage_ == Stage::kProxyHandshake) {
      self->finish(
          Error{"proxy_error", "the proxy closed the connection before answering CONNECT"});
    } else if (self->stage_ == Stage::kTlsHandshake) {
      self->finish(
          Error{"connection_closed", "the relay closed the connection during the TLS handshake"});
    } else {
      self->finish(Error{"connection_closed", "the relay closed the connection"});
    }
    return;
  }
  if (nread < 0) {
    self->finish(Error{"io_error",
                       "reading from the connection failed: " + uv_error(static_cast<int>(nread))});
    return;
  }
  std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(buf->base),
                                      static_cast<std::size_t>(nread));
  if (self->stage_ == Stage::kProxyHandshake) {
    auto used = self->proxy_parser_.put(bytes);
    if (!used) {
      self->finish(used.error());
      return;
    }
    if (!self->proxy_parser_.done()) return;
    bytes = bytes.subspan(*used);
    self->start_tls();
    if (self->stage_ >= Stage::kClosing || bytes.empty()) return;
  }
  self->feed_tls(bytes);
}

void Transport::feed_tls(std::span<const std::uint8_t> bytes) {
  if (!tls_) return;
  auto received = tls_->receive(bytes);
  if (!received) {
    finish(tls_failure(received.error()));
    return;
  }
  if (stage_ == Stage::kTlsHandshake && tls_->state() == tls::TlsSession::State::kOpen) {
    stage_ = Stage::kOpen;
    uv_timer_stop(&timer_);
    if (callbacks_.on_open) callbacks_.on_open();
    if (stage_ >= Stage::kClosing) return;
  }
  std::string plaintext = tls_->take_plaintext();
  // While draining, what the peer sends is no longer of interest.
  if (!plaintext.empty() && stage_ == Stage::kOpen) {
    auto accepted = mux_.receive(as_bytes(plaintext));
    deliver_events();
    if (stage_ >= Stage::kClosing) return;
    if (!accepted) {
      // The multiplexer queued a Goodbye naming the error: send it, then close.
      begin_draining(accepted.error(), kProtocolErrorFlush);
      return;
    }
  }
  if (tls_->state() == tls::TlsSession::State::kClosed) {
    finish(stage_ == Stage::kDraining && drain_error_
               ? *drain_error_
               : Error{"connection_closed", "the relay closed the TLS session"});
    return;
  }
  pump();
}

void Transport::deliver_events() {
  while (stage_ == Stage::kOpen) {
    auto event = mux_.poll_event();
    if (!event) break;
    if (callbacks_.on_event) callbacks_.on_event(std::move(*event));
  }
}

Result<void> Transport::send_control(v1::Frame frame) {
  if (stage_ != Stage::kOpen) {
    return fail("not_open", "the connection to the relay is not open");
  }
  auto queued = mux_.send_control(std::move(frame));
  if (!queued) return queued;
  pump();
  return {};
}

void Transport::pump() {
  if (stage_ < Stage::kProxyHandshake || stage_ >= Stage::kClosing || !tls_) return;
  for (int round = 0; round < kMaxPumpRounds; ++round) {
    auto ciphertext = tls_->pending_output();
    if (!ciphertext.empty()) {
      std::string chunk(reinterpret_cast<const char*>(ciphertext.data()), ciphertext.size());
      tls_->consume_output(ciphertext.size());
      write_raw(std::move(chunk));
      if (stage_ >= Stage::kClosing) return;
      continue;
    }
    if (in_flight_ >= kMaxBytesInFlight) break;
    bool open = stage_ == Stage::kOpen || stage_ == Stage::kDraining;
    if (open && mux_.wants_write()) {
      auto plaintext = mux_.pending_output(kMaxBytesInFlight - in_flight_);
      if (plaintext.empty()) break;
      auto sent = tls_->send(plaintext);
      if (!sent) {
        finish(sent.error());
        return;
      }
      mux_.consume_output(plaintext.size());
      continue;
    }
    if (stage_ == Stage::kDraining && !close_notify_sent_) {
      tls_->shutdown();
      close_notify_sent_ = true;
      continue;
    }
    break;
  }
  if (stage_ == Stage::kDraining && close_notify_sent_ && in_flight_ == 0 &&
      tls_->pending_output().empty()) {
    finish(*drain_error_);
  }
}

void Transport::write_raw(std::string data) {
  auto request = std::make_unique<WriteRequest>();
  request->data = std::move(data);
  request->owner = this;
  request->req.data = request.get();
  uv_buf_t buf = uv_buf_init(request->data.data(), static_cast<unsigned>(request->data.size()));
  int rc = uv_write(&request->req, reinterpret_cast<uv_stream_t*>(&tcp_), &buf, 1, on_written);
  if (rc != 0) {
    finish(Error{"io_error", "writing to the connection failed: " + uv_error(rc)});
    return;
  }
  in_flight_ += request->data.size();
  (void)request.release();  // on_written owns it now
}

void Transport::on_written(uv_write_t* req, int status) {
  std::unique_ptr<WriteRequest> request(static_cast<WriteRequest*>(req->data));
  Transport* self = request->owner;
  self->in_flight_ -= request->data.size();
  if (self->stage_ >= Stage::kClosing) return;
  if (status < 0) {
    self->finish(Error{"io_error", "writing to the connection failed: " + uv_error(status)});
    return;
  }
  self->pump();
  // Framing output may have made a channel writable again; its handler must
  // hear it now, not when the relay next happens to send something.
  self->deliver_events();
}

void Transport::on_timer(uv_timer_t* timer) {
  auto* self = static_cast<Transport*>(timer->data);
  if (self->stage_ == Stage::kDraining) {
    self->finish(*self->drain_error_);
    return;
  }
  if (self->stage_ < Stage::kOpen) {
    auto seconds = std::chrono::duration_cast<std::chrono::seconds>(self->config_.connect_timeout);
    self->finish(Error{"connect_timeout", "no connection to the relay within " +
                                              std::to_string(seconds.count()) + " s (while " +
                                              self->stage_name() + ")"});
  }
}

void Transport::shutdown(std::string reason, std::chrono::milliseconds bound) {
  if (stage_ >= Stage::kDraining) return;
  if (stage_ != Stage::kOpen) {
    finish(Error{"shutdown", std::move(reason)});
    return;
  }
  mux_.shutdown(reason);
  begin_draining(Error{"shutdown", std::move(reason)}, bound);
}

void Transport::begin_draining(std::optional<Error> final_error, std::chrono::milliseconds bound) {
  stage_ = Stage::kDraining;
  drain_error_ = std::move(final_error);
  uv_timer_start(&timer_, on_timer, to_uv_ms(bound), 0);
  pump();
}

void Transport::abort(Error reason) { finish(std::move(reason)); }

void Transport::finish(Error reason) {
  if (stage_ >= Stage::kClosing || stage_ == Stage::kIdle) return;
  stage_ = Stage::kClosing;
  close_reason_ = std::move(reason);
  if (resolving_) uv_cancel(reinterpret_cast<uv_req_t*>(&resolve_req_));
  // Closing the TCP handle also completes a pending connect and every
  // pending write with UV_ECANCELED, before on_tcp_closed runs.
  if (tcp_open_) {
    tcp_open_ = false;
    ++closes_pending_;
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), on_tcp_closed);
  }
  if (timer_open_) {
    timer_open_ = false;
    ++closes_pending_;
    uv_close(reinterpret_cast<uv_handle_t*>(&timer_), on_timer_closed);
  }
}

void Transport::on_tcp_closed(uv_handle_t* handle) {
  auto* self = static_cast<Transport*>(handle->data);
  --self->closes_pending_;
  if (self->retry_after_close_) {
    self->retry_after_close_ = false;
    if (self->stage_ == Stage::kConnecting) {
      self->connect_next();
      return;
    }
  }
  self->maybe_closed();
}

void Transport::on_timer_closed(uv_handle_t* handle) {
  auto* self = static_cast<Transport*>(handle->data);
  --self->closes_pending_;
  self->maybe_closed();
}

void Transport::maybe_closed() {
  if (stage_ != Stage::kClosing || closes_pending_ > 0 || resolving_) return;
  stage_ = Stage::kClosed;
  Error reason = close_reason_.value_or(Error{"closed", "the connection was closed"});
  auto on_closed = std::move(callbacks_.on_closed);
  callbacks_ = {};
  // Last statement: the owner may destroy this object inside the callback.
  if (on_closed) on_closed(reason);
}

std::string Transport::stage_name() const {
  switch (stage_) {
    case Stage::kResolving:
      return "resolving " + (config_.proxy ? config_.proxy->host : config_.relay.host);
    case Stage::kConnecting:
      return config_.proxy ? "connecting to the proxy" : "connecting";
    case Stage::kProxyHandshake:
      return "waiting for the proxy to answer CONNECT";
    case Stage::kTlsHandshake:
      return "in the TLS handshake";
    default:
      return "connected";
  }
}

Error Transport::tls_failure(const Error& error) const {
  Error out = error;
  if (tls_) {
    std::string why = tls::verify_failure_reason(tls_->native_handle());
    if (!why.empty() && out.message.find(why) == std::string::npos) out.message += ": " + why;
  }
  return out;
}

}  // namespace helpline::agent
