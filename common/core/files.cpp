#include "common/core/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>

namespace helpline::files {
namespace {

[[nodiscard]] std::string os_error(int err) { return std::strerror(err); }

[[nodiscard]] Result<void> fsync_dir(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail("write_failed", "cannot open " + dir.string() + ": " + os_error(errno));
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return fail("write_failed", "fsync " + dir.string() + ": " + os_error(err));
  return {};
}

}  // namespace

Result<std::string> read(const std::filesystem::path& path, std::size_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail("read_failed", "cannot read " + path.string() + ": " + os_error(errno));
  std::string out;
  // One allocation for a regular file (a bundle read back is tens of MiB;
  // growing by appends copied it several times over).
  struct stat info {};
  if (::fstat(fd, &info) == 0 && S_ISREG(info.st_mode) && info.st_size > 0) {
    out.reserve(std::min(static_cast<std::size_t>(info.st_size), max_bytes) + 1);
  }
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return fail("read_failed", "cannot read " + path.string() + ": " + os_error(err));
    }
    if (n == 0) break;
    if (out.size() + static_cast<std::size_t>(n) > max_bytes) {
      ::close(fd);
      return fail("too_large", path.string() + " is larger than " + std::to_string(max_bytes) +
                                   " bytes");
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

Result<void> write_atomic(const std::filesystem::path& path, std::string_view data, unsigned mode,
                          Sync sync) {
  std::filesystem::path dir = path.parent_path();
  if (dir.empty()) dir = ".";
  std::random_device rd;
  std::filesystem::path tmp = path;
  tmp += ".tmp" + std::to_string(rd());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, static_cast<mode_t>(mode));
  if (fd < 0) return fail("write_failed", "cannot create " + tmp.string() + ": " + os_error(errno));
  auto abort_with = [&](int err) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return fail("write_failed", "cannot write " + path.string() + ": " + os_error(err));
  };
  if (::fchmod(fd, static_cast<mode_t>(mode)) != 0) return abort_with(errno);
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return abort_with(errno);
    }
    done += static_cast<std::size_t>(n);
  }
  if (sync == Sync::kDurable && ::fsync(fd) != 0) return abort_with(errno);
  if (::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return fail("write_failed", "cannot write " + path.string() + ": " + os_error(err));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return fail("write_failed", "cannot rename into " + path.string() + ": " + os_error(err));
  }
  if (sync == Sync::kNoSync) return {};
  return fsync_dir(dir);
}

Result<void> ensure_private_dir(const std::filesystem::path& path, unsigned mode) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return fail("mkdir_failed", "cannot create " + path.string() + ": " + ec.message());
  if (::chmod(path.c_str(), static_cast<mode_t>(mode)) != 0) {
    return fail("mkdir_failed", "cannot set mode of " + path.string() + ": " + os_error(errno));
  }
  return {};
}

std::filesystem::path user_config_dir() {
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg != nullptr && *xdg == '/') {
    return xdg;
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return std::filesystem::path(home) / ".config";
  }
  return std::filesystem::path("/tmp");
}

}  // namespace helpline::files
