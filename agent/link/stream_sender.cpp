#include "agent/link/stream_sender.h"

#include <spdlog/spdlog.h>

#include <span>

namespace helpline::agent {

StreamSender::StreamSender(ChannelStream stream, std::shared_ptr<const std::string> bytes,
                           std::string what, Done on_done)
    : stream_(std::move(stream)),
      bytes_(std::move(bytes)),
      what_(std::move(what)),
      on_done_(std::move(on_done)) {}

StreamSender::~StreamSender() {
  if (on_done_) finish(fail("stream_reset", "the stream for " + what_ + " ended early"));
}

void StreamSender::on_data(std::string_view data) {
  // The relay sends nothing on these streams; keep its credit flowing anyway.
  stream_.consume(data.size());
}

void StreamSender::on_writable() {
  if (!on_done_) return;
  const std::string& bytes = *bytes_;
  while (offset_ < bytes.size()) {
    auto rest = std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()) + offset_,
                          bytes.size() - offset_);
    auto written = stream_.write(rest);
    if (!written) {
      stream_.reset("internal: " + written.error().message);
      finish(fail("upload_failed", "cannot send " + what_ + ": " + written.error().to_string()));
      return;
    }
    if (*written == 0) return;  // the send buffer is full: on_writable() follows
    offset_ += *written;
  }
  if (auto closed = stream_.close(); !closed) {
    stream_.reset("internal: " + closed.error().message);
    finish(fail("upload_failed",
                "cannot finish the stream for " + what_ + ": " + closed.error().to_string()));
    return;
  }
  spdlog::debug("{} ({} bytes) sent to the relay", what_, bytes.size());
  finish({});
}

void StreamSender::on_reset(std::string_view reason) {
  if (!on_done_) return;
  spdlog::warn("the stream for {} ended early: {}", what_, reason);
  finish(fail("stream_reset", "the stream for " + what_ + " ended early: " + std::string(reason)));
}

void StreamSender::finish(Result<void> outcome) {
  // The bytes are queued in the multiplexer now (or dropped): our share goes.
  bytes_.reset();
  std::exchange(on_done_, nullptr)(std::move(outcome));
}

}  // namespace helpline::agent
