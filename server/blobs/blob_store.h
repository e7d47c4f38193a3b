// server/blobs: the relay's content-addressed blob store (diagnostic
// bundles now, session recordings later).
//
// A blob's id is "sha256:" + the 64 lowercase hex digits of its SHA-256;
// it lives in <root>/sha256/<first 2 hex>/<other 62 hex>. The store always
// computes the hash itself: a caller's claimed id is only compared, never
// used to place data. Writes go to a private temporary file in <root>/tmp,
// are fsynced and renamed into place, so a reader sees a whole blob or none.
// Storing content that is already there keeps the first copy (dedup).
// Directories are 0700, files 0600.
//
// Thread: one thread at a time per BlobStore (the relay's I/O thread); the
// file system is the only shared state, and renames make concurrent
// writers of the same content safe.
// Errors: "blob_error" (file system faults, naming the path and the OS
// reason), "bad_id", "not_found", "too_large", "hash_mismatch".
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "common/core/result.h"
#include "common/tls/digest.h"

namespace helpline::relay::blobs {

inline constexpr std::uint64_t kDefaultMaxBlobBytes = 256ull << 20;

// True for "sha256:" followed by exactly 64 lowercase hex digits.
[[nodiscard]] bool is_blob_id(std::string_view id);

struct BlobInfo {
  std::string id;
  std::uint64_t size = 0;
  bool existed = false;  // the same content was stored already (dedup)
};

class BlobStore;

// A blob being written piece by piece (an upload). Move-only. Until
// commit() the data sits in a temporary file, which the destructor removes.
class BlobWriter {
 public:
  BlobWriter(BlobWriter&& other) noexcept;
  BlobWriter& operator=(BlobWriter&& other) noexcept;
  BlobWriter(const BlobWriter&) = delete;
  BlobWriter& operator=(const BlobWriter&) = delete;
  ~BlobWriter();

  // Errors: "too_large" when the total would exceed the writer's cap (the
  // writer is then unusable), "blob_error".
  [[nodiscard]] Result<void> append(std::string_view data);
  [[nodiscard]] std::uint64_t size() const { return size_; }

  // Ends writing (fsync) and returns the content's id. Errors: "blob_error".
  [[nodiscard]] Result<std::string> finish();
  // The finished content (for checks before commit()). Errors: "blob_error".
  [[nodiscard]] Result<std::string> read_back() const;
  // Moves the finished content into place under its id; if that id is
  // stored already, drops this copy. Errors: "blob_error".
  [[nodiscard]] Result<BlobInfo> commit();

 private:
  friend class BlobStore;
  BlobWriter(const BlobStore& store, std::filesystem::path temp, int fd, std::uint64_t max_bytes);
  void discard();

  const BlobStore* store_ = nullptr;
  std::filesystem::path temp_;
  int fd_ = -1;
  std::uint64_t max_bytes_ = 0;
  std::uint64_t size_ = 0;
  tls::Sha256 digest_;
  std::string id_;  // set by finish()
  bool failed_ = false;
};

class BlobStore {
 public:
  // Creates <root>, <root>/sha256 and <root>/tmp (0700) as needed and
  // removes temporary files a crashed relay left. `max_blob_bytes` caps
  // every blob.
  [[nodiscard]] static Result<std::unique_ptr<BlobStore>> open(
      std::filesystem::path root, std::uint64_t max_blob_bytes = kDefaultMaxBlobBytes);

  // Stores `data`. With `expected_id`, refuses ("hash_mismatch") content
  // whose hash differs, and ("bad_id") an id that is not one.
  [[nodiscard]] Result<BlobInfo> put(std::string_view data, std::string_view expected_id = {});

  // A writer for content of at most `max_bytes` (and max_blob_bytes).
  [[nodiscard]] Result<BlobWriter> begin(std::uint64_t max_bytes);

  [[nodiscard]] bool contains(std::string_view id) const;
  // Errors: "bad_id", "not_found", "too_large" (above max_bytes), "blob_error".
  [[nodiscard]] Result<std::string> read(std::string_view id, std::uint64_t max_bytes) const;

  // Where blob `id` lives (whether or not it exists). `id` must be valid.
  [[nodiscard]] std::filesystem::path path_of(std::string_view id) const;
  [[nodiscard]] const std::filesystem::path& root() const { return root_; }
  [[nodiscard]] std::uint64_t max_blob_bytes() const { return max_blob_bytes_; }

 private:
  friend class BlobWriter;
  BlobStore(std::filesystem::path root, std::uint64_t max_blob_bytes)
      : root_(std::move(root)), max_blob_bytes_(max_blob_bytes) {}
  // Moves a finished temporary file into place (see BlobWriter::commit).
  [[nodiscard]] Result<BlobInfo> place(const std::filesystem::path& temp, const std::string& id,
                                       std::uint64_t size) const;

  std::filesystem::path root_;
  std::uint64_t max_blob_bytes_;
};

}  // namespace helpline::relay::blobs
