// AgentSession: streams the relay opens (relay_stream.h). Kept apart from
// agent_session_streams.cpp, which serves the streams the agent opens.
#include <spdlog/spdlog.h>

#include "server/tunnel/agent_session.h"

namespace helpline::relay {

namespace {

[[nodiscard]] std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// "path_not_allowed: /etc is outside ..." -> {code, message}.
[[nodiscard]] Error error_from_reason(std::string_view reason) {
  auto colon = reason.find(": ");
  std::string_view code = colon == std::string_view::npos ? reason : reason.substr(0, colon);
  bool word = !code.empty() && code.size() <= 40 &&
              code.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") == std::string_view::npos;
  if (!word) return Error{"stream_reset", std::string(reason)};
  return Error{std::string(code), std::string(reason)};
}

}  // namespace

Result<std::uint32_t> AgentSession::open_stream(std::string kind, std::string metadata,
                                                std::shared_ptr<RelayStream> handler) {
  if (phase_ != Phase::kOnline) {
    return fail("device_offline", "device " + device_id_ + " is not connected");
  }
  auto id = mux_.open_channel(std::move(kind), std::move(metadata));
  if (!id) return fail(id.error());
  relay_streams_[*id] = std::move(handler);
  wake_writer();
  return *id;
}

Result<std::size_t> AgentSession::stream_write(std::uint32_t channel, std::string_view data) {
  auto written = mux_.write(channel, bytes_of(data));
  wake_writer();
  return written;
}

void AgentSession::stream_consume(std::uint32_t channel, std::size_t n) {
  mux_.consume(channel, n);
  wake_writer();
}

Result<void> AgentSession::stream_close(std::uint32_t channel) {
  auto closed = mux_.close_channel(channel);
  wake_writer();
  release_relay_stream(channel);
  return closed;
}

void AgentSession::stream_reset(std::uint32_t channel, std::string reason) {
  relay_streams_.erase(channel);
  mux_.reset_channel(channel, std::move(reason));
  wake_writer();
}

std::size_t AgentSession::stream_queued(std::uint32_t channel) const {
  return mux_.queued(channel);
}

void AgentSession::release_relay_stream(std::uint32_t channel) {
  // Both halves closed: the multiplexer released the id; so do we.
  if (!mux_.is_open(channel)) relay_streams_.erase(channel);
}

bool AgentSession::route_relay_stream(wire::MuxEvent& event) {
  auto it = relay_streams_.find(event.channel);
  if (it == relay_streams_.end()) return false;
  std::shared_ptr<RelayStream> handler = it->second;
  using Kind = wire::MuxEvent::Kind;
  switch (event.kind) {
    case Kind::kChannelData:
      handler->on_data(std::move(event.data));
      break;
    case Kind::kChannelWritable:
      handler->on_writable();
      break;
    case Kind::kChannelClosed:
      handler->on_peer_closed();
      release_relay_stream(event.channel);
      break;
    case Kind::kChannelReset:
      relay_streams_.erase(event.channel);
      handler->on_reset(error_from_reason(event.reason));
      break;
    default:
      return false;
  }
  wake_writer();
  return true;
}

void AgentSession::abort_relay_streams(const Error& why) {
  auto streams = std::move(relay_streams_);
  relay_streams_.clear();
  for (auto& [channel, handler] : streams) handler->on_reset(why);
}

}  // namespace helpline::relay
