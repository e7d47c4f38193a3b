#include "server/blobs/blob_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>

#include "common/core/files.h"

namespace helpline::relay::blobs {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kPrefix = "sha256:";
constexpr std::size_t kHexDigits = 64;

[[nodiscard]] std::string os_error(int err) { return std::strerror(err); }

[[nodiscard]] Error blob_error(const fs::path& path, std::string_view what, int err) {
  return Error{"blob_error", std::string(what) + " " + path.string() + ": " + os_error(err)};
}

[[nodiscard]] Result<void> fsync_dir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail(blob_error(dir, "cannot open", errno));
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return fail(blob_error(dir, "cannot fsync", err));
  return {};
}

// Creates a directory below the store (0700); a new one is made durable in
// its parent, so a blob renamed into it survives a crash.
[[nodiscard]] Result<void> ensure_dir(const fs::path& dir) {
  std::error_code ec;
  bool existed = fs::is_directory(dir, ec);
  if (auto made = files::ensure_private_dir(dir); !made) {
    return fail("blob_error", made.error().message);
  }
  if (!existed) return fsync_dir(dir.parent_path());
  return {};
}

}  // namespace

bool is_blob_id(std::string_view id) {
  if (id.size() != kPrefix.size() + kHexDigits || id.substr(0, kPrefix.size()) != kPrefix) {
    return false;
  }
  for (char c : id.substr(kPrefix.size())) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// --- BlobWriter ---

BlobWriter::BlobWriter(const BlobStore& store, fs::path temp, int fd, std::uint64_t max_bytes)
    : store_(&store), temp_(std::move(temp)), fd_(fd), max_bytes_(max_bytes) {}

BlobWriter::BlobWriter(BlobWriter&& other) noexcept
    : store_(other.store_),
      temp_(std::move(other.temp_)),
      fd_(std::exchange(other.fd_, -1)),
      max_bytes_(other.max_bytes_),
      size_(other.size_),
      digest_(std::move(other.digest_)),
      id_(std::move(other.id_)),
      failed_(other.failed_) {
  other.temp_.clear();
}

BlobWriter& BlobWriter::operator=(BlobWriter&& other) noexcept {
  if (this == &other) return *this;
  discard();
  store_ = other.store_;
  temp_ = std::move(other.temp_);
  other.temp_.clear();
  fd_ = std::exchange(other.fd_, -1);
  max_bytes_ = other.max_bytes_;
  size_ = other.size_;
  digest_ = std::move(other.digest_);
  id_ = std::move(other.id_);
  failed_ = other.failed_;
  return *this;
}

BlobWriter::~BlobWriter() { discard(); }

void BlobWriter::discard() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!temp_.empty()) ::unlink(temp_.c_str());
  temp_.clear();
}

Result<void> BlobWriter::append(std::string_view data) {
  if (failed_ || fd_ < 0 || !id_.empty()) {
    return fail("blob_error", "this blob writer has finished or failed");
  }
  if (data.size() > max_bytes_ - size_) {
    failed_ = true;
    return fail("too_large",
                "the blob exceeds its limit of " + std::to_string(max_bytes_) + " bytes");
  }
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd_, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      failed_ = true;
      return fail(blob_error(temp_, "cannot write", errno));
    }
    done += static_cast<std::size_t>(n);
  }
  digest_.update(data);
  size_ += data.size();
  return {};
}

Result<std::string> BlobWriter::finish() {
  if (!id_.empty()) return id_;
  if (failed_ || fd_ < 0) return fail("blob_error", "this blob writer has failed");
  int fd = std::exchange(fd_, -1);
  if (::fsync(fd) != 0) {
    int err = errno;
    ::close(fd);
    failed_ = true;
    return fail(blob_error(temp_, "cannot fsync", err));
  }
  if (::close(fd) != 0) {
    failed_ = true;
    return fail(blob_error(temp_, "cannot close", errno));
  }
  id_ = std::string(kPrefix) + digest_.hex();
  return id_;
}

Result<std::string> BlobWriter::read_back() const {
  if (id_.empty() || temp_.empty()) return fail("blob_error", "the blob is not finished");
  auto data = files::read(temp_, max_bytes_);
  if (!data) return fail("blob_error", data.error().message);
  return data;
}

Result<BlobInfo> BlobWriter::commit() {
  if (id_.empty() || temp_.empty()) return fail("blob_error", "the blob is not finished");
  auto placed = store_->place(temp_, id_, size_);
  if (!placed) return placed;
  temp_.clear();  // moved or deliberately dropped: nothing left to remove
  return placed;
}

