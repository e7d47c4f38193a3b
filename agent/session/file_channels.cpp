// The "file_pull" and "file_push" streams: one file each way, within the
// allowed roots and the size limit, opened with the session account's file
// rights (FileIdentity). Pull: a framed FileInfo, the bytes, the close.
// Push: exactly FileOpen.size bytes, then the relay's close; the file is
// written to a temporary name beside the target and renamed into place
// only when complete, then a framed FileWritten goes back.
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/session/session_internal.h"
#include "common/tls/crypto.h"
#include "common/tls/digest.h"

namespace helpline::agent::session {

namespace {

constexpr std::size_t kReadChunk = 64 * 1024;

[[nodiscard]] std::string os_reason() { return std::strerror(errno); }

// Where an open descriptor really is, for the check after open.
[[nodiscard]] std::string fd_path(int fd) {
  char target[4096];
  std::string link = "/proc/self/fd/" + std::to_string(fd);
  ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
  if (n <= 0) return {};
  return std::string(target, static_cast<std::size_t>(n));
}

// The refusal code for a failed open(2) as the session user.
[[nodiscard]] const char* open_failure(const char* otherwise) {
  return errno == EACCES || errno == EPERM ? "permission_denied" : otherwise;
}

[[nodiscard]] bool under_roots(const std::string& path, const std::vector<std::string>& roots) {
  for (const auto& r : roots) {
    if (::helpline::session::is_under(path, r)) return true;
  }
  return false;
}

class PullChannel final : public SessionChannel {
 public:
  PullChannel(SessionManager& manager, std::string session_id, ChannelStream stream)
      : SessionChannel(manager, std::move(session_id), std::move(stream), "file.pull") {}
  ~PullChannel() override {
    if (fd_ >= 0) ::close(fd_);
  }

  bool start(const v1::FileOpen& open) {
    const SessionsConfig& config = manager_.config();
    auto path = allowed_path(open.path(), config.file_roots);
    if (!path) {
      refuse(path.error().code, path.error().message);
      return false;
    }
    int open_errno = 0;
    {
      FileIdentity as_user(manager_.account_of(session_id_));
      fd_ = ::open(path->c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
      open_errno = errno;
    }
    if (fd_ < 0) {
      errno = open_errno;
      refuse(open_failure("cannot_open"),
             *path + ": " + os_reason());
      return false;
    }
    struct stat st {};
    if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
      refuse("not_a_file", *path + " is not a regular file");
      return false;
    }
    if (!under_roots(fd_path(fd_), config.file_roots)) {
      refuse("path_not_allowed", *path + " moved outside the allowed roots while it was opened");
      return false;
    }
    if (static_cast<std::uint64_t>(st.st_size) > config.max_file_bytes) {
      refuse("too_large", *path + " has " + std::to_string(st.st_size) + " bytes; at most " +
                              std::to_string(config.max_file_bytes));
      return false;
    }
    size_ = static_cast<std::uint64_t>(st.st_size);
    path_ = *path;
    v1::FileInfo info;
    info.set_path(path_);
    info.set_size(size_);
    info.set_mode(st.st_mode & 07777);
    out_ = ::helpline::session::frame(info.SerializeAsString());
    manager_.record("file.pull", session_id_, path_ + " (" + std::to_string(size_) + " bytes)");
    return true;
  }

  void on_data(std::string_view data) override { stream_.consume(data.size()); }

  void on_writable() override {
    if (done_) return;
    std::string chunk;
    while (flush()) {
      if (sent_ >= size_) {
        if (!closed_) {
          closed_ = true;
          (void)stream_.close();
          manager_.record("file.pull.done", session_id_,
                          path_ + ": sent " + std::to_string(sent_) + " bytes");
        }
        return;
      }
      chunk.resize(static_cast<std::size_t>(std::min<std::uint64_t>(kReadChunk, size_ - sent_)));
      ssize_t n = ::read(fd_, chunk.data(), chunk.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        // The file shrank or failed while it was read.
        refuse("read_failed", path_ + ": " + (n == 0 ? "the file became shorter" : os_reason()));
        return;
      }
      sent_ += static_cast<std::uint64_t>(n);
      touch();
      out_.append(chunk.data(), static_cast<std::size_t>(n));
    }
  }

  void on_reset(std::string_view) override { done_ = true; }

 private:
  int fd_ = -1;
  std::string path_;
  std::uint64_t size_ = 0;
  std::uint64_t sent_ = 0;
  bool closed_ = false;
};

class PushChannel final : public SessionChannel {
 public:
  PushChannel(SessionManager& manager, std::string session_id, ChannelStream stream)
      : SessionChannel(manager, std::move(session_id), std::move(stream), "file.push") {}
  ~PushChannel() override { discard(); }

