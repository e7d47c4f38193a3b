#include "server/tunnel/agent_session.h"

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include "common/wire/liveness.h"
#include "server/tunnel/tunnel.h"

namespace helpline::relay {

namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kTlsChunk = 32 * 1024;  // plaintext moved into TLS per step
// Credit the relay grants an agent per stream. Data from the agent passes
// the relay's event loop and the technician's connection (or the blob
// store) before the credit goes back, so the window must cover that whole
// loop: 256 KiB held a session pull to about 95 MiB/s, 1 MiB gives about
// 115-135 MiB/s (session_bench). A stream holds at most this much at the
// relay; an idle link holds none.
constexpr std::uint32_t kStreamWindow = 1024u * 1024;
constexpr std::chrono::milliseconds kMinHeartbeat{500};
constexpr std::chrono::milliseconds kMaxHeartbeat{10 * 60 * 1000};
constexpr std::chrono::seconds kSetupTimeout{10};       // TLS handshake + hello or enrollment
constexpr std::chrono::milliseconds kHeartbeatGrace{2000};
constexpr std::chrono::seconds kCloseTimeout{5};        // flushing a Goodbye

// The relay sends the heartbeat of an online link itself, on the tunnel's
// once-a-second sweep, once the link has been silent on its side for the
// interval less a lead. The agent's answer counts as its own send and moves
// its heartbeat timer on, so an idle link carries one exchange per interval,
// started by the relay: the pings of every link due in the same second go out
// together and their answers come back together, and the relay wakes about
// once a second for all of them instead of once per agent heartbeat. The lead
// covers the sweep's granularity (1 s) plus 1/20 of the interval (at least
// half a second) of delay; an interval under twice the lead (3 s) stays
// driven by the agent alone. Either way both ends answer every Heartbeat.
constexpr std::chrono::milliseconds kSweepGranularity{1000};
[[nodiscard]] std::optional<std::chrono::milliseconds> relay_ping_after(
    std::chrono::milliseconds interval) {
  auto lead = kSweepGranularity + std::max(interval / 20, std::chrono::milliseconds(500));
  if (interval < 2 * lead) return std::nullopt;
  return interval - lead;
}

// The socket had nothing to read, or no room to write, just now (the
// call then moved no bytes).
[[nodiscard]] bool would_block(const boost::system::error_code& ec) {
  return ec == asio::error::would_block || ec == asio::error::try_again;
}

[[nodiscard]] std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

[[nodiscard]] std::string describe_remote(const tcp::socket& socket) {
  boost::system::error_code ec;
  auto endpoint = socket.remote_endpoint(ec);
  if (ec) return "unknown";
  // Built step by step: GCC 12 warns (-Wstringop-overflow, a false
  // positive) on the chained operator+ at -O3.
  auto address = endpoint.address();
  std::string text;
  if (address.is_v6()) {
    text = '[';
    text += address.to_string();
    text += ']';
  } else {
    text = address.to_string();
  }
  text += ':';
  text += std::to_string(endpoint.port());
  return text;
}

}  // namespace

struct AgentSession::Pending {
  explicit Pending(const asio::any_io_executor& executor) : timer(executor) {}
  asio::steady_timer timer;
  std::optional<Result<v1::Response>> result;
};

AgentSession::AgentSession(tcp::socket socket, Tunnel& context)
    : socket_(std::move(socket)),
      context_(context),
      remote_(describe_remote(socket_)),
      mux_(wire::MuxConfig{.role = wire::Role::kRelay,
                           .max_frame_size = context.config().max_frame_size,
                           .initial_window = kStreamWindow}),
      started_(Clock::now()),
      last_receive_(started_) {
  context_.track(this);
}

AgentSession::~AgentSession() { context_.untrack(this); }

void AgentSession::start() {
  auto session = tls::TlsSession::server(context_.ssl_context(),
                                         tls::TlsSession::AfterHandshake::kOwnRecordLayer);
  if (!session) {
    spdlog::error("agent link from {}: {}", remote_, session.error().to_string());
    shut_down();
    return;
  }
  tls_.emplace(std::move(*session));
  boost::system::error_code ec;
  socket_.non_blocking(true, ec);
  socket_.set_option(tcp::no_delay(true), ec);
  context_.handshake_started();
  counted_as_handshaking_ = true;
  schedule_check();
  wait_readable();
}

