// Multiplexer input: every frame from the peer is validated here. Nothing a
// peer sends may crash us or grow memory without bound: faults on one
// stream reset that stream, faults of the link end it with a Goodbye.
#include <limits>
#include <utility>

#include "common/wire/multiplexer.h"
#include "common/wire/multiplexer_internal.h"

namespace helpline::wire {

namespace {

std::string channel_name(std::uint32_t id) { return "channel " + std::to_string(id); }

}  // namespace

Result<void> Multiplexer::on_frame(v1::Frame& frame) {
  const std::uint32_t id = frame.channel();
  const auto body = frame.body_case();
  if (body == v1::Frame::BODY_NOT_SET) {
    return fail(make_error(WireError::kMalformedFrame, "frame has no body"));
  }
  if (internal::is_control_body(body)) {
    if (id != 0) {
      return fail(
          make_error(WireError::kUnexpectedFrame, "control frame on stream " + channel_name(id)));
    }
    MuxEvent event;
    event.kind = MuxEvent::Kind::kControl;
    event.control = std::move(frame);
    return push_peer_event(std::move(event));
  }
  if (id == 0) {
    return fail(make_error(WireError::kUnexpectedFrame, "stream frame on control channel 0"));
  }
  switch (body) {
    case v1::Frame::kOpen:
      return on_open(id, *frame.mutable_open());
    case v1::Frame::kData:
      return on_data(id, *frame.mutable_data()->mutable_data());
    case v1::Frame::kWindowUpdate:
      return on_window_update(id, frame.window_update().increment());
    case v1::Frame::kClose:
      return on_close(id);
    case v1::Frame::kReset:
      on_reset(id, frame.reset().reason());
      return {};
    default:
      // A body this build does not know: the schema changed under us.
      return fail(make_error(WireError::kUnexpectedFrame, "frame type not supported"));
  }
}

Result<void> Multiplexer::on_open(std::uint32_t id, v1::ChannelOpen& open) {
  if (is_local_id(id)) {
    return fail(make_error(WireError::kChannelState,
                           "peer opened " + channel_name(id) + ", an id of our parity"));
  }
  if (id <= highest_peer_id_) {
    return fail(make_error(WireError::kChannelState,
                           "peer opened " + channel_name(id) + " again or out of order"));
  }
  highest_peer_id_ = id;
  if (channels_.size() >= config_.max_channels) {
    // Refuse the stream, keep the link: the peer may have opened while we
    // opened our own, so it could not know we were at the limit.
    remember_closed(id);
    return queue_peer_frame(internal::make_reset(id, to_code(WireError::kChannelLimit)));
  }
  Channel& channel = channels_[id];
  channel.send_credit = open.initial_window();
  grant(channel, config_.initial_window);

  MuxEvent event;
  event.kind = MuxEvent::Kind::kChannelOpened;
  event.channel = id;
  event.open_kind = std::move(*open.mutable_kind());
  event.metadata = std::move(*open.mutable_metadata());
  event.request_id = open.request_id();
  return push_peer_event(std::move(event));
}

Result<void> Multiplexer::on_data(std::uint32_t id, std::string& data) {
  auto it = channels_.find(id);
  if (it == channels_.end()) return on_unknown_channel(id);
  Channel& channel = it->second;
  if (channel.remote_closed) return reset_for_fault(id, WireError::kChannelState);
  if (data.size() > channel.recv_window) return reset_for_fault(id, WireError::kWindowViolation);
  channel.recv_window -= data.size();
  if (data.empty()) return {};
  // Merging keeps a stream of tiny frames from costing one event each;
  // a bulk stream's full frames are moved, not copied into one another.
  if (!events_.empty() && events_.back().kind == MuxEvent::Kind::kChannelData &&
      events_.back().channel == id &&
      events_.back().data.size() + data.size() <= config_.max_data_chunk) {
    events_.back().data.append(data);
    return {};
  }
  MuxEvent event;
  event.kind = MuxEvent::Kind::kChannelData;
  event.channel = id;
  event.data = std::move(data);
  return push_peer_event(std::move(event));
}

Result<void> Multiplexer::on_window_update(std::uint32_t id, std::uint32_t increment) {
  auto it = channels_.find(id);
  if (it == channels_.end()) return on_unknown_channel(id);
  Channel& channel = it->second;
  if (channel.send_credit + increment > std::numeric_limits<std::uint32_t>::max()) {
    return reset_for_fault(id, WireError::kWindowViolation);
  }
  channel.send_credit += increment;
  return {};
}

Result<void> Multiplexer::on_close(std::uint32_t id) {
  auto it = channels_.find(id);
  if (it == channels_.end()) return on_unknown_channel(id);
  if (it->second.remote_closed) return reset_for_fault(id, WireError::kChannelState);
  it->second.remote_closed = true;
  MuxEvent event;
  event.kind = MuxEvent::Kind::kChannelClosed;
  event.channel = id;
  auto pushed = push_peer_event(std::move(event));
  maybe_release(id);
  return pushed;
}

void Multiplexer::on_reset(std::uint32_t id, const std::string& reason) {
  // Never answer a reset with a reset: that could ping-pong forever.
  if (channels_.count(id) == 0) return;
  release(id);
  MuxEvent event;
  event.kind = MuxEvent::Kind::kChannelReset;
  event.channel = id;
  event.reason = internal::clip(reason);
  // The event cap is checked by the next frame; a reset is at most one
  // event per channel that was open, so this cannot grow without bound.
  events_.push_back(std::move(event));
}

Result<void> Multiplexer::on_unknown_channel(std::uint32_t id) {
  if (recently_closed(id)) return {};  // in flight when we closed or reset it
  remember_closed(id);                 // answer once, not once per frame
  return queue_peer_frame(internal::make_reset(id, to_code(WireError::kUnknownChannel)));
}

Result<void> Multiplexer::reset_for_fault(std::uint32_t id, WireError fault) {
  release(id);
  if (auto ok = queue_peer_frame(internal::make_reset(id, to_code(fault))); !ok) return ok;
  MuxEvent event;
  event.kind = MuxEvent::Kind::kChannelReset;
  event.channel = id;
  event.reason = to_code(fault);
  return push_peer_event(std::move(event));
}

Result<void> Multiplexer::push_peer_event(MuxEvent event) {
  if (events_.size() >= config_.max_control_queue * 4) {
    return fail(make_error(WireError::kBufferLimit,
                           "too many events not yet polled: " + std::to_string(events_.size())));
  }
  events_.push_back(std::move(event));
  return {};
}

Result<void> Multiplexer::queue_peer_frame(v1::Frame frame) {
  if (control_queue_.size() >= config_.max_control_queue) {
    return fail(make_error(WireError::kBufferLimit,
                           "control queue full: the peer provokes replies but does not read"));
  }
  control_queue_.push_back(std::move(frame));
  return {};
}

}  // namespace helpline::wire
