// Multiplexer output: control frames and window updates first, then stream
// data round-robin, each channel's close after its last byte. Framing is
// lazy (only up to the caller's budget), which is what lets a heartbeat
// queued now overtake megabytes of bulk data already accepted by write().
#include <algorithm>
#include <utility>

#include "common/wire/multiplexer.h"
#include "common/wire/multiplexer_internal.h"

namespace helpline::wire {

std::span<const std::uint8_t> Multiplexer::pending_output(std::size_t budget) {
  budget = std::max<std::size_t>(budget, 1);
  while (output_.size() < budget && frame_next_control()) {
  }
  if (!input_closed_) {
    while (output_.size() < budget && frame_next_data()) {
    }
  }
  return {reinterpret_cast<const std::uint8_t*>(output_.data()), output_.size()};
}

void Multiplexer::consume_output(std::size_t n) {
  if (n >= output_.size()) {
    std::string().swap(output_);  // drained: an idle link keeps no buffer
    return;
  }
  output_.erase(0, n);
}

bool Multiplexer::wants_write() const {
  if (!output_.empty() || !control_queue_.empty()) return true;
  return std::any_of(channels_.begin(), channels_.end(), [this](const auto& entry) {
    return entry.second.update_due > 0 || (!input_closed_ && sendable(entry.second));
  });
}

void Multiplexer::frame_or_fail(const v1::Frame& frame) {
  // Only possible when the frame size shrank after the frame was queued;
  // the frame cannot be sent, so the link cannot go on consistently.
  if (auto ok = encode_frame(frame, max_frame_size_, output_); !ok) fail_link(ok.error());
}

bool Multiplexer::frame_next_control() {
  if (!control_queue_.empty()) {
    v1::Frame frame = std::move(control_queue_.front());
    control_queue_.pop_front();
    frame_or_fail(frame);
    return true;
  }
  for (auto& [id, channel] : channels_) {
    if (channel.update_due == 0) continue;
    v1::Frame frame;
    frame.set_channel(id);
    // update_due never exceeds initial_window, a uint32.
    frame.mutable_window_update()->set_increment(static_cast<std::uint32_t>(channel.update_due));
    channel.update_due = 0;
    frame_or_fail(frame);
    return true;
  }
  return false;
}

bool Multiplexer::sendable(const Channel& channel) const {
  if (channel.queued() > 0) return channel.send_credit > 0;
  return channel.local_closed && !channel.close_sent;
}

std::size_t Multiplexer::chunk_limit() const {
  const std::size_t by_frame = max_frame_size_ - internal::kDataFrameOverhead;
  return std::max<std::size_t>(std::min<std::size_t>(config_.max_data_chunk, by_frame), 1);
}

bool Multiplexer::frame_next_data() {
  if (channels_.empty()) return false;
  auto it = channels_.upper_bound(round_robin_cursor_);
  for (std::size_t i = 0; i < channels_.size(); ++i, ++it) {
    if (it == channels_.end()) it = channels_.begin();
    if (sendable(it->second)) {
      round_robin_cursor_ = it->first;
      frame_data(it->first, it->second);
      return true;
    }
  }
  return false;
}

void Multiplexer::frame_data(std::uint32_t id, Channel& channel) {
  if (channel.queued() == 0) {
    v1::Frame frame;
    frame.set_channel(id);
    frame.mutable_close();
    channel.close_sent = true;
    frame_or_fail(frame);
    maybe_release(id);  // may erase `channel`
    return;
  }
  const std::size_t n = std::min({channel.queued(), channel.send_credit, chunk_limit()});
  v1::Frame frame;
  frame.set_channel(id);
  frame.mutable_data()->set_data(channel.send_buffer.data() + channel.send_offset, n);
  channel.send_offset += n;
  channel.send_credit -= n;
  frame_or_fail(frame);
  if (input_closed_) return;  // framing failed the link: `channel` is gone

  // Compact once the consumed prefix dominates, so a long stream neither
  // grows the buffer nor copies it on every chunk.
  if (channel.send_offset == channel.send_buffer.size()) {
    channel.send_buffer.clear();
    channel.send_offset = 0;
  } else if (channel.send_offset > channel.send_buffer.size() / 2) {
    channel.send_buffer.erase(0, channel.send_offset);
    channel.send_offset = 0;
  }
  if (channel.writable_pending && channel.queued() <= config_.max_send_buffer / 2) {
    channel.writable_pending = false;
    MuxEvent event;
    event.kind = MuxEvent::Kind::kChannelWritable;
    event.channel = id;
    events_.push_back(std::move(event));
  }
}

}  // namespace helpline::wire
