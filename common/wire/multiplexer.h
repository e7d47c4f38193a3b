// Channel multiplexer with credit-based flow control, over the frame codec.
//
// Channel 0 carries control frames (hello, heartbeat, requests). Every other
// channel is a byte stream opened by either side: the agent uses odd ids, the
// relay even ids, so both may open at once without clashing. Ids are never
// reused: each side opens ids in increasing order, and a peer ChannelOpen
// with our parity, or an id not above the peer's last one (so also an id
// still open), is a link error (channel_state).
//
// Frame placement: control bodies (hello ... goodbye) only on channel 0,
// stream bodies (open, data, window_update, close, reset) only on channel
// != 0; anything else is a link error (unexpected_frame).
//
// Credit: each side grants the other a receive window per channel of its
// own config.initial_window. The opener announces its grant in
// ChannelOpen.initial_window, so the acceptor may send that much at once;
// the opener starts with zero credit, and the acceptor grants its own window
// with a WindowUpdate queued as soon as it sees the open. So the opener
// waits one round trip before sending data; the acceptor does not. As the
// application consume()s delivered bytes the receiver grants them back with
// a WindowUpdate once at least half a window has been consumed (one update
// per half window, not per read). A sender
// never sends more than its credit; a peer that does is answered with a
// reset of that channel (window_violation), not of the link.
//
// Stream faults reset only that channel: data beyond the window
// (window_violation), data or a second close after the peer's close
// (channel_state), a window above 2^32-1 (window_violation). The
// application sees kChannelReset with that code as reason. Data, window or
// close for an id that is not open is ignored if the id was closed or reset
// recently (a bounded memory of the last few hundred ids), otherwise that id
// is reset with unknown_channel. A peer reset of an unknown id is ignored.
// A peer open beyond max_channels is refused with a reset (channel_limit)
// and the link stays up: both sides may open at the same moment, so the
// peer cannot know our exact count.
//
// Close is a half close. A channel is released (is_open() false, id
// remembered as recently closed) once both sides' ChannelClose went by, or
// at once on a reset from either side. The application's own
// reset_channel() produces no event; resets from the peer or for a peer
// fault do.
//
// Output is pulled: pending_output(budget) turns queued work into at most
// about `budget` bytes of frames, control frames (channel 0, window updates,
// open/reset) always first, then stream data round-robin in chunks of at
// most max_data_chunk, each channel's ChannelClose after its last data.
// Callers keep little in flight on the socket, so a bulk channel never
// delays a heartbeat or a keystroke.
//
// Limits: frames above the maximum frame size, more than max_control_queue
// control frames queued because of peer input (e.g. resets it provoked
// while not reading), or more than 4 * max_control_queue events not yet
// polled (consecutive small data events of one channel are merged) are link
// errors. Local calls get partial acceptance (write) or an error.
//
// Thread: none; one owner calls everything. Ownership: all state is owned.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>

#include "common/core/result.h"
#include "common/wire/fifo.h"
#include "common/wire/frame_codec.h"
#include "common/wire/wire_error.h"
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
  std::size_t max_control_queue = 4096;        // queued control frames (x4: pending events)
};

struct MuxEvent {
  enum class Kind {
    kControl,          // `control` holds a channel-0 frame (hello, request, ...)
    kChannelOpened,    // peer opened `channel`: `open_kind`, `metadata`, `request_id`
    kChannelData,      // `data` arrived on `channel`; call consume() once used
    kChannelWritable,  // `channel` has send buffer room again after write() took less
    kChannelClosed,    // peer will send no more on `channel` (half close)
    kChannelReset,     // `channel` is gone: `reason` (peer reset or peer fault)
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
  // config.max_frame_size is raised to at least kMinMaxFrameSize.
  explicit Multiplexer(MuxConfig config);

  // Inbound plaintext bytes from the peer, any split. Errors here are fatal
  // to the link (frame_too_large, malformed_frame, unexpected_frame,
  // channel_state, buffer_limit); the multiplexer then queues a Goodbye
  // naming the error (reason "protocol_error"), refuses further input
  // (closed), and the caller flushes pending_output() and closes. Events
  // already queued stay pollable. Stream-level faults (unknown channel,
  // window violation) reset only that channel and are reported as events.
  // A peer Goodbye is delivered as a kControl event like any control frame.
  [[nodiscard]] Result<void> receive(std::span<const std::uint8_t> bytes);

  // Next event, oldest first.
  [[nodiscard]] std::optional<MuxEvent> poll_event();

  // Queues a channel-0 frame (its channel field is forced to 0) ahead of
  // all stream data. Errors: buffer_limit when max_control_queue is reached,
  // unexpected_frame for a stream body, malformed_frame for no body,
  // frame_too_large, closed after shutdown or a link error.
  [[nodiscard]] Result<void> send_control(v1::Frame frame);

  // Opens a stream; data may be written at once and goes out when the peer
  // grants credit. Errors: channel_limit (max_channels open, or ids used
  // up), closed.
  [[nodiscard]] Result<std::uint32_t> open_channel(std::string kind, std::string metadata = {},
                                                   std::uint64_t request_id = 0);

