// An asciicast v2 recording of one shell (https://docs.asciinema.org/
// manual/asciicast/v2/): a header line, then one JSON array per event,
// [seconds, "o", text] for output and [seconds, "r", "COLSxROWS"] for a
// resize. Written as it happens into a blob writer (a temporary file), so
// a long shell does not sit in memory; at most max_bytes are kept, then a
// marker event says the rest was cut. Output bytes are turned into valid
// UTF-8 (a sequence split across chunks is carried over; invalid bytes
// become U+FFFD), as JSON strings require.
//
// Thread: the relay's io_context thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/core/result.h"
#include "server/blobs/blob_store.h"

namespace helpline::relay::sessions {

class Recording {
 public:
  // Errors: the blob store's.
  [[nodiscard]] static Result<Recording> start(blobs::BlobStore& blobs, std::uint64_t max_bytes,
                                               std::uint32_t cols, std::uint32_t rows,
                                               std::string_view term, std::string_view title,
                                               std::int64_t unix_seconds);
  void output(std::string_view bytes);
  void resize(std::uint32_t cols, std::uint32_t rows);
  // Finishes and stores the recording; returns its blob id. Errors: the
  // blob store's.
  [[nodiscard]] Result<std::string> finish();
  [[nodiscard]] std::uint64_t size() const { return writer_.size(); }

 private:
  explicit Recording(blobs::BlobWriter writer, std::uint64_t max_bytes)
      : writer_(std::move(writer)), max_bytes_(max_bytes),
        started_(std::chrono::steady_clock::now()) {}
  void event(std::string_view code, std::string_view text);

  blobs::BlobWriter writer_;
  std::uint64_t max_bytes_;
  std::chrono::steady_clock::time_point started_;
  std::string carry_;  // an incomplete UTF-8 sequence from the last chunk
  bool cut_ = false;
  bool failed_ = false;
};

// Valid UTF-8 of `bytes` (invalid bytes -> U+FFFD); an incomplete sequence
// at the end is left in `carry` for the next call (and taken from it first).
[[nodiscard]] std::string to_utf8(std::string& carry, std::string_view bytes);

}  // namespace helpline::relay::sessions
