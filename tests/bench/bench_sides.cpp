#include "tests/bench/bench_sides.h"

#include <openssl/ssl.h>

#include <algorithm>
#include <cstring>
#include <span>
#include <utility>

#include "common/tls/tls.h"
#include "tests/bench/bench_pki.h"

namespace helpline::bench {

namespace {

// Bulk bytes repeat this pattern; the relay checks every byte against it.
// A prime length, so that chunk and record boundaries never line up with it.
constexpr std::size_t kPatternSize = 65521;
constexpr int kMaxWriteRounds = 64;  // write() takes at most a 1 MiB send buffer
constexpr std::string_view kPingPayload = "helpline";

[[nodiscard]] const std::string& pattern() {
  static const std::string bytes = [] {
    std::string text(kPatternSize, '\0');
    for (std::size_t i = 0; i < text.size(); ++i) {
      text[i] = static_cast<char>((i * 131 + (i >> 8)) & 0xffu);
    }
    return text;
  }();
  return bytes;
}

// The pattern from stream offset `offset`, at most `limit` bytes, up to its end.
[[nodiscard]] std::span<const std::uint8_t> pattern_piece(std::uint64_t offset,
                                                          std::uint64_t limit) {
  const auto at = static_cast<std::size_t>(offset % kPatternSize);
  const auto size = static_cast<std::size_t>(std::min<std::uint64_t>(kPatternSize - at, limit));
  return {reinterpret_cast<const std::uint8_t*>(pattern().data()) + at, size};
}

[[nodiscard]] bool matches_pattern(std::uint64_t offset, std::string_view data) {
  // Each round checks up to the pattern's end, so at most two rounds per 64 KiB.
  while (!data.empty()) {
    const auto piece = pattern_piece(offset, data.size());
    if (std::memcmp(piece.data(), data.data(), piece.size()) != 0) return false;
    offset += piece.size();
    data.remove_prefix(piece.size());
  }
  return true;
}

[[nodiscard]] Error bench_error(const std::string& side, std::string message) {
  return Error{"bench_failed", side + ": " + std::move(message)};
}

// TLS 1.3 is the policy; the benchmark refuses to measure anything else.
[[nodiscard]] bool check_tls13(TunnelPeer& peer) {
  if (SSL_version(peer.ssl()) == TLS1_3_VERSION) return true;
  peer.fail_link(bench_error(
      peer.name(), std::string("negotiated ") + SSL_get_version(peer.ssl()) + ", not TLS 1.3"));
  return false;
}

void send_or_fail(TunnelPeer& peer, v1::Frame frame) {
  if (auto sent = peer.mux().send_control(std::move(frame)); !sent) peer.fail_link(sent.error());
}

}  // namespace

// --- agent ---------------------------------------------------------------

void AgentSide::on_established(TunnelPeer& peer) {
  if (!check_tls13(peer)) return;
  v1::Frame frame;
  auto* hello = frame.mutable_hello();
  hello->set_device_id(std::string(kDeviceId));
  hello->set_agent_version(HELPLINE_VERSION);
  hello->set_platform("linux");
  hello->set_hostname("tunnel-bench");
  hello->set_max_frame_size(wire::kDefaultMaxFrameSize);
  hello->set_heartbeat_interval_ms(30000);
  send_or_fail(peer, std::move(frame));
}

void AgentSide::on_event(TunnelPeer& peer, wire::MuxEvent& event) {
  using Kind = wire::MuxEvent::Kind;
  switch (event.kind) {
    case Kind::kControl:
      on_control(peer, event.control);
      return;
    case Kind::kChannelWritable:
      if (channel_ && event.channel == *channel_) blocked_ = false;
      return;
    case Kind::kChannelOpened:
      peer.mux().reset_channel(event.channel, "the benchmark agent accepts no channels");
      peer.fail_link(
          bench_error("agent", "the relay opened a channel of kind '" + event.open_kind + "'"));
      return;
    case Kind::kChannelReset:
      peer.fail_link(bench_error("agent", "the relay reset channel " +
                                              std::to_string(event.channel) + ": " + event.reason));
      return;
    case Kind::kChannelData:
    case Kind::kChannelClosed:
      return;
  }
}

void AgentSide::on_control(TunnelPeer& peer, const v1::Frame& frame) {
  switch (frame.body_case()) {
    case v1::Frame::kHelloAck: {
      online_ = true;
      peer.mux().set_max_frame_size(frame.hello_ack().max_frame_size());
      if (config_.bulk == BulkMode::kNone) return;
      auto opened = peer.mux().open_channel(std::string(kBulkKind));
      if (!opened) {
        peer.fail_link(opened.error());
        return;
      }
      channel_ = *opened;
      return;
    }
    case v1::Frame::kRequest: {
      v1::Frame reply;
      auto* response = reply.mutable_response();
      response->set_id(frame.request().id());
      if (frame.request().has_ping()) {
        response->mutable_pong()->set_payload(frame.request().ping().payload());
      } else {
        response->mutable_error()->set_code("unsupported");
        response->mutable_error()->set_message("the benchmark agent only answers pings");
      }
      send_or_fail(peer, std::move(reply));
      return;
    }
    case v1::Frame::kGoodbye:
      peer.close("goodbye");
      return;
    default:
      peer.fail_link(bench_error(
          "agent", "unexpected control frame (body " + std::to_string(frame.body_case()) + ")"));
      return;
  }
}

void AgentSide::on_tick(TunnelPeer& peer, Clock::time_point /*now*/) {
  if (online_ && channel_ && !blocked_ && !channel_closed_) write_bulk(peer);
}

void AgentSide::write_bulk(TunnelPeer& peer) {
  // Each round queues a whole piece or stops: the send buffer is full, or
  // everything is written.
  for (int round = 0; round < kMaxWriteRounds; ++round) {
    const std::uint64_t left =
        config_.bulk == BulkMode::kFixed ? config_.bulk_bytes - written_ : kPatternSize;
    if (left == 0) {
      if (auto closed = peer.mux().close_channel(*channel_); !closed)
        peer.fail_link(closed.error());
      channel_closed_ = true;
      return;
    }
    const auto piece = pattern_piece(written_, left);
    auto accepted = peer.mux().write(*channel_, piece);
    if (!accepted) {
      peer.fail_link(accepted.error());
      return;
    }
    written_ += *accepted;
    if (*accepted < piece.size()) {
      blocked_ = true;
      return;
    }
  }
}

// --- relay ---------------------------------------------------------------

RelaySide::RelaySide(const ScenarioConfig& config) : config_(config) {
  sent_at_.reserve(config.pings);
  rtts_.reserve(config.pings);
}

void RelaySide::on_established(TunnelPeer& peer) {
  if (!check_tls13(peer)) return;
  // kRequired already refused a handshake without one; check it anyway.
  if (SSL_get0_peer_certificate(peer.ssl()) == nullptr) {
    peer.fail_link(bench_error("relay", "the agent presented no client certificate"));
    return;
  }
  cipher_ = SSL_get_cipher_name(peer.ssl());
}

void RelaySide::on_event(TunnelPeer& peer, wire::MuxEvent& event) {
  using Kind = wire::MuxEvent::Kind;
  switch (event.kind) {
    case Kind::kControl:
      on_control(peer, event.control);
      return;
    case Kind::kChannelOpened:
      on_opened(peer, event);
      return;
    case Kind::kChannelData:
      on_data(peer, event);
      return;
    case Kind::kChannelClosed:
      if (channel_ && event.channel == *channel_) on_bulk_closed(peer);
      return;
    case Kind::kChannelReset:
      peer.fail_link(bench_error("relay", "the agent reset channel " +
                                              std::to_string(event.channel) + ": " + event.reason));
      return;
    case Kind::kChannelWritable:
      return;
  }
}

void RelaySide::on_control(TunnelPeer& peer, const v1::Frame& frame) {
  switch (frame.body_case()) {
    case v1::Frame::kHello:
      on_hello(peer, frame.hello());
      return;
    case v1::Frame::kResponse:
      on_response(peer, frame.response());
      return;
    case v1::Frame::kGoodbye:
      peer.fail_link(
          bench_error("relay", "the agent said goodbye early: " + frame.goodbye().reason()));
      return;
    default:
      peer.fail_link(bench_error(
          "relay", "unexpected control frame (body " + std::to_string(frame.body_case()) + ")"));
      return;
  }
}

void RelaySide::on_hello(TunnelPeer& peer, const v1::Hello& hello) {
  const std::string certified = tls::peer_common_name(peer.ssl());
  if (hello.device_id() != certified) {
    peer.fail_link(bench_error("relay", "hello names device '" + hello.device_id().substr(0, 64) +
                                            "' but the certificate is for '" + certified + "'"));
    return;
  }
  const std::uint32_t max_frame = std::max(
      wire::kMinMaxFrameSize,
      std::min(wire::kDefaultMaxFrameSize,
               hello.max_frame_size() != 0 ? hello.max_frame_size() : wire::kDefaultMaxFrameSize));
  peer.mux().set_max_frame_size(max_frame);
  v1::Frame frame;
  auto* ack = frame.mutable_hello_ack();
  ack->set_relay_version(HELPLINE_VERSION);
  ack->set_max_frame_size(max_frame);
  ack->set_heartbeat_interval_ms(hello.heartbeat_interval_ms());
  send_or_fail(peer, std::move(frame));
  // With bulk data, pings start once it flows (on_data).
  if (config_.bulk == BulkMode::kNone && config_.pings > 0) pinging_ = true;
}

void RelaySide::on_opened(TunnelPeer& peer, const wire::MuxEvent& event) {
  if (config_.bulk == BulkMode::kNone || channel_ || event.open_kind != kBulkKind) {
    peer.mux().reset_channel(event.channel, "unexpected channel");
    peer.fail_link(bench_error("relay", "unexpected channel of kind '" + event.open_kind + "'"));
    return;
  }
  channel_ = event.channel;
  opened_at_ = Clock::now();
}

void RelaySide::on_data(TunnelPeer& peer, const wire::MuxEvent& event) {
  if (!channel_ || event.channel != *channel_) return;  // the open was refused above
  if (!matches_pattern(received_, event.data)) {
    peer.fail_link(bench_error("relay", "bulk bytes at offset " + std::to_string(received_) +
                                            " differ from what the agent wrote"));
    return;
  }
  received_ += event.data.size();
  peer.mux().consume(event.channel, event.data.size());
  if (config_.bulk == BulkMode::kFixed && received_ > config_.bulk_bytes) {
    peer.fail_link(bench_error("relay", "more bulk bytes than the agent was asked to send"));
    return;
  }
  if (config_.bulk == BulkMode::kUntilDone && !pinging_ && sent_at_.empty()) pinging_ = true;
}

void RelaySide::on_bulk_closed(TunnelPeer& peer) {
  const auto now = Clock::now();
  if (config_.bulk != BulkMode::kFixed || received_ != config_.bulk_bytes) {
    peer.fail_link(bench_error(
        "relay", "the bulk channel closed after " + std::to_string(received_) + " bytes"));
    return;
  }
  bulk_closed_ = true;
  bulk_end_ = now;
  check_finished(peer, now);
}

void RelaySide::on_response(TunnelPeer& peer, const v1::Response& response) {
  const auto now = Clock::now();
  const std::uint64_t id = response.id();
  if (id == 0 || id > sent_at_.size() || rtts_[id - 1]) {
    peer.fail_link(bench_error("relay", "response to unknown request " + std::to_string(id)));
    return;
  }
  if (!response.has_pong() || response.pong().payload() != kPingPayload) {
    peer.fail_link(bench_error("relay", "request " + std::to_string(id) + " got no pong"));
    return;
  }
  rtts_[id - 1] = now - sent_at_[id - 1];
  ++answered_;
  check_finished(peer, now);
}

void RelaySide::on_tick(TunnelPeer& peer, Clock::time_point now) {
  if (pinging_ && sent_at_.size() < config_.pings && now >= next_ping_) send_ping(peer, now);
  check_finished(peer, now);
}

Clock::time_point RelaySide::next_timer() const {
  if (pinging_ && sent_at_.size() < config_.pings) return next_ping_;
  return Clock::time_point::max();
}

void RelaySide::send_ping(TunnelPeer& peer, Clock::time_point now) {
  v1::Frame frame;
  auto* request = frame.mutable_request();
  request->set_id(sent_at_.size() + 1);
  request->mutable_ping()->set_payload(std::string(kPingPayload));
  sent_at_.push_back(Clock::now());
  rtts_.emplace_back();
  next_ping_ = now + config_.ping_interval;
  send_or_fail(peer, std::move(frame));
}

void RelaySide::check_finished(TunnelPeer& peer, Clock::time_point now) {
  if (finished_ || answered_ < config_.pings) return;
  if (config_.bulk == BulkMode::kFixed && !bulk_closed_) return;
  if (config_.bulk == BulkMode::kUntilDone) bulk_end_ = now;
  finished_ = true;
  peer.close("benchmark finished");
}

ScenarioResult RelaySide::result() const {
  ScenarioResult result;
  result.cipher = cipher_;
  result.bulk_bytes = received_;
  if (channel_) result.bulk_duration = bulk_end_ - opened_at_;
  result.rtts.reserve(rtts_.size());
  for (const auto& rtt : rtts_) {
    if (rtt) result.rtts.push_back(*rtt);
  }
  return result;
}

}  // namespace helpline::bench