void AgentSession::end_handshake_count() {
  if (!counted_as_handshaking_) return;
  counted_as_handshaking_ = false;
  context_.handshake_ended();
}

bool AgentSession::take_last_seen_due(Clock::time_point now, Clock::duration max_age) {
  if (!activity_ || now - last_seen_written_ < max_age) return false;
  activity_ = false;
  last_seen_written_ = now;
  return true;
}

// A read is pending on a small buffer of the session's own and goes on in
// the tunnel's shared buffer when that fills, and writes start only when
// there is something to write: an idle link holds one pending read and no
// coroutine frame, timer or large buffer. Asio starts a read with a recv
// that usually finds the socket empty; a readiness wait instead re-armed
// the descriptor with epoll_ctl every time. Both are one system call, but
// the read leaves the reactor's registration alone and its completion
// carries the bytes (docs/performance.md has the figures).
void AgentSession::wait_readable() {
  socket_.async_read_some(asio::buffer(first_read_),
                          [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
                            self->on_readable(ec, n);
                          });
}

void AgentSession::on_readable(const boost::system::error_code& read_error, std::size_t first) {
  if (phase_ == Phase::kClosed) return;
  auto buffer = context_.read_buffer();
  std::memcpy(buffer.data(), first_read_.data(), first);
  std::size_t n = first;
  boost::system::error_code ec = read_error;
  if (!ec && first == first_read_.size()) {
    n += socket_.read_some(asio::buffer(buffer.subspan(first).data(), buffer.size() - first), ec);
    if (would_block(ec)) ec.clear();
  }
  // Bytes that came before an end or error are still the agent's last words.
  if (ec && n == 0) {
    end_read(ec);
    return;
  }
  last_receive_ = Clock::now();
  activity_ = true;
  auto received = tls_->receive(buffer.first(n));
  if (!received) {
    spdlog::warn("agent link from {}{}: {}", remote_,
                 device_id_.empty() ? "" : " (" + device_id_ + ")",
                 received.error().to_string());
    shut_down();
    return;
  }
  if (phase_ == Phase::kHandshake && tls_->state() == tls::TlsSession::State::kOpen) {
    on_handshake_done();
  }
  std::string plaintext = tls_->take_plaintext();
  if (!plaintext.empty() && phase_ != Phase::kClosing && phase_ != Phase::kClosed) {
    auto fed = mux_.receive(bytes_of(plaintext));
    handle_events();
    if (!fed) {
      // The multiplexer has queued a Goodbye naming the error; flush it.
      spdlog::warn("agent link from {}{} closed: {}", remote_,
                   device_id_.empty() ? "" : " (" + device_id_ + ")", fed.error().to_string());
      if (phase_ != Phase::kClosed) begin_closing();
    }
  }
  if (ec || tls_->state() == tls::TlsSession::State::kClosed) {
    end_read(ec);
    return;
  }
  if (phase_ == Phase::kClosed) return;
  wait_readable();
  // The read's events are handled: what they queued (a heartbeat's answer)
  // goes out now, without another turn of the loop.
  if (phase_ == Phase::kClosing || mux_.wants_write() || tls_->wants_write()) flush();
}

void AgentSession::end_read(const boost::system::error_code& ec) {
  if (ec && phase_ == Phase::kOnline) {
    spdlog::info("agent {} ({}) disconnected: {}", device_id_, remote_, ec.message());
  }
  shut_down();
}

// Deferred like the wake-up of a writer: callers may be in the middle of
// handling an event, and a flush may end the link (shut_down).
void AgentSession::wake_writer() {
  if (flush_posted_ || phase_ == Phase::kClosed) return;
  flush_posted_ = true;
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    self->flush_posted_ = false;
    self->flush();
  });
}

