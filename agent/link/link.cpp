#include "agent/link/link.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>

#include "common/wire/liveness.h"

namespace helpline::agent {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::string_view kRevokedMessage = "this device was revoked by the relay; re-enroll";
// A Liveness tick that found nothing due yet (libuv timers may fire a
// little early) is retried no sooner than this, so a bug cannot spin.
constexpr milliseconds kIdleTickFloor{1};
constexpr milliseconds kClockDriftWarning{60'000};

[[nodiscard]] std::uint64_t to_uv_ms(milliseconds ms) {
  return ms.count() > 0 ? static_cast<std::uint64_t>(ms.count()) : 0;
}

[[nodiscard]] std::string seconds_text(milliseconds ms) {
  auto tenths = ms.count() / 100;
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + " s";
}

[[nodiscard]] const char* frame_name(v1::Frame::BodyCase body) {
  switch (body) {
    case v1::Frame::kHello:
      return "Hello";
    case v1::Frame::kHelloAck:
      return "HelloAck";
    case v1::Frame::kHeartbeat:
      return "Heartbeat";
    case v1::Frame::kHeartbeatAck:
      return "HeartbeatAck";
    case v1::Frame::kEnrollRequest:
      return "EnrollRequest";
    case v1::Frame::kEnrollResponse:
      return "EnrollResponse";
    case v1::Frame::kRequest:
      return "Request";
    case v1::Frame::kResponse:
      return "Response";
    case v1::Frame::kGoodbye:
      return "Goodbye";
    default:
      return "stream";
  }
}

}  // namespace

Result<std::unique_ptr<Link>> Link::create(uv_loop_t* loop, LinkConfig config) {
  std::unique_ptr<Link> link(new Link(loop, std::move(config)));
  link->identity_ = tls::Identity{link->config_.state.cert_pem, link->config_.state.key_pem};
  tls::ClientConfig client;
  client.ca_pem = link->config_.state.ca_pem;
  client.ca_pin = link->config_.state.config.ca_pin;
  client.identity = &link->identity_;
  auto context = tls::make_client_context(client);
  if (!context) return fail(context.error());
  tls::release_buffers_when_idle(context->get());
  link->tls_context_ = std::move(*context);
  return link;
}

Link::Link(uv_loop_t* loop, LinkConfig config)
    : loop_(loop), config_(std::move(config)), backoff_(config_.backoff) {
  add_builtin_handlers(requests_);
  status_.pid = static_cast<std::int64_t>(::getpid());
  status_.relay = config_.state.config.relay.to_string();
}

Link::~Link() {
  // The timers must have gone through their close callbacks (on_stopped).
  assert(!timers_open_ && closes_pending_ == 0 && !transport_);
}

void Link::start() {
  if (phase_ != Phase::kIdle || stopping_) return;
  uv_timer_init(loop_, &reconnect_timer_);
  uv_timer_init(loop_, &heartbeat_timer_);
  reconnect_timer_.data = this;
  heartbeat_timer_.data = this;
  timers_open_ = true;
  save_status();
  if (!stopping_) connect();  // on_status may have called stop()
}

void Link::connect() {
  ++generation_;
  goodbye_.reset();
  phase_ = Phase::kConnecting;
  TransportConfig transport;
  transport.relay = config_.state.config.relay;
  transport.proxy = config_.proxy;
  transport.tls_context = tls_context_.get();
  transport.mux.role = wire::Role::kAgent;
  transport.mux.max_frame_size = config_.max_frame_size;
  transport.connect_timeout = config_.connect_timeout;
  TransportCallbacks callbacks;
  callbacks.on_open = [this] { on_open(); };
  callbacks.on_event = [this](wire::MuxEvent event) { on_event(std::move(event)); };
  callbacks.on_closed = [this](const Error& error) { on_closed(error); };
  transport_ = std::make_unique<Transport>(loop_, std::move(transport), std::move(callbacks));
  channels_.set_flush([this] {
    if (transport_) transport_->flush();
  });
  channels_.set_mux([this]() -> wire::Multiplexer* {
    return phase_ == Phase::kUp && transport_ ? &transport_->mux() : nullptr;
  });
  if (config_.proxy) {
    spdlog::info("connecting to relay {} through proxy {}", status_.relay,
                 config_.proxy->to_string());
  } else {
    spdlog::info("connecting to relay {}", status_.relay);
  }
  transport_->start();
}

v1::Frame Link::make_hello() const {
  v1::Frame frame;
  v1::Hello* hello = frame.mutable_hello();
  hello->set_device_id(config_.state.config.device_id);
  hello->set_agent_version(HELPLINE_VERSION);
  hello->set_platform(config_.host.platform);
  hello->set_hostname(config_.host.hostname);
  hello->set_os_release(config_.host.os_release);
  hello->add_capabilities("ping");
  hello->set_max_frame_size(config_.max_frame_size);
  hello->set_heartbeat_interval_ms(static_cast<std::uint32_t>(config_.heartbeat.count()));
  if (hello_extras_) hello_extras_(*hello);
  return frame;
}

void Link::on_open() {
  phase_ = Phase::kHelloSent;
  // Liveness runs from here so that a relay that never answers Hello is
  // treated like any other silent one.
  liveness_.emplace(config_.heartbeat);
  liveness_->start(Clock::now());
  send(make_hello());
  schedule_heartbeat();
}

void Link::send(v1::Frame frame) {
  if (!transport_) return;
  auto sent = transport_->send_control(std::move(frame));
  if (!sent) {
    transport_->abort(sent.error());
    return;
  }
  if (liveness_) liveness_->on_send(Clock::now());
}

void Link::on_event(wire::MuxEvent event) {
  if (liveness_) liveness_->on_receive(Clock::now());
  if (event.kind != wire::MuxEvent::Kind::kControl) {
    if (transport_) channels_.route(event, transport_->mux());
    return;
  }
  on_control(event.control);
}

void Link::on_control(const v1::Frame& frame) {
  switch (frame.body_case()) {
    case v1::Frame::kHelloAck:
      on_hello_ack(frame.hello_ack());
      return;
    case v1::Frame::kGoodbye:
      on_goodbye(frame.goodbye());
      return;
    case v1::Frame::kHeartbeat: {
      send(wire::heartbeat_ack(frame.heartbeat()));
      return;
    }
    case v1::Frame::kHeartbeatAck:
      spdlog::debug("heartbeat {} answered after {} ms", frame.heartbeat_ack().seq(),
                    unix_now_ms() - frame.heartbeat_ack().sent_at_ms());
      return;
    case v1::Frame::kRequest:
      requests_.dispatch(frame.request(), make_reply());
      return;
    case v1::Frame::kResponse:
      on_response(frame.response());
      return;
    default:
      spdlog::warn("relay {}: ignoring unexpected {} frame", status_.relay,
                   frame_name(frame.body_case()));
      return;
  }
}

void Link::on_hello_ack(const v1::HelloAck& ack) {
  if (phase_ != Phase::kHelloSent) {
    spdlog::warn("relay {}: ignoring a second HelloAck", status_.relay);
    return;
  }
  if (std::uint32_t negotiated = ack.max_frame_size(); negotiated != 0) {
    if (negotiated < wire::kMinMaxFrameSize || negotiated > config_.max_frame_size) {
      transport_->abort(Error{"bad_hello_ack", "the relay negotiated a maximum frame size of " +
                                                   std::to_string(negotiated) + " bytes, outside " +
                                                   std::to_string(wire::kMinMaxFrameSize) + ".." +
                                                   std::to_string(config_.max_frame_size)});
      return;
    }
    transport_->mux().set_max_frame_size(negotiated);
  }
  // The HelloAck sets the interval in force (docs/protocol.md): the relay
  // judges our liveness by it. Values outside 1 s..1 h are not credible.
  if (milliseconds relay_interval(ack.heartbeat_interval_ms());
      relay_interval.count() != 0 && relay_interval != liveness_->interval()) {
    if (relay_interval >= kMinHeartbeat && relay_interval <= kMaxHeartbeat) {
      spdlog::info("relay {} sets the heartbeat interval to {}", status_.relay,
                   seconds_text(relay_interval));
      liveness_->set_interval(relay_interval);
      schedule_heartbeat();
    } else {
      spdlog::warn("relay {}: ignoring heartbeat interval {} ms (outside 1 s..1 h)", status_.relay,
                   relay_interval.count());
    }
  }
  // Certificates and audit times depend on clocks; a large drift is worth
  // a line in the log (diagnostics will report it precisely).
  if (ack.server_time_ms() != 0) {
    std::int64_t drift_ms = unix_now_ms() - ack.server_time_ms();
    if (drift_ms > kClockDriftWarning.count() || -drift_ms > kClockDriftWarning.count()) {
      spdlog::warn("this machine's clock differs from relay {} by {} s", status_.relay,
                   drift_ms / 1000);
    }
  }
  phase_ = Phase::kUp;
  up_since_ = Clock::now();
  status_.connected = true;
  status_.connected_since = unix_now_ms();
  save_status();
  spdlog::info("connected to relay {} as {} (relay version {})", status_.relay,
               config_.state.config.device_id,
               ack.relay_version().empty() ? "unknown" : ack.relay_version());
  if (on_up_) on_up_();
}

Result<std::uint64_t> Link::request(v1::Request request, milliseconds timeout,
                                    ResponseHandler on_response) {
  if (phase_ != Phase::kUp || !transport_) {
    return fail("link_lost", "not connected to relay " + status_.relay);
  }
  std::uint64_t id = next_request_id_++;
  request.set_id(id);
  v1::Frame frame;
  *frame.mutable_request() = std::move(request);
  outgoing_[id] = OutgoingRequest{Clock::now() + timeout, std::move(on_response)};
  send(std::move(frame));
  return id;
}

void Link::on_response(const v1::Response& response) {
  auto it = outgoing_.find(response.id());
  if (it == outgoing_.end()) {
    spdlog::debug("relay {}: answer to request {}, which is no longer waiting", status_.relay,
                  response.id());
    return;
  }
  auto handler = std::move(it->second.on_response);
  outgoing_.erase(it);
  handler(response);
}

void Link::fail_requests(const Error& error) {
  auto outgoing = std::move(outgoing_);
  outgoing_.clear();
  for (auto& [id, request] : outgoing) request.on_response(fail(error));
}

void Link::expire_requests() {
  auto now = Clock::now();
  for (auto it = outgoing_.begin(); it != outgoing_.end();) {
    if (it->second.deadline > now) {
      ++it;
      continue;
    }
    auto handler = std::move(it->second.on_response);
    it = outgoing_.erase(it);
    handler(fail("timeout", "relay " + status_.relay + " did not answer in time"));
  }
}

void Link::on_goodbye(const v1::Goodbye& goodbye) {
  goodbye_ = goodbye;
  if (goodbye.error().code() == "revoked") revoked_ = true;
  std::string code = goodbye.error().code().empty() ? "goodbye" : goodbye.error().code();
  std::string text =
      !goodbye.error().message().empty() ? goodbye.error().message() : goodbye.reason();
  transport_->abort(Error{code, "the relay said goodbye: " + text});
}

Reply Link::make_reply() {
  return [this, generation = generation_](v1::Response response) {
    if (generation != generation_ || !transport_ || !transport_->is_open()) {
      spdlog::debug("dropping the response to request {}: its link is gone", response.id());
      return;
    }
    v1::Frame frame;
    *frame.mutable_response() = std::move(response);
    send(std::move(frame));
  };
}

void Link::on_heartbeat() {
  if (!liveness_ || !transport_) return;
  expire_requests();
  if (!liveness_ || !transport_) return;  // a handler may have stopped the link
  auto action = liveness_->on_tick(Clock::now());
  if (action == wire::Liveness::Action::kDead) {
    transport_->abort(Error{"heartbeat_timeout", "nothing received from the relay for " +
                                                     seconds_text(3 * liveness_->interval())});
    return;
  }
  if (action == wire::Liveness::Action::kSendHeartbeat && phase_ == Phase::kUp) {
    v1::Frame frame;
    frame.mutable_heartbeat()->set_seq(liveness_->next_seq());
    frame.mutable_heartbeat()->set_sent_at_ms(unix_now_ms());
    send(std::move(frame));
  }
  if (liveness_) schedule_heartbeat(action == wire::Liveness::Action::kNone);
}

void Link::schedule_heartbeat(bool after_idle_tick) {
  if (!liveness_ || !timers_open_) return;
  // libuv counts the timeout from the loop's cached time, which may lag.
  uv_update_time(loop_);
  auto now = Clock::now();
  auto deadline = liveness_->next_deadline();
  milliseconds wait{0};
  if (deadline > now) wait = std::chrono::ceil<milliseconds>(deadline - now);
  if (after_idle_tick) wait = std::max(wait, kIdleTickFloor);
  uv_timer_start(&heartbeat_timer_, on_heartbeat_timer, to_uv_ms(wait), 0);
}

void Link::on_heartbeat_timer(uv_timer_t* timer) {
  static_cast<Link*>(timer->data)->on_heartbeat();
}

void Link::on_closed(const Error& error) {
  bool was_up = phase_ == Phase::kUp;
  milliseconds up_for{0};
  if (was_up) up_for = std::chrono::duration_cast<milliseconds>(Clock::now() - up_since_);
  channels_.drop_all("link lost");
  fail_requests(Error{stopping_ ? "stopped" : "link_lost", "the link to relay " + status_.relay +
                                                             " ended: " + error.message});
  liveness_.reset();
  if (timers_open_) uv_timer_stop(&heartbeat_timer_);
  transport_.reset();  // allowed inside on_closed (see transport.h)
  ++generation_;
  phase_ = Phase::kWaiting;
  status_.connected = false;
  status_.connected_since = 0;

  if (revoked_) {
    exit_code_ = kExitRevoked;
    exit_message_ = std::string(kRevokedMessage);
    spdlog::error("relay {}: {} ({})", status_.relay, kRevokedMessage, error.message);
    status_.last_error = "revoked: " + std::string(kRevokedMessage);
    status_.last_error_at = unix_now_ms();
    finish_stop();
    return;
  }
  if (stopping_) {
    finish_stop();
    return;
  }

  if (was_up) backoff_.on_link_lost(up_for);
  milliseconds delay = backoff_.next_delay(tls::random_u64());
  if (was_up) {
    spdlog::warn("lost the link to relay {} after {}: {}; reconnecting in {}", status_.relay,
                 seconds_text(up_for), error.to_string(), seconds_text(delay));
  } else {
    spdlog::warn("cannot reach relay {}: {}; retrying in {}", status_.relay, error.to_string(),
                 seconds_text(delay));
  }
  status_.last_error = error.to_string();
  status_.last_error_at = unix_now_ms();
  save_status();
  if (stopping_) return;  // on_status called stop()
  uv_timer_start(&reconnect_timer_, on_reconnect_timer, to_uv_ms(delay), 0);
}

void Link::on_reconnect_timer(uv_timer_t* timer) {
  auto* self = static_cast<Link*>(timer->data);
  if (!self->stopping_ && !self->transport_) self->connect();
}

void Link::stop() {
  if (stopping_ || phase_ == Phase::kStopped) return;
  stopping_ = true;
  spdlog::info("shutting down");
  if (timers_open_) uv_timer_stop(&reconnect_timer_);
  if (transport_) {
    transport_->shutdown("shutting down", config_.shutdown_flush);  // on_closed finishes
    return;
  }
  finish_stop();
}

void Link::finish_stop() {
  phase_ = Phase::kStopped;
  status_.connected = false;
  status_.connected_since = 0;
  if (timers_open_) save_status();
  if (!timers_open_) {
    if (on_stopped_) on_stopped_();
    return;
  }
  timers_open_ = false;
  closes_pending_ = 2;
  uv_close(reinterpret_cast<uv_handle_t*>(&reconnect_timer_), on_handle_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&heartbeat_timer_), on_handle_closed);
}

void Link::on_handle_closed(uv_handle_t* handle) {
  auto* self = static_cast<Link*>(handle->data);
  if (--self->closes_pending_ > 0) return;
  if (self->on_stopped_) self->on_stopped_();
}

void Link::save_status() {
  auto written = write_status(config_.state.dir, status_);
  if (!written && !status_write_failed_) {
    spdlog::warn("cannot update status: {}", written.error().to_string());
  }
  status_write_failed_ = !written;
  if (on_status_) on_status_(status_);
}

}  // namespace helpline::agent