  bool start(const v1::FileOpen& open) {
    const SessionsConfig& config = manager_.config();
    auto path = allowed_path(open.path(), config.file_roots);
    if (!path) {
      refuse(path.error().code, path.error().message);
      return false;
    }
    if (open.size() > config.max_file_bytes) {
      refuse("too_large", "the file has " + std::to_string(open.size()) + " bytes; at most " +
                              std::to_string(config.max_file_bytes));
      return false;
    }
    std::filesystem::path target(*path);
    struct stat st {};
    if (::lstat(target.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
      refuse("not_a_file", *path + " exists and is not a regular file");
      return false;
    }
    std::string dir = target.parent_path().string();
    temp_ = dir + "/.helpline-push-" + tls::sha256_hex(tls::random_token(8)).substr(0, 12);
    mode_t mode = open.mode() == 0 ? 0644 : static_cast<mode_t>(open.mode() & 0777);
    int open_errno = 0;
    {
      FileIdentity as_user(manager_.account_of(session_id_));
      fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
      open_errno = errno;
    }
    if (fd_ < 0) {
      errno = open_errno;
      refuse(open_failure("cannot_create"),
             dir + ": " + os_reason());
      temp_.clear();
      return false;
    }
    target_ = *path;
    size_ = open.size();
    manager_.record("file.push", session_id_, target_ + " (" + std::to_string(size_) + " bytes)");
    return true;
  }

  void on_data(std::string_view data) override {
    stream_.consume(data.size());
    if (done_) return;
    touch();
    if (received_ + data.size() > size_) {
      refuse("too_large", "more bytes than the announced " + std::to_string(size_));
      discard();
      return;
    }
    std::size_t written = 0;
    while (written < data.size()) {
      ssize_t n = ::write(fd_, data.data() + written, data.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        refuse("write_failed", target_ + ": " + os_reason());
        discard();
        return;
      }
      written += static_cast<std::size_t>(n);
    }
    digest_.update(data);
    received_ += data.size();
  }

  void on_peer_closed() override {
    if (done_) return;
    if (received_ != size_) {
      refuse("short_file", "received " + std::to_string(received_) + " of " +
                               std::to_string(size_) + " bytes");
      discard();
      return;
    }
    if (::fsync(fd_) != 0 || ::close(fd_) != 0) {
      fd_ = -1;
      refuse("write_failed", target_ + ": " + os_reason());
      discard();
      return;
    }
    fd_ = -1;
    if (::rename(temp_.c_str(), target_.c_str()) != 0) {
      refuse("write_failed", target_ + ": " + os_reason());
      discard();
      return;
    }
    temp_.clear();
    v1::FileWritten written;
    written.set_path(target_);
    written.set_size(received_);
    written.set_sha256(digest_.hex());
    manager_.record("file.push.done", session_id_,
                    target_ + ": wrote " + std::to_string(received_) + " bytes, sha256 " +
                        written.sha256());
    out_ = ::helpline::session::frame(written.SerializeAsString());
    finishing_ = true;
    on_writable();
  }

  void on_writable() override {
    if (done_ || !finishing_) return;
    if (flush() && !closed_) {
      closed_ = true;
      (void)stream_.close();
    }
  }

  void on_reset(std::string_view) override {
    done_ = true;
    discard();
  }

  void terminate(const std::string& reason) override {
    SessionChannel::terminate(reason);
    discard();
  }

 private:
  void discard() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    if (!temp_.empty()) ::unlink(temp_.c_str());
    temp_.clear();
  }

  int fd_ = -1;
  std::string temp_;
  std::string target_;
  std::uint64_t size_ = 0;
  std::uint64_t received_ = 0;
  tls::Sha256 digest_;
  bool finishing_ = false;
  bool closed_ = false;
};

}  // namespace

namespace {

template <class Channel>
[[nodiscard]] std::unique_ptr<ChannelHandler> make_file(SessionManager& manager,
                                                       const v1::SessionStreamOpen& open,
                                                       ChannelStream stream) {
  if (!open.has_file()) {
    stream.reset("bad_request: a file stream needs FileOpen");
    return nullptr;
  }
  auto channel = std::make_unique<Channel>(manager, open.session_id(), std::move(stream));
  if (!channel->start(open.file())) return nullptr;
  // Nothing else starts a stream the relay opened: send what fits now.
  channel->on_writable();
  return channel;
}

}  // namespace

std::unique_ptr<ChannelHandler> make_file_pull(SessionManager& manager,
                                               const v1::SessionStreamOpen& open,
                                               ChannelStream stream) {
  return make_file<PullChannel>(manager, open, std::move(stream));
}

std::unique_ptr<ChannelHandler> make_file_push(SessionManager& manager,
                                               const v1::SessionStreamOpen& open,
                                               ChannelStream stream) {
  return make_file<PushChannel>(manager, open, std::move(stream));
}

}  // namespace helpline::agent::session
