#include "server/intake/blob_upload.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace helpline::relay::intake {

namespace asio = boost::asio;

BlobUpload::BlobUpload(std::string kind, blobs::BlobStore& blobs, std::uint64_t max_bytes,
                       const asio::any_io_executor& executor)
    : kind_(std::move(kind)), blobs_(blobs), max_bytes_(max_bytes), timer_(executor) {}

Result<void> BlobUpload::on_open(std::string_view metadata) {
  if (!blobs::is_blob_id(metadata)) {
    return fail("bad_stream", "the " + kind_ + " stream does not name its content (sha256:<hex>)");
  }
  if (abandoned_) return fail("abandoned", "the relay stopped waiting for this " + kind_);
  auto writer = blobs_.begin(max_bytes_);
  if (!writer) return fail(writer.error());
  writer_.emplace(std::move(*writer));
  claimed_id_ = std::string(metadata);
  return {};
}

Result<void> BlobUpload::on_data(std::string_view data) {
  if (abandoned_) return fail("abandoned", "the relay stopped waiting for this " + kind_);
  if (!writer_) return fail("bad_stream", "data before the stream was accepted");
  if (auto appended = writer_->append(data); !appended) {
    if (appended.error().code == "too_large") {
      return fail("too_large", "the " + kind_ + " is larger than the " + std::to_string(max_bytes_) +
                                   " bytes this request accepts");
    }
    return appended;
  }
  return {};
}

void BlobUpload::on_end() {
  if (!writer_) {
    settle(fail("bad_stream", "the " + kind_ + " stream ended before it began"));
    return;
  }
  auto id = writer_->finish();
  if (!id) {
    settle(fail(id.error()));
    return;
  }
  if (*id != claimed_id_) {
    settle(fail("hash_mismatch", "the device claimed " + kind_ + " " + claimed_id_ +
                                     " but sent content whose id is " + *id));
    return;
  }
  settle({});
}

void BlobUpload::on_abort(const Error& why) { settle(fail(why)); }

void BlobUpload::settle(Result<void> outcome) {
  if (outcome_) return;
  if (!outcome) writer_.reset();  // drops the temporary file now
  outcome_ = std::move(outcome);
  timer_.cancel();
}

asio::awaitable<Result<void>> BlobUpload::wait(std::chrono::steady_clock::time_point deadline) {
  if (!outcome_) {
    timer_.expires_at(deadline);
    boost::system::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  if (!outcome_) {
    co_return fail("timeout", "the device did not finish sending the " + kind_ + " in time");
  }
  co_return *outcome_;
}

}  // namespace helpline::relay::intake