void AgentSession::flush() {
  if (writing_ || phase_ == Phase::kClosed || !tls_) return;
  if (tls_->state() == tls::TlsSession::State::kOpen) {
    // Move little at a time into TLS so control frames overtake bulk data.
    while (mux_.wants_write() && !tls_->wants_write()) {
      auto out = mux_.pending_output(kTlsChunk);
      if (out.empty()) break;
      if (auto sent = tls_->send(out); !sent) {
        spdlog::warn("agent link {}: {}", remote_, sent.error().to_string());
        shut_down();
        return;
      }
      mux_.consume_output(out.size());
      last_send_ = Clock::now();
    }
    if (phase_ == Phase::kClosing && !mux_.wants_write() && !close_notify_sent_) {
      tls_->shutdown();
      close_notify_sent_ = true;
    }
  }
  if (tls_->wants_write()) {
    write_buffer_ = tls_->take_output();
    // Most writes fit in the socket's buffer: written here, they need no
    // completion handler and no further turn of the event loop.
    boost::system::error_code ec;
    const std::size_t written = socket_.write_some(asio::buffer(write_buffer_), ec);
    if (would_block(ec)) ec.clear();
    if (!ec && written < write_buffer_.size()) {
      writing_ = true;
      asio::async_write(socket_, asio::buffer(write_buffer_) + written,
                        [self = shared_from_this()](const boost::system::error_code& error, std::size_t) {
                          self->on_written(error);
                        });
      return;
    }
    written_out(ec);
    return;
  }
  if (phase_ == Phase::kClosing) shut_down();  // everything flushed
}

void AgentSession::on_written(const boost::system::error_code& ec) {
  writing_ = false;
  written_out(ec);
}

void AgentSession::written_out(const boost::system::error_code& ec) {
  std::string().swap(write_buffer_);
  if (ec) {
    shut_down();
    return;
  }
  // What is still queued (bulk data moves into TLS a chunk at a time) goes
  // on the next turn of the loop, so that other links get theirs in between.
  if (phase_ == Phase::kClosing || mux_.wants_write()) wake_writer();
  // Framing output may have made a stream writable again (its send buffer
  // drained): its owner must hear it now, not with the agent's next frame,
  // which may never come while the agent waits for our credit.
  handle_events();
}

void AgentSession::on_handshake_done() {
  end_handshake_count();
  SSL* ssl = tls_->native_handle();
  const bool enrolling = SSL_get0_peer_certificate(ssl) == nullptr;
  if (!enrolling) device_id_ = tls::peer_common_name(ssl);
  // From here on the link needs only its traffic keys, not OpenSSL's state.
  if (auto own = tls_->release_openssl(); !own) {
    spdlog::warn("agent link from {}: records stay with OpenSSL: {}", remote_, own.error().to_string());
  }
  if (enrolling) {
    phase_ = Phase::kEnrolling;
    return;
  }
  auto device = context_.store().find_device(device_id_);
  if (!device) {
    spdlog::error("agent {} ({}): {}", device_id_, remote_, device.error().to_string());
    close("internal", "the relay could not look up this device");
    return;
  }
  if (!device->has_value()) {
    spdlog::warn("agent {} ({}) refused: unknown device", device_id_, remote_);
    close("unknown_device", "this device is not known to the relay; enroll it again");
    return;
  }
  if ((*device)->revoked) {
    spdlog::warn("agent {} ({}) refused: device revoked", device_id_, remote_);
    close("revoked", "this device was revoked by an administrator");
    return;
  }
  phase_ = Phase::kAwaitingHello;
}

void AgentSession::handle_events() {
  while (auto event = mux_.poll_event()) {
    if (phase_ == Phase::kClosing || phase_ == Phase::kClosed) continue;
    switch (event->kind) {
      case wire::MuxEvent::Kind::kControl:
        on_control(event->control);
        break;
      default:
        on_stream_event(*event);
        break;
    }
  }
}

