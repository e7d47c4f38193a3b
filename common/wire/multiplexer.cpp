// Public calls and the state changes input and output share. Input handling
// is in multiplexer_input.cpp, output framing in multiplexer_output.cpp.
#include "common/wire/multiplexer.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "common/wire/multiplexer_internal.h"

namespace helpline::wire {

using internal::clip;

Multiplexer::Multiplexer(MuxConfig config)
    : config_(config),
      max_frame_size_(std::max(config.max_frame_size, kMinMaxFrameSize)),
      decoder_(max_frame_size_),
      next_local_id_(config.role == Role::kAgent ? 1 : 2) {
  config_.max_frame_size = max_frame_size_;
}

Result<void> Multiplexer::receive(std::span<const std::uint8_t> bytes) {
  if (input_closed_) {
    return fail(make_error(WireError::kClosed, "input refused: the link is shutting down"));
  }
  auto decoded = decoder_.receive(bytes);
  // Frames completed before a decode error are still the peer's word.
  while (auto frame = decoder_.next()) {
    if (auto ok = on_frame(*frame); !ok) {
      fail_link(ok.error());
      return ok;
    }
    if (input_closed_) break;
  }
  if (!decoded) {
    fail_link(decoded.error());
    return decoded;
  }
  return {};
}

std::optional<MuxEvent> Multiplexer::poll_event() {
  if (events_.empty()) return std::nullopt;
  MuxEvent event = std::move(events_.front());
  events_.pop_front();
  return event;
}

Result<void> Multiplexer::send_control(v1::Frame frame) {
  if (input_closed_) return fail(make_error(WireError::kClosed, "cannot send: link is closed"));
  if (frame.body_case() == v1::Frame::BODY_NOT_SET) {
    return fail(make_error(WireError::kMalformedFrame, "control frame has no body"));
  }
  if (!internal::is_control_body(frame.body_case())) {
    return fail(make_error(WireError::kUnexpectedFrame,
                           "stream frames go through open_channel/write/close_channel"));
  }
  if (control_queue_.size() >= config_.max_control_queue) {
    return fail(make_error(WireError::kBufferLimit, "control queue full (" +
                                                        std::to_string(config_.max_control_queue) +
                                                        " frames): the peer is not reading"));
  }
  frame.set_channel(0);
  const std::size_t size = frame.ByteSizeLong();
  if (size > max_frame_size_) {
    return fail(make_error(WireError::kFrameTooLarge, "control frame of " + std::to_string(size) +
                                                          " bytes exceeds the maximum of " +
                                                          std::to_string(max_frame_size_)));
  }
  control_queue_.push_back(std::move(frame));
  return {};
}

Result<std::uint32_t> Multiplexer::open_channel(std::string kind, std::string metadata,
                                                std::uint64_t request_id) {
  if (input_closed_) return fail(make_error(WireError::kClosed, "cannot open: link is closed"));
  if (channels_.size() >= config_.max_channels) {
    return fail(make_error(WireError::kChannelLimit,
                           std::to_string(config_.max_channels) + " channels already open"));
  }
  if (next_local_id_ > std::numeric_limits<std::uint32_t>::max()) {
    return fail(make_error(WireError::kChannelLimit, "channel ids used up: reconnect the link"));
  }
  const auto id = static_cast<std::uint32_t>(next_local_id_);
  next_local_id_ += 2;

  Channel& channel = channels_[id];
  channel.recv_window = config_.initial_window;  // announced in the open itself

  v1::Frame frame;
  frame.set_channel(id);
  v1::ChannelOpen* open = frame.mutable_open();
  open->set_kind(std::move(kind));
  open->set_initial_window(config_.initial_window);
  open->set_metadata(std::move(metadata));
  open->set_request_id(request_id);
  control_queue_.push_back(std::move(frame));
  return id;
}

Result<Multiplexer::Channel*> Multiplexer::find_for_local_call(std::uint32_t id) {
  if (input_closed_) return fail(make_error(WireError::kClosed, "link is closed"));
  auto it = channels_.find(id);
  if (it == channels_.end()) {
    if (recently_closed(id)) {
      return fail(make_error(WireError::kChannelState,
                             "channel " + std::to_string(id) + " was closed or reset"));
    }
    return fail(
        make_error(WireError::kUnknownChannel, "channel " + std::to_string(id) + " is not open"));
  }
  if (it->second.local_closed) {
    return fail(make_error(WireError::kChannelState,
                           "channel " + std::to_string(id) + " is already closed for sending"));
  }
  return &it->second;
}

Result<std::size_t> Multiplexer::write(std::uint32_t id, std::span<const std::uint8_t> data) {
  auto found = find_for_local_call(id);
  if (!found) return fail(found.error());
  Channel& channel = **found;
  const std::size_t room =
      config_.max_send_buffer - std::min(config_.max_send_buffer, channel.queued());
  const std::size_t accepted = std::min(room, data.size());
  channel.send_buffer.append(reinterpret_cast<const char*>(data.data()), accepted);
  if (accepted < data.size()) channel.writable_pending = true;
  return accepted;
}

void Multiplexer::consume(std::uint32_t id, std::size_t n) {
  auto it = channels_.find(id);
  if (it == channels_.end() || input_closed_) return;
  Channel& channel = it->second;
  // Never grant back more than was delivered: a confused caller must not
  // let the peer overrun our buffers.
  const std::size_t window = config_.initial_window;
  const std::size_t unconsumed =
      window - std::min(window, channel.recv_window + channel.recv_unacked);
  channel.recv_unacked += std::min(n, unconsumed);
  if (channel.remote_closed) return;  // nothing more will come: no update needed
  const std::size_t threshold = std::max<std::size_t>(window / 2, 1);
  if (channel.recv_unacked >= threshold) {
    grant(channel, channel.recv_unacked);
    channel.recv_unacked = 0;
  }
}

Result<void> Multiplexer::close_channel(std::uint32_t id) {
  auto found = find_for_local_call(id);
  if (!found) return fail(found.error());
  (*found)->local_closed = true;
  return {};
}

void Multiplexer::reset_channel(std::uint32_t id, std::string reason) {
  if (input_closed_ || channels_.count(id) == 0) return;
  control_queue_.push_back(internal::make_reset(id, clip(std::move(reason))));
  release(id);
}

void Multiplexer::shutdown(std::string reason, std::optional<Error> error) {
  if (input_closed_) return;
  input_closed_ = true;
  channels_.clear();
  v1::Frame frame;
  v1::Goodbye* goodbye = frame.mutable_goodbye();
  goodbye->set_reason(clip(std::move(reason)));
  if (error) {
    goodbye->mutable_error()->set_code(clip(error->code));
    goodbye->mutable_error()->set_message(clip(error->message));
  }
  control_queue_.push_back(std::move(frame));
}

void Multiplexer::fail_link(Error error) {
  failed_ = true;
  shutdown("protocol_error", std::move(error));
}

void Multiplexer::set_max_frame_size(std::uint32_t max_frame_size) {
  max_frame_size_ = std::max(max_frame_size, kMinMaxFrameSize);
  decoder_.set_max_frame_size(max_frame_size_);
}

std::size_t Multiplexer::send_credit(std::uint32_t id) const {
  auto it = channels_.find(id);
  return it == channels_.end() ? 0 : it->second.send_credit;
}

std::size_t Multiplexer::queued(std::uint32_t id) const {
  auto it = channels_.find(id);
  return it == channels_.end() ? 0 : it->second.queued();
}

void Multiplexer::grant(Channel& channel, std::size_t n) {
  channel.recv_window += n;
  channel.update_due += n;
}

void Multiplexer::maybe_release(std::uint32_t id) {
  auto it = channels_.find(id);
  if (it != channels_.end() && it->second.close_sent && it->second.remote_closed) release(id);
}

void Multiplexer::release(std::uint32_t id) {
  channels_.erase(id);
  remember_closed(id);
}

void Multiplexer::remember_closed(std::uint32_t id) {
  if (!closed_ids_.insert(id).second) return;
  closed_order_.push_back(id);
  if (closed_order_.size() > internal::kRecentlyClosedLimit) {
    closed_ids_.erase(closed_order_.front());
    closed_order_.pop_front();
  }
}

bool Multiplexer::recently_closed(std::uint32_t id) const { return closed_ids_.count(id) != 0; }

bool Multiplexer::is_local_id(std::uint32_t id) const {
  const bool odd = (id % 2) == 1;
  return config_.role == Role::kAgent ? odd : !odd;
}

}  // namespace helpline::wire
