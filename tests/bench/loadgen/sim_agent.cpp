#include "tests/bench/loadgen/sim_agent.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <future>

#include "common/core/time_format.h"
#include "common/wire/liveness.h"

namespace helpline::loadgen {

using std::chrono::milliseconds;

SimAgent::SimAgent(asio::any_io_executor executor, const AgentIdentity& identity,
                   asio::ip::address source, const AgentConfig& config, SwarmStats& stats,
                   std::size_t index)
    : executor_(std::move(executor)),
      identity_(identity),
      source_(std::move(source)),
      config_(config),
      stats_(stats),
      index_(index),
      liveness_timer_(executor_),
      retry_timer_(executor_),
      backoff_(config.backoff) {}

void SimAgent::start() {
  asio::co_spawn(executor_, [self = shared_from_this()] { return self->run(); }, asio::detached);
}

void SimAgent::stop() {
  asio::post(executor_, [self = shared_from_this()] {
    self->stopping_ = true;
    self->retry_timer_.cancel();
    if (self->conn_) {
      if (self->online_) {
        self->conn_->say_goodbye("shutting down");
      } else {
        self->conn_->close();
      }
    }
  });
}

asio::awaitable<void> SimAgent::run() {
  while (!stopping_) {
    auto ended = co_await one_link();
    if (stopping_) break;
    // As agent/link/link.cpp's on_closed: a long link resets the backoff.
    bool was_up = up_since_ != Clock::time_point{};
    if (was_up) {
      backoff_.on_link_lost(std::chrono::duration_cast<milliseconds>(Clock::now() - up_since_));
    }
    up_since_ = {};
    milliseconds delay = backoff_.next_delay(tls::random_u64());
    (void)ended;
    retry_timer_.expires_after(delay);
    boost::system::error_code ec;
    co_await retry_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

asio::awaitable<Result<void>> SimAgent::one_link() {
  conn_ = std::make_shared<TunnelConn>(executor_);
  auto opened = co_await conn_->open(config_.relay, source_, config_.tls_context,
                                     identity_.certificate.get(), identity_.key.get(),
                                     config_.connect_timeout);
  if (!opened) {
    count_failure(stats_, opened.error().code);
    conn_.reset();
    co_return opened;
  }
  ++stats_.handshakes;
  liveness_.emplace(config_.heartbeat);
  liveness_->start(Clock::now());
  v1::Frame hello;
  auto* body = hello.mutable_hello();
  body->set_device_id(identity_.device_id);
  body->set_agent_version("loadgen");
  body->set_platform("linux-x86_64");
  body->set_hostname("loadgen-" + std::to_string(index_));
  body->add_capabilities("ping");
  body->set_max_frame_size(wire::kDefaultMaxFrameSize);
  body->set_heartbeat_interval_ms(static_cast<std::uint32_t>(config_.heartbeat.count()));
  send(std::move(hello));
  arm_liveness_timer();

  Result<void> ended;
  while (!stopping_ || conn_->is_open()) {
    ended = co_await conn_->receive();
    while (auto event = conn_->mux().poll_event()) {
      if (liveness_) liveness_->on_receive(Clock::now());
      if (event->kind == wire::MuxEvent::Kind::kControl) {
        on_control(event->control);
      } else {
        on_stream_event(*event);
      }
    }
    if (!ended) break;
    conn_->flush();
  }
  liveness_timer_.cancel();
  liveness_.reset();
  upload_.reset();
  conn_->close();
  conn_.reset();
  if (online_) {
    online_ = false;
    --stats_.online;
    ++stats_.links_lost;
  } else if (!stopping_) {
    count_failure(stats_, ended ? "connection_closed" : ended.error().code);
  }
  co_return ended;
}

void SimAgent::on_control(const v1::Frame& frame) {
  switch (frame.body_case()) {
    case v1::Frame::kHelloAck: {
      if (online_) return;
      online_ = true;
      up_since_ = Clock::now();
      ++stats_.online;
      ++stats_.hellos_acked;
      std::uint64_t epoch = stats_.epoch.load();
      if (counted_epoch_ != epoch) {
        counted_epoch_ = epoch;
        ++stats_.back_since_mark;
      }
      if (frame.hello_ack().heartbeat_interval_ms() > 0 && liveness_) {
        liveness_->set_interval(milliseconds(frame.hello_ack().heartbeat_interval_ms()));
        arm_liveness_timer();
      }
      return;
    }
    case v1::Frame::kHeartbeatAck:
      ++stats_.heartbeat_acks;
      return;
    case v1::Frame::kHeartbeat: {
      send(wire::heartbeat_ack(frame.heartbeat()));
      return;
    }
    case v1::Frame::kRequest:
      on_request(frame.request());
      return;
    case v1::Frame::kGoodbye:
      // The relay closes after it; receive() then ends the link.
      return;
    default:
      return;
  }
}

void SimAgent::set_bundle(std::shared_ptr<const BulkBundle> bundle) {
  std::promise<void> done;
  asio::post(executor_, [self = shared_from_this(), bundle = std::move(bundle), &done]() mutable {
    self->bundle_ = std::move(bundle);
    done.set_value();
  });
  done.get_future().wait();
}

void SimAgent::on_request(const v1::Request& request) {
  if (request.has_collect() && bundle_) {
    start_upload(request.id());
    return;
  }
  v1::Frame frame;
  v1::Response* response = frame.mutable_response();
  response->set_id(request.id());
  if (request.has_ping()) {
    response->mutable_pong()->set_payload(request.ping().payload());
    ++stats_.pings_answered;
  } else {
    response->mutable_error()->set_code("unsupported");
    response->mutable_error()->set_message("a simulated agent answers ping only");
    ++stats_.requests_refused;
  }
  send(std::move(frame));
}

void SimAgent::answer_error(std::uint64_t request_id, const std::string& code,
                            const std::string& message) {
  v1::Frame frame;
  frame.mutable_response()->set_id(request_id);
  frame.mutable_response()->mutable_error()->set_code(code);
  frame.mutable_response()->mutable_error()->set_message(message);
  send(std::move(frame));
}

// As agent/diag/remote_collection.cpp: a "bundle" stream naming the request
// and the bundle id, the encoded bytes as credit allows, a close, then the
// CollectResult.
void SimAgent::start_upload(std::uint64_t request_id) {
  if (upload_) {
    answer_error(request_id, "busy", "a collection is already running");
    return;
  }
  auto channel = conn_->mux().open_channel("bundle", bundle_->id, request_id);
  if (!channel) {
    answer_error(request_id, channel.error().code, channel.error().message);
    return;
  }
  upload_ = Upload{*channel, request_id, 0};
  pump_upload();
}

void SimAgent::pump_upload() {
  if (!upload_ || !conn_) return;
  const std::string& bytes = bundle_->encoded;
  while (upload_->offset < bytes.size()) {
    auto rest = std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()) + upload_->offset,
                          bytes.size() - upload_->offset);
    auto taken = conn_->mux().write(upload_->channel, rest);
    if (!taken) {
      answer_error(upload_->request_id, taken.error().code, taken.error().message);
      upload_.reset();
      return;
    }
    if (*taken == 0) break;  // kChannelWritable follows
    upload_->offset += *taken;
  }
  if (upload_->offset == bytes.size()) {
    (void)conn_->mux().close_channel(upload_->channel);
    v1::Frame frame;
    frame.mutable_response()->set_id(upload_->request_id);
    frame.mutable_response()->mutable_collect()->set_bundle_id(bundle_->id);
    frame.mutable_response()->mutable_collect()->set_size(bytes.size());
    upload_.reset();
    send(std::move(frame));
    return;
  }
  conn_->flush();
}

void SimAgent::on_stream_event(const wire::MuxEvent& event) {
  using Kind = wire::MuxEvent::Kind;
  if (!upload_ || event.channel != upload_->channel) {
    // Nothing else is served: a stream the relay opens is refused.
    if (event.kind == Kind::kChannelOpened) conn_->mux().reset_channel(event.channel, "unsupported");
    return;
  }
  if (event.kind == Kind::kChannelWritable) pump_upload();
  if (event.kind == Kind::kChannelReset) {
    answer_error(upload_->request_id, "stream_reset", event.reason);
    upload_.reset();
  }
}

void SimAgent::send(v1::Frame frame) {
  if (!conn_) return;
  if (auto sent = conn_->mux().send_control(std::move(frame)); !sent) {
    conn_->close();
    return;
  }
  if (liveness_) liveness_->on_send(Clock::now());
  conn_->flush();
}

void SimAgent::arm_liveness_timer() {
  if (!liveness_) return;
  liveness_timer_.expires_at(liveness_->next_deadline());
  liveness_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self) return;
    self->on_liveness_timer();
  });
}

void SimAgent::on_liveness_timer() {
  if (!liveness_ || !conn_) return;
  auto action = liveness_->on_tick(Clock::now());
  if (action == wire::Liveness::Action::kDead) {
    conn_->close();
    return;
  }
  if (action == wire::Liveness::Action::kSendHeartbeat && online_) {
    v1::Frame frame;
    frame.mutable_heartbeat()->set_seq(liveness_->next_seq());
    frame.mutable_heartbeat()->set_sent_at_ms(unix_now_ms());
    ++stats_.heartbeats_sent;
    send(std::move(frame));
  }
  arm_liveness_timer();
}

}  // namespace helpline::loadgen
