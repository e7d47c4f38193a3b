// The pieces every session stream shares: the base handler, the local
// audit file, file identities and allowed paths.
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>

#include "agent/session/session_internal.h"

namespace helpline::agent::session {

namespace chain = ::helpline::audit;

// --- SessionChannel ---

SessionChannel::SessionChannel(SessionManager& manager, std::string session_id,
                               ChannelStream stream, std::string kind)
    : manager_(manager),
      session_id_(std::move(session_id)),
      stream_(std::move(stream)),
      kind_(std::move(kind)) {
  manager_.add_channel(session_id_, this);
}

SessionChannel::~SessionChannel() { manager_.remove_channel(session_id_, this); }

void SessionChannel::terminate(const std::string& reason) {
  if (done_) return;
  done_ = true;
  stream_.reset(reason);
}

void SessionChannel::refuse(const std::string& code, const std::string& message) {
  manager_.record(kind_ + ".refused", session_id_, code + ": " + message);
  spdlog::warn("session {}: {} stream refused: {} ({})", session_id_, kind_, message, code);
  if (!done_) {
    done_ = true;
    stream_.reset(code + ": " + message);
  }
}

bool SessionChannel::send(std::string_view bytes) {
  out_.append(bytes);
  flush();
  return !done_;
}

bool SessionChannel::flush() {
  while (!out_.empty() && !done_) {
    auto written = stream_.write(
        std::span(reinterpret_cast<const std::uint8_t*>(out_.data()), out_.size()));
    if (!written) {
      done_ = true;
      stream_.reset("internal: " + written.error().message);
      return false;
    }
    if (*written == 0) return false;
    out_.erase(0, *written);
  }
  return out_.empty();
}

// --- LocalAudit ---

Result<std::unique_ptr<LocalAudit>> LocalAudit::open(std::filesystem::path file) {
  int fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return fail("audit_error",
                "cannot open the session audit " + file.string() + ": " + std::strerror(errno));
  }
  std::unique_ptr<LocalAudit> audit(new LocalAudit(std::move(file), fd));
  std::ifstream in(audit->file_, std::ios::binary);
  std::string line;
  while (std::getline(in, line)) {
    if (auto entry = chain::parse_line(line)) {
      audit->head_seq_ = entry->seq;
      audit->head_hash_ = entry->hash;
    }
  }
  return audit;
}

LocalAudit::~LocalAudit() {
  if (fd_ >= 0) ::close(fd_);
}

void LocalAudit::record(chain::Entry entry) {
  std::string line = chain::seal(entry, head_seq_, head_hash_) + "\n";
  std::size_t done = 0;
  while (done < line.size()) {
    ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      spdlog::error("cannot write the session audit {}: {}", file_.string(), std::strerror(errno));
      return;
    }
    done += static_cast<std::size_t>(n);
  }
  (void)::fdatasync(fd_);
  head_seq_ = entry.seq;
  head_hash_ = entry.hash;
}

Result<std::pair<std::vector<std::string>, chain::VerifyReport>> LocalAudit::tail(
    std::size_t n) const {
  std::ifstream in(file_, std::ios::binary);
  if (!in) return fail("audit_error", "cannot read the session audit " + file_.string());
  chain::ChainVerifier verifier;
  std::deque<std::string> last;
  std::string line;
  while (std::getline(in, line)) {
    verifier.feed(line);
    last.push_back(line);
    if (last.size() > n) last.pop_front();
  }
  return std::pair{std::vector<std::string>(last.begin(), last.end()), verifier.report()};
}

// --- FileIdentity ---

FileIdentity::FileIdentity(const std::optional<Account>& account) {
  if (!account || ::geteuid() != 0 || account->uid == 0) return;
  int count = ::getgroups(0, nullptr);
  saved_groups_.resize(static_cast<std::size_t>(std::max(count, 0)));
  if (count > 0) (void)::getgroups(count, saved_groups_.data());
  // The raw system call changes this thread only (glibc's setgroups()
  // would change every thread of the agent).
  std::vector<gid_t> groups(account->groups.begin(), account->groups.end());
  (void)::syscall(SYS_setgroups, groups.size(), groups.data());
  (void)::setfsgid(account->gid);
  (void)::setfsuid(account->uid);
  switched_ = true;
}

FileIdentity::~FileIdentity() {
  if (!switched_) return;
  (void)::setfsuid(0);
  (void)::setfsgid(0);
  (void)::syscall(SYS_setgroups, saved_groups_.size(), saved_groups_.data());
}

// --- allowed paths ---

Result<std::string> allowed_path(const std::string& requested,
                                 const std::vector<std::string>& roots) {
  auto normal = ::helpline::session::normalise_path(requested);
  if (!normal) return fail(normal.error());
  std::string list;
  for (const auto& r : roots) list += (list.empty() ? "" : ", ") + r;
  auto outside = [&](const std::string& what) {
    return fail("path_not_allowed", what + " is outside the allowed roots (" +
                                        (list.empty() ? "none" : list) + ")");
  };
  auto under_a_root = [&](const std::string& path) {
    for (const auto& r : roots) {
      if (::helpline::session::is_under(path, r)) return true;
    }
    return false;
  };
  if (!under_a_root(*normal)) return outside(*normal);
  // Symbolic links may lead out of a root: resolve the part that exists.
  std::error_code ec;
  std::filesystem::path resolved = std::filesystem::weakly_canonical(*normal, ec);
  if (ec) return fail("bad_path", *normal + ": " + ec.message());
  if (!under_a_root(resolved.string())) return outside(*normal + " (-> " + resolved.string() + ")");
  return resolved.string();
}

}  // namespace helpline::agent::session