void AgentSession::on_control(const v1::Frame& frame) {
  switch (phase_) {
    case Phase::kEnrolling: {
      if (frame.body_case() != v1::Frame::kEnrollRequest) {
        spdlog::warn("link from {} without a device certificate sent a non-enrollment frame",
                     remote_);
        close("enrollment_required",
              "this connection has no device certificate: only enrollment is allowed");
        return;
      }
      v1::Frame reply;
      *reply.mutable_enroll_response() =
          context_.enrollment().enroll(frame.enroll_request(), remote_, unix_now_ms());
      (void)mux_.send_control(std::move(reply));
      close("enrolled", "enrollment finished");
      return;
    }
    case Phase::kAwaitingHello:
      if (frame.body_case() != v1::Frame::kHello) {
        close("bad_hello", "expected hello as the first frame");
        return;
      }
      on_hello(frame.hello());
      return;
    case Phase::kOnline:
      break;
    default:
      return;
  }
  switch (frame.body_case()) {
    case v1::Frame::kHeartbeat: {
      (void)mux_.send_control(wire::heartbeat_ack(frame.heartbeat()));
      return;
    }
    case v1::Frame::kHeartbeatAck:
      return;
    case v1::Frame::kResponse:
      on_response(frame.response());
      return;
    case v1::Frame::kRequest:
      on_agent_request(frame.request());
      return;
    case v1::Frame::kGoodbye:
      spdlog::info("agent {} ({}) said goodbye: {}", device_id_, remote_, frame.goodbye().reason());
      begin_closing();
      return;
    default:
      spdlog::warn("agent {} ({}) sent an unexpected control frame", device_id_, remote_);
      close("unexpected_frame", "unexpected control frame after hello");
      return;
  }
}

void AgentSession::on_hello(const v1::Hello& hello) {
  if (hello.device_id() != device_id_) {
    close("bad_hello", "hello names device '" + hello.device_id().substr(0, 64) +
                           "' but the certificate is for " + device_id_);
    return;
  }
  for (auto why : {check_text_field("hostname", hello.hostname(), 253, false),
                   check_text_field("platform", hello.platform(), 64, false),
                   check_text_field("agent_version", hello.agent_version(), 64, false),
                   check_text_field("os_release", hello.os_release(), 256, false)}) {
    if (!why.empty()) {
      close("bad_hello", why);
      return;
    }
  }
  const auto& config = context_.config();
  std::chrono::milliseconds interval =
      hello.heartbeat_interval_ms() != 0 ? std::chrono::milliseconds(hello.heartbeat_interval_ms())
                                         : std::chrono::milliseconds(config.heartbeat);
  heartbeat_ = std::clamp(interval, kMinHeartbeat, kMaxHeartbeat);
  std::uint32_t max_frame = config.max_frame_size;
  if (hello.max_frame_size() != 0) {
    max_frame = std::max(wire::kMinMaxFrameSize, std::min(max_frame, hello.max_frame_size()));
  }
  mux_.set_max_frame_size(max_frame);

  Device facts;
  facts.id = device_id_;
  facts.hostname = hello.hostname();
  facts.platform = hello.platform();
  facts.agent_version = hello.agent_version();
  facts.os_release = hello.os_release();
  UnixMillis now = unix_now_ms();
  last_seen_written_ = Clock::now();
  activity_ = false;
  if (auto stored = context_.store().update_device_hello(facts, now); !stored) {
    spdlog::error("agent {}: cannot record hello: {}", device_id_, stored.error().to_string());
  }

  v1::Frame ack;
  auto* body = ack.mutable_hello_ack();
  body->set_relay_version(HELPLINE_VERSION);
  body->set_max_frame_size(max_frame);
  body->set_heartbeat_interval_ms(static_cast<std::uint32_t>(heartbeat_.count()));
  body->set_server_time_ms(now);
  (void)mux_.send_control(std::move(ack));
  phase_ = Phase::kOnline;
  last_send_ = Clock::now();
  connected_since_ = now;
  context_.on_online(shared_from_this());
  registered_ = true;
  schedule_check();  // the online deadlines replace the setup timeout
  spdlog::info("agent {} ({}, {}) online from {}", device_id_, hello.hostname(),
               hello.agent_version(), remote_);
  context_.offer_catalog_after_hello(shared_from_this(), hello.catalog_version());
}

void AgentSession::on_response(const v1::Response& response) {
  auto it = pending_.find(response.id());
  if (it == pending_.end()) return;  // answered after its timeout
  it->second->result = response;
  it->second->timer.cancel();
  pending_.erase(it);
}

