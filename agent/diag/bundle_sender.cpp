#include "agent/diag/bundle_sender.h"

#include <spdlog/spdlog.h>

namespace helpline::agent::diag {

BundleSender::BundleSender(ChannelStream stream, std::string encoded, std::string id, Reply reply,
                           std::function<void()> on_done)
    : stream_(std::move(stream)),
      encoded_(std::move(encoded)),
      id_(std::move(id)),
      size_(encoded_.size()),
      reply_(std::move(reply)),
      on_done_(std::move(on_done)) {}

BundleSender::~BundleSender() {
  if (on_done_) on_done_();
}

void BundleSender::on_data(std::string_view data) {
  // The relay sends nothing on a bundle stream; keep its credit flowing anyway.
  stream_.consume(data.size());
}

void BundleSender::on_writable() {
  if (finished_) return;
  while (offset_ < encoded_.size()) {
    auto rest = std::span(reinterpret_cast<const std::uint8_t*>(encoded_.data()) + offset_,
                          encoded_.size() - offset_);
    auto written = stream_.write(rest);
    if (!written) {
      stream_.reset("internal: " + written.error().message);
      finish(error_response(0, "upload_failed",
                            "cannot send the bundle: " + written.error().to_string()));
      return;
    }
    if (*written == 0) return;  // the send buffer is full: on_writable() follows
    offset_ += *written;
  }
  if (auto closed = stream_.close(); !closed) {
    stream_.reset("internal: " + closed.error().message);
    finish(error_response(0, "upload_failed",
                          "cannot finish the bundle stream: " + closed.error().to_string()));
    return;
  }
  spdlog::info("bundle {} ({} bytes) sent to the relay", id_, size_);
  v1::Response response;
  response.mutable_collect()->set_bundle_id(id_);
  response.mutable_collect()->set_size(size_);
  finish(std::move(response));
}

void BundleSender::on_reset(std::string_view reason) {
  if (finished_) return;
  spdlog::warn("the relay refused bundle {}: {}", id_, reason);
  finish(
      error_response(0, "stream_reset", "the bundle stream ended early: " + std::string(reason)));
}

void BundleSender::finish(v1::Response response) {
  finished_ = true;
  // The bytes are queued in the multiplexer now (or dropped): free our copy.
  std::string().swap(encoded_);
  if (reply_) reply_(std::move(response));
  reply_ = nullptr;
  if (on_done_) std::exchange(on_done_, nullptr)();
}

}  // namespace helpline::agent::diag
