// The bytes a bridge has queued toward the technician, handed out as
// WebSocket messages of whole frames (internal to server/sessions).
//
// The agent delivers a stream in pieces of up to 16 KiB, and a frame that
// fills one TLS record carries a little less than that (its header takes
// the rest). Writing each piece as its own message therefore cost a full
// record plus a record of a few bytes: two SSL_writes and two send(2)s for
// every 16 KiB of a file pull. Handing out, while at least one frame's
// worth is queued, only whole frames' worth across pieces, and leaving the
// rest for the next message, keeps every record full. Nothing waits for
// more data: what is queued below one frame is handed out at once.
//
// Thread: one owner.
#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace helpline::relay::sessions {

class FrameBatch {
 public:
  // `frame` is the payload of one WebSocket frame; `max_message` caps one
  // message (at least one frame).
  FrameBatch(std::size_t frame, std::size_t max_message);

  void push(std::string data);
  [[nodiscard]] bool empty() const { return queued_ == 0; }
  [[nodiscard]] std::size_t queued() const { return queued_; }

  // The next message, as views into the queue: whole frames' worth while at
  // least one frame is queued (at most max_message), else everything. The
  // views stay valid until consume(); push() keeps them valid (queued
  // pieces never move), so more may arrive while a message is written.
  [[nodiscard]] std::vector<std::string_view> next() const;
  // Drops the first `n` queued bytes (what next() gave, once written).
  void consume(std::size_t n);

 private:
  std::size_t frame_;
  std::size_t max_message_;
  std::deque<std::string> pieces_;
  std::size_t front_used_ = 0;  // bytes of pieces_.front() already written
  std::size_t queued_ = 0;
};

}  // namespace helpline::relay::sessions