  // Queues stream data; returns how many bytes were accepted (less than
  // asked, possibly 0, when the channel's send buffer is full; a
  // kChannelWritable event follows once the buffer drained below half).
  // Errors: unknown_channel, channel_state (after close_channel, or after a
  // reset while the id is still remembered), closed.
  [[nodiscard]] Result<std::size_t> write(std::uint32_t channel,
                                          std::span<const std::uint8_t> data);

  // The application has used `n` bytes delivered on `channel`: grant the
  // peer that much credit again. Unknown channels are ignored.
  void consume(std::uint32_t channel, std::size_t n);

  // Half close: ChannelClose is sent after the data already queued.
  // Errors: unknown_channel, channel_state (already closed), closed.
  [[nodiscard]] Result<void> close_channel(std::uint32_t channel);

  // Drops queued data and sends ChannelReset with `reason` at once; the
  // channel is released. Unknown channels are ignored.
  void reset_channel(std::uint32_t channel, std::string reason);

  // Queues a Goodbye and stops accepting input; all channels are dropped
  // (their queued data is not sent), control frames already queued go out
  // before the Goodbye. Output continues until the caller has flushed it.
  // A second call does nothing.
  void shutdown(std::string reason, std::optional<Error> error = std::nullopt);

  // Bytes to write to the peer next, produced from the queues up to about
  // `budget` bytes (at least one whole frame when anything is pending).
  // Stays valid until consume_output() or any non-const call. Framing may
  // raise kChannelWritable: poll events after writing too, not only after
  // receive(), or a writer waits for whatever the peer sends next.
  [[nodiscard]] std::span<const std::uint8_t> pending_output(std::size_t budget = 64u * 1024);
  void consume_output(std::size_t n);
  [[nodiscard]] bool wants_write() const;

  // After hello negotiation: the smaller of both sides' maxima (raised to
  // at least kMinMaxFrameSize). Applies to both directions.
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
    std::string send_buffer;  // accepted by write(); unframed from send_offset
    std::size_t send_offset = 0;
    std::size_t send_credit = 0;    // what the peer still allows us
    std::size_t recv_window = 0;    // what we still allow the peer (granted)
    std::size_t recv_unacked = 0;   // consumed bytes not yet granted back
    std::size_t update_due = 0;     // granted, WindowUpdate not yet framed
    bool local_closed = false;      // close_channel() called
    bool close_sent = false;        // ChannelClose framed
    bool remote_closed = false;     // peer's ChannelClose received
    bool writable_pending = false;  // owe a kChannelWritable event

    [[nodiscard]] std::size_t queued() const { return send_buffer.size() - send_offset; }
  };

  // Input (multiplexer_input.cpp).
  Result<void> on_frame(v1::Frame& frame);
  Result<void> on_open(std::uint32_t id, v1::ChannelOpen& open);
  Result<void> on_data(std::uint32_t id, std::string& data);
  Result<void> on_window_update(std::uint32_t id, std::uint32_t increment);
  Result<void> on_close(std::uint32_t id);
  void on_reset(std::uint32_t id, const std::string& reason);
  Result<void> on_unknown_channel(std::uint32_t id);
  Result<void> reset_for_fault(std::uint32_t id, WireError fault);
  Result<void> push_peer_event(MuxEvent event);
  Result<void> queue_peer_frame(v1::Frame frame);

  // Output (multiplexer_output.cpp).
  void frame_or_fail(const v1::Frame& frame);
  bool frame_next_control();
  bool frame_next_data();
  void frame_data(std::uint32_t id, Channel& channel);
  [[nodiscard]] bool sendable(const Channel& channel) const;
  [[nodiscard]] std::size_t chunk_limit() const;

  // Shared state changes (multiplexer.cpp).
  Result<Channel*> find_for_local_call(std::uint32_t channel);
  void grant(Channel& channel, std::size_t n);
  void fail_link(Error error);
  void maybe_release(std::uint32_t id);
  void release(std::uint32_t id);
  void remember_closed(std::uint32_t id);
  [[nodiscard]] bool recently_closed(std::uint32_t id) const;
  [[nodiscard]] bool is_local_id(std::uint32_t id) const;

  MuxConfig config_;
  std::uint32_t max_frame_size_;
  FrameDecoder decoder_;
  std::map<std::uint32_t, Channel> channels_;
  // Fifo rather than std::deque: an idle link's empty queues hold no memory.
  Fifo<v1::Frame> control_queue_;
  Fifo<MuxEvent> events_;
  Fifo<std::uint32_t> closed_order_;        // recently released ids, oldest first
  std::set<std::uint32_t> closed_ids_;      // the same ids, for lookup
  std::string output_;                      // framed bytes not yet consumed
  std::uint64_t next_local_id_;             // above 2^32-1: ids used up
  std::uint32_t highest_peer_id_ = 0;
  std::uint32_t round_robin_cursor_ = 0;
  bool failed_ = false;
  bool input_closed_ = false;  // shutdown() or link error
};

}  // namespace helpline::wire
