#include "agent/spool/dir_ops.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "agent/spool/spool_error.h"

namespace helpline::agent::spool::detail {
namespace {

[[nodiscard]] tl::unexpected<Error> io_error(std::string what, const std::filesystem::path& path,
                                             int err) {
  return fail(make_error(
      SpoolError::kIo, "spool: cannot " + what + " " + path.string() + ": " + std::strerror(err)));
}

// Closes the descriptor on every path out of read_prefix.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  [[nodiscard]] int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

Result<void> sync_dir(const std::filesystem::path& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return io_error("open directory", dir, errno);
  if (::fsync(fd.get()) != 0) return io_error("fsync", dir, errno);
  return {};
}

Result<bool> remove_file(const std::filesystem::path& path) {
  if (::unlink(path.c_str()) == 0) return true;
  if (errno == ENOENT) return false;
  return io_error("delete", path, errno);
}

Result<void> rename_file(const std::filesystem::path& from, const std::filesystem::path& to) {
  if (::rename(from.c_str(), to.c_str()) != 0)
    return io_error("move " + from.string() + " to", to, errno);
  return {};
}

Result<Prefix> read_prefix(const std::filesystem::path& path, std::size_t max) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (fd.get() < 0) return io_error("open", path, errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return io_error("stat", path, errno);
  if (!S_ISREG(st.st_mode)) return io_error("read", path, EINVAL);
  Prefix prefix;
  prefix.size = static_cast<std::uint64_t>(st.st_size);
  prefix.bytes.resize(max);
  std::size_t done = 0;
  while (done < max) {
    ssize_t n = ::read(fd.get(), prefix.bytes.data() + done, max - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_error("read", path, errno);
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  prefix.bytes.resize(done);
  return prefix;
}

bool is_disk_full(const Error& error) {
  for (int err : {ENOSPC, EDQUOT}) {
    std::string_view reason = std::strerror(err);
    std::string_view message = error.message;
    if (message.size() >= reason.size() &&
        message.substr(message.size() - reason.size()) == reason) {
      return true;
    }
  }
  return false;
}

}  // namespace helpline::agent::spool::detail
