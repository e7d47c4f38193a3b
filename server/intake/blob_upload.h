// The relay's end of a stream that carries one blob (server/tunnel/
// stream_sink.h): the encoded bundle an agent streams in answer to a
// CollectRequest ("bundle"), or the payload of a spooled delivery
// ("upload"). The bytes go into a temporary file of the blob store as they
// arrive (flow-control credit is granted back as each piece is written),
// capped at `max_bytes`. When the agent closes the stream, the content's
// SHA-256 must equal the id ("sha256:<hex>") the agent claimed in the
// stream's metadata. Nothing is stored until the caller commits: an upload
// dropped before that leaves nothing behind.
//
// Thread: the relay's io_context thread. Lifetime: shared by the waiting
// API call and the agent's session.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "server/blobs/blob_store.h"
#include "server/tunnel/stream_sink.h"

namespace helpline::relay::intake {

class BlobUpload final : public StreamSink {
 public:
  // `kind` is the stream kind accepted ("bundle", "upload").
  BlobUpload(std::string kind, blobs::BlobStore& blobs, std::uint64_t max_bytes,
             const boost::asio::any_io_executor& executor);

  [[nodiscard]] std::string_view kind() const override { return kind_; }
  // Errors: "bad_stream" when the metadata is not a blob id, "blob_error".
  [[nodiscard]] Result<void> on_open(std::string_view metadata) override;
  // Errors: "too_large" past max_bytes, "abandoned" after abandon(), "blob_error".
  [[nodiscard]] Result<void> on_data(std::string_view data) override;
  void on_end() override;
  void on_abort(const Error& why) override;

  // Waits until the stream has ended, or `deadline`. Success: all bytes are
  // in the writer and their id is claimed_id(). Errors: "timeout" (no stream
  // or not finished in time), "too_large", "hash_mismatch", "stream_reset",
  // "device_offline", "blob_error", "bad_stream".
  [[nodiscard]] boost::asio::awaitable<Result<void>> wait(
      std::chrono::steady_clock::time_point deadline);

  // Why the stream failed, if it already did (the relay's own reason, e.g.
  // too_large, is more useful than the device's "stream_reset" answer).
  [[nodiscard]] std::optional<Error> failure() const {
    if (outcome_ && !*outcome_) return outcome_->error();
    return std::nullopt;
  }

  // The API stopped waiting: refuse what still arrives.
  void abandon() { abandoned_ = true; }

  // The agent opened the stream (or it already ended). The agent opens it
  // before it answers the request, so after the answer this must be true.
  [[nodiscard]] bool started() const { return writer_.has_value() || outcome_.has_value(); }
  [[nodiscard]] const std::string& claimed_id() const { return claimed_id_; }
  [[nodiscard]] std::uint64_t size() const { return writer_ ? writer_->size() : 0; }
  // Only after wait() succeeded.
  [[nodiscard]] blobs::BlobWriter& writer() { return *writer_; }

 private:
  void settle(Result<void> outcome);

  std::string kind_;
  blobs::BlobStore& blobs_;
  std::uint64_t max_bytes_;
  boost::asio::steady_timer timer_;
  std::optional<blobs::BlobWriter> writer_;
  std::string claimed_id_;
  std::optional<Result<void>> outcome_;
  bool abandoned_ = false;
};

}  // namespace helpline::relay::intake