asio::awaitable<Result<v1::Response>> AgentSession::request(v1::Request request,
                                                            std::chrono::milliseconds timeout,
                                                            std::shared_ptr<StreamSink> sink) {
  if (phase_ != Phase::kOnline) {
    co_return fail("device_offline", "device " + device_id_ + " is not connected");
  }
  std::uint64_t id = next_request_id_++;
  request.set_id(id);
  auto pending = std::make_shared<Pending>(socket_.get_executor());
  v1::Frame frame;
  *frame.mutable_request() = std::move(request);
  if (auto sent = mux_.send_control(std::move(frame)); !sent) co_return fail(sent.error());
  pending_[id] = pending;
  if (sink) expected_streams_[id] = std::move(sink);
  wake_writer();
  pending->timer.expires_after(timeout);
  boost::system::error_code ec;
  co_await pending->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  pending_.erase(id);
  // The stream is opened before the Response is sent: one that has not
  // started by now will not be accepted.
  expected_streams_.erase(id);
  if (pending->result) co_return std::move(*pending->result);
  co_return fail("timeout", "device " + device_id_ + " did not answer within " +
                                std::to_string(timeout.count()) + " ms");
}

void AgentSession::close(std::string code, std::string message) {
  if (phase_ == Phase::kClosing || phase_ == Phase::kClosed) return;
  Error error{code, message};
  mux_.shutdown(message, error);
  begin_closing();
  wake_writer();
}

void AgentSession::begin_closing() {
  phase_ = Phase::kClosing;
  closing_since_ = Clock::now();
  schedule_check();
}

void AgentSession::schedule_check() {
  Clock::time_point at;
  switch (phase_) {
    case Phase::kHandshake:
    case Phase::kEnrolling:
    case Phase::kAwaitingHello:
      at = started_ + kSetupTimeout;
      break;
    case Phase::kOnline:
      at = last_receive_ + 3 * heartbeat_ + kHeartbeatGrace;
      if (auto after = relay_ping_after(heartbeat_)) at = std::min(at, last_send_ + *after);
      break;
    case Phase::kClosing:
      at = closing_since_ + kCloseTimeout;
      break;
    case Phase::kClosed:
      return;
  }
  // Just past the deadline, so the check finds it passed.
  check_token_ = context_.schedule_check(this, at + std::chrono::milliseconds(1));
}

void AgentSession::check_deadlines(Clock::time_point now) {
  switch (phase_) {
    case Phase::kHandshake:
    case Phase::kEnrolling:
    case Phase::kAwaitingHello:
      if (now - started_ > kSetupTimeout) {
        spdlog::warn("agent link from {} closed: no {} within {} s", remote_,
                     phase_ == Phase::kAwaitingHello ? "hello" : "TLS handshake or enrollment",
                     kSetupTimeout.count());
        shut_down();
        return;
      }
      break;
    case Phase::kOnline:
      if (now - last_receive_ > 3 * heartbeat_ + kHeartbeatGrace) {
        spdlog::warn("agent {} ({}) closed: nothing received for {} ms (heartbeat every {} ms)",
                     device_id_, remote_,
                     std::chrono::duration_cast<std::chrono::milliseconds>(now - last_receive_)
                         .count(),
                     heartbeat_.count());
        shut_down();
        return;
      }
      if (auto after = relay_ping_after(heartbeat_); after && now - last_send_ >= *after) {
        v1::Frame ping;
        ping.mutable_heartbeat()->set_seq(++ping_seq_);
        ping.mutable_heartbeat()->set_sent_at_ms(unix_now_ms());
        (void)mux_.send_control(std::move(ping));
        last_send_ = now;
        flush();  // the sweep is between events: no need to defer
      }
      break;
    case Phase::kClosing:
      if (now - closing_since_ > kCloseTimeout) {
        shut_down();
        return;
      }
      break;
    case Phase::kClosed:
      return;
  }
  schedule_check();
}

void AgentSession::shut_down() {
  if (phase_ == Phase::kClosed) return;
  phase_ = Phase::kClosed;
  end_handshake_count();
  boost::system::error_code ec;
  socket_.shutdown(tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  for (auto& [id, pending] : pending_) {
    pending->result = fail("device_offline", "the link to device " + device_id_ + " closed");
    pending->timer.cancel();
  }
  pending_.clear();
  expected_streams_.clear();
  expected_uploads_.clear();
  abort_streams(Error{"device_offline", "the link to device " + device_id_ + " closed"});
  abort_relay_streams(Error{"device_offline", "the link to device " + device_id_ + " closed"});
  if (registered_) {
    registered_ = false;
    context_.on_offline(this);
  }
}

}  // namespace helpline::relay
