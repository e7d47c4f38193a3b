// Channel multiplexer with credit-based flow control, over the frame codec.
//
// Channel 0 carries control frames (hello, heartbeat, requests). Every other
// channel is a byte stream opened by either side: the agent uses odd ids, the
// relay even ids, so both may open at once without clashing. Each side grants
// the other a receive window per channel (ChannelOpen.initial_window, then
// WindowUpdate as the application consume()s); a sender never sends more
// than its credit, and a peer that does is answered with a reset of that
// channel (window_violation), not of the link.
//
// Output is pulled: pending_output(budget) turns queued work into at most
// about `budget` bytes of frames, control frames (channel 0, window updates,
// open/close/reset) always first, then stream data round-robin in chunks of
// at most max_data_chunk. Callers keep little in flight on the socket, so a
// bulk channel never delays a heartbeat or a keystroke.
//
// Thread: none; one owner calls everything. Ownership: all state is owned.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <span>
#include <string>

#include "common/core/result.h"
#include "common/wire/frame_codec.h"
#include "helpline/v1/tunnel.pb.h"

namespace helpline::wire {

enum class Role { kAgent, kRelay };

struct MuxConfig {
  Role role = Role::kAgent;
  std::uint32_t max_frame_size = kDefaultMaxFrameSize;
  std::uint32_t initial_window = 256u * 1024;  // credit we grant per channel
  std::uint32_t max_data_chunk = 16u * 1024;   // largest ChannelData payload sent
  std::size_t max_channels = 256;              // open channels, both directions
  std::size_t max_send_buffer = 1u << 20;      // queued outbound bytes per channel
  std::size_t max_control_queue = 4096;        // queued control frames
};

struct MuxEvent {
  enum class Kind {
    kControl,          // `control` holds a channel-0 frame (hello, request, ...)
    kChannelOpened,    // peer opened `channel`: `open_kind`, `metadata`, `request_id`
    kChannelData,      // `data` arrived on `channel`; call consume() once used
    kChannelWritable,  // `channel` has send buffer room again after write() said 0
    kChannelClosed,    // peer will send no more on `channel` (half close)
    kChannelReset,     // `channel` is gone: `reason` (either side's reset)
  };
  Kind kind = Kind::kControl;
  std::uint32_t channel = 0;
  v1::Frame control;
  std::string open_kind;
  std::string metadata;
  std::uint64_t request_id = 0;
  std::string data;
  std::string reason;
};

class Multiplexer {
 public:
  explicit Multiplexer(MuxConfig config);

  // Inbound plaintext bytes from the peer, any split. Errors here are fatal
  // to the link (frame_too_large, malformed_frame, unexpected_frame,
  // channel_limit, buffer_limit); the multiplexer then queues a Goodbye
  // naming the error, refuses further input, and the caller flushes
  // pending_output() and closes. Stream-level faults (unknown channel,
  // window violation) reset only that channel and are reported as events.
  [[nodiscard]] Result<void> receive(std::span<const std::uint8_t> bytes);

  // Next event, oldest first.
  [[nodiscard]] std::optional<MuxEvent> poll_event();

  // Queues a channel-0 frame (its channel field is forced to 0) ahead of
  // all stream data. Errors: buffer_limit when max_control_queue is reached.
  [[nodiscard]] Result<void> send_control(v1::Frame frame);

  // Opens a stream. Errors: channel_limit.
  [[nodiscard]] Result<std::uint32_t> open_channel(std::string kind, std::string metadata = {},
                                                   std::uint64_t request_id = 0);

  // Queues stream data; returns how many bytes were accepted (less than
  // asked, possibly 0, when the channel's send buffer is full; a
  // kChannelWritable event follows once there is room). Errors:
  // unknown_channel, channel_state (after close_channel or reset).
  [[nodiscard]] Result<std::size_t> write(std::uint32_t channel,
                                          std::span<const std::uint8_t> data);

  // The application has used `n` bytes delivered on `channel`: grant the
  // peer that much credit again. Unknown channels are ignored.
  void consume(std::uint32_t channel, std::size_t n);

  // Half close: ChannelClose is sent after the data already queued.
  [[nodiscard]] Result<void> close_channel(std::uint32_t channel);

  // Drops queued data and sends ChannelReset with `reason` at once.
  void reset_channel(std::uint32_t channel, std::string reason);

  // Queues a Goodbye and stops accepting input; output continues until the
  // caller has flushed it.
  void shutdown(std::string reason, std::optional<Error> error = std::nullopt);

  // Bytes to write to the peer next, produced from the queues up to about
  // `budget` bytes (at least one whole frame when anything is pending).
  // Stays valid until consume_output() or any non-const call.
  [[nodiscard]] std::span<const std::uint8_t> pending_output(std::size_t budget = 64u * 1024);
  void consume_output(std::size_t n);
  [[nodiscard]] bool wants_write() const;

  // After hello negotiation: the smaller of both sides' maxima.
  void set_max_frame_size(std::uint32_t max_frame_size);

  [[nodiscard]] std::size_t channel_count() const { return channels_.size(); }
  [[nodiscard]] bool is_open(std::uint32_t channel) const { return channels_.count(channel) != 0; }
  // Bytes the peer currently lets us send on `channel` (0 if unknown).
  [[nodiscard]] std::size_t send_credit(std::uint32_t channel) const;
  // Bytes queued for `channel` but not yet framed (0 if unknown).
  [[nodiscard]] std::size_t queued(std::uint32_t channel) const;
  [[nodiscard]] bool failed() const { return failed_; }

 private:
  struct Channel {
    std::string send_buffer;             // accepted by write(), not yet framed
    std::size_t send_credit = 0;         // what the peer still allows us
    std::size_t recv_window = 0;         // what we still allow the peer
    std::size_t recv_unacked = 0;        // consumed bytes not yet granted back
    bool local_closed = false;           // close_channel() called
    bool close_sent = false;             // ChannelClose framed
    bool remote_closed = false;          // peer's ChannelClose received
    bool writable_pending = false;       // owe a kChannelWritable event
  };

  // Implementation detail members below are the implementer's to shape.
  Result<void> on_frame(v1::Frame frame);
  void queue_frame(v1::Frame frame);
  void fail_link(Error error);
  void maybe_release(std::uint32_t channel);

  MuxConfig config_;
  FrameDecoder decoder_;
  std::map<std::uint32_t, Channel> channels_;
  std::deque<v1::Frame> control_queue_;
  std::deque<MuxEvent> events_;
  std::string output_;                   // framed bytes not yet consumed
  std::uint32_t next_local_id_;
  std::uint32_t round_robin_cursor_ = 0;
  bool failed_ = false;
  bool input_closed_ = false;
};

}  // namespace helpline::wire
