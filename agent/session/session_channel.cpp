// The pieces every session stream shares: the base handler, file
// identities and allowed paths.
#include <spdlog/spdlog.h>
#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/session/session_internal.h"

namespace helpline::agent::session {

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