// --- BlobStore ---

Result<std::unique_ptr<BlobStore>> BlobStore::open(fs::path root, std::uint64_t max_blob_bytes) {
  for (const fs::path& dir : {root, root / "sha256", root / "tmp"}) {
    if (auto made = files::ensure_private_dir(dir); !made) {
      return fail("blob_error", made.error().message);
    }
  }
  // Uploads that were in flight when the relay stopped are gone for good.
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root / "tmp", ec)) {
    std::error_code ignored;
    if (entry.is_regular_file(ignored)) fs::remove(entry.path(), ignored);
  }
  if (ec) return fail("blob_error", "cannot list " + (root / "tmp").string() + ": " + ec.message());
  return std::unique_ptr<BlobStore>(new BlobStore(std::move(root), max_blob_bytes));
}

fs::path BlobStore::path_of(std::string_view id) const {
  std::string_view hex = id.substr(kPrefix.size());
  return root_ / "sha256" / std::string(hex.substr(0, 2)) / std::string(hex.substr(2));
}

Result<BlobWriter> BlobStore::begin(std::uint64_t max_bytes) {
  std::string pattern = (root_ / "tmp" / "blob-XXXXXX").string();
  int fd = ::mkostemp(pattern.data(), O_CLOEXEC);  // mode 0600
  if (fd < 0) return fail(blob_error(root_ / "tmp", "cannot create a file in", errno));
  return BlobWriter(*this, pattern, fd, std::min(max_bytes, max_blob_bytes_));
}

Result<BlobInfo> BlobStore::put(std::string_view data, std::string_view expected_id) {
  if (!expected_id.empty() && !is_blob_id(expected_id)) {
    return fail("bad_id", "'" + std::string(expected_id.substr(0, 80)) +
                              "' is not a blob id (sha256:<64 hex digits>)");
  }
  if (data.size() > max_blob_bytes_) {
    return fail("too_large", "the blob is " + std::to_string(data.size()) +
                                 " bytes; the limit is " + std::to_string(max_blob_bytes_));
  }
  auto writer = begin(data.size());
  if (!writer) return fail(writer.error());
  if (auto appended = writer->append(data); !appended) return fail(appended.error());
  auto id = writer->finish();
  if (!id) return fail(id.error());
  if (!expected_id.empty() && *id != expected_id) {
    return fail("hash_mismatch",
                "the content's id is " + *id + ", not " + std::string(expected_id));
  }
  return writer->commit();
}

bool BlobStore::contains(std::string_view id) const {
  if (!is_blob_id(id)) return false;
  std::error_code ec;
  return fs::is_regular_file(path_of(id), ec);
}

Result<std::string> BlobStore::read(std::string_view id, std::uint64_t max_bytes) const {
  if (!is_blob_id(id)) {
    return fail("bad_id", "'" + std::string(id.substr(0, 80)) +
                              "' is not a blob id (sha256:<64 hex digits>)");
  }
  fs::path path = path_of(id);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return fail("not_found", "no blob " + std::string(id));
    return fail(blob_error(path, "cannot stat", errno));
  }
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes) {
    return fail("too_large", "blob " + std::string(id) + " is " + std::to_string(st.st_size) +
                                 " bytes; the limit is " + std::to_string(max_bytes));
  }
  auto data = files::read(path, static_cast<std::size_t>(max_bytes));
  if (!data)
    return fail(data.error().code == "too_large" ? "too_large" : "blob_error",
                data.error().message);
  return data;
}

Result<BlobInfo> BlobStore::place(const fs::path& temp, const std::string& id,
                                  std::uint64_t size) const {
  fs::path target = path_of(id);
  if (auto dir = ensure_dir(target.parent_path()); !dir) return fail(dir.error());
  std::error_code ec;
  if (fs::is_regular_file(target, ec)) {
    ::unlink(temp.c_str());
    return BlobInfo{id, size, true};
  }
  if (::rename(temp.c_str(), target.c_str()) != 0) {
    int err = errno;
    ::unlink(temp.c_str());
    return fail(blob_error(target, "cannot move a blob into", err));
  }
  if (auto synced = fsync_dir(target.parent_path()); !synced) return fail(synced.error());
  return BlobInfo{id, size, false};
}

}  // namespace helpline::relay::blobs
