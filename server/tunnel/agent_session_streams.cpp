// AgentSession: streams the agent opens in answer to a request (see
// stream_sink.h) and the uploads that carry its deliveries. Anything else
// an agent opens is reset.
#include <spdlog/spdlog.h>

#include "server/tunnel/agent_session.h"

namespace helpline::relay {

namespace {

// A reset reason carries the code first so the agent can log something
// specific: "too_large: the bundle exceeds ...".
[[nodiscard]] std::string reset_reason(const Error& why) {
  return why.message.empty() ? why.code : why.code + ": " + why.message;
}

}  // namespace

void AgentSession::on_stream_event(wire::MuxEvent& event) {
  using Kind = wire::MuxEvent::Kind;
  if (route_relay_stream(event)) return;
  switch (event.kind) {
    case Kind::kChannelOpened:
      on_stream_open(event);
      return;
    case Kind::kChannelData: {
      auto it = streams_.find(event.channel);
      if (it == streams_.end()) {
        // In flight before our reset reached the agent: grant it back, drop it.
        mux_.consume(event.channel, event.data.size());
        return;
      }
      auto stored = it->second->on_data(event.data);
      mux_.consume(event.channel, event.data.size());
      if (!stored) end_stream(event.channel, stored.error(), /*reset=*/true);
      wake_writer();
      return;
    }
    case Kind::kChannelClosed: {
      auto it = streams_.find(event.channel);
      if (it == streams_.end()) return;
      auto sink = std::move(it->second);
      streams_.erase(it);
      // Our half close releases the channel; nothing goes the other way.
      (void)mux_.close_channel(event.channel);
      wake_writer();
      sink->on_end();
      return;
    }
    case Kind::kChannelReset: {
      auto it = streams_.find(event.channel);
      if (it == streams_.end()) return;
      spdlog::warn("agent {} reset its {} stream: {}", device_id_, it->second->kind(),
                   event.reason);
      end_stream(event.channel,
                 Error{"stream_reset", "the device ended the stream: " + event.reason},
                 /*reset=*/false);
      return;
    }
    default:
      return;
  }
}

void AgentSession::on_stream_open(const wire::MuxEvent& event) {
  // An "upload" answers one of the agent's own requests (a delivery); any
  // other stream answers one of ours. The two id spaces never mix.
  auto& table = event.open_kind == kUploadStreamKind ? expected_uploads_ : expected_streams_;
  auto expected = event.request_id == 0 ? table.end() : table.find(event.request_id);
  if (phase_ != Phase::kOnline || expected == table.end()) {
    spdlog::warn("agent {} opened a '{}' stream that answers no pending request; reset", device_id_,
                 event.open_kind.substr(0, 32));
    mux_.reset_channel(event.channel, "unexpected_stream: no pending request with id " +
                                          std::to_string(event.request_id));
    wake_writer();
    return;
  }
  // One stream per request.
  auto sink = std::move(expected->second);
  table.erase(expected);
  streams_[event.channel] = sink;
  if (event.open_kind != sink->kind()) {
    end_stream(
        event.channel,
        Error{"unexpected_stream", "the device answered with a '" + event.open_kind.substr(0, 32) +
                                       "' stream, not '" + std::string(sink->kind()) + "'"},
        /*reset=*/true);
    return;
  }
  if (auto opened = sink->on_open(event.metadata); !opened) {
    end_stream(event.channel, opened.error(), /*reset=*/true);
  }
}

void AgentSession::end_stream(std::uint32_t channel, const Error& why, bool reset) {
  auto it = streams_.find(channel);
  if (it == streams_.end()) return;
  auto sink = std::move(it->second);
  streams_.erase(it);
  if (reset) {
    mux_.reset_channel(channel, reset_reason(why));
    wake_writer();
  }
  sink->on_abort(why);
}

void AgentSession::abort_streams(const Error& why) {
  auto streams = std::move(streams_);
  streams_.clear();
  for (auto& [channel, sink] : streams) sink->on_abort(why);
}

}  // namespace helpline::relay
