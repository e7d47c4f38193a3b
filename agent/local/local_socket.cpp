#include "agent/local/local_socket.h"

#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

namespace helpline::agent::local {

std::filesystem::path socket_path_from(const std::optional<std::string>& flag) {
  if (flag && !flag->empty()) return *flag;
  if (const char* env = std::getenv(kSocketEnv); env != nullptr && *env != '\0') return env;
  if (::geteuid() == 0) return kSystemSocket;
  if (const char* runtime = std::getenv("XDG_RUNTIME_DIR"); runtime != nullptr && *runtime == '/') {
    return std::filesystem::path(runtime) / "helpline" / "agent.sock";
  }
  return std::filesystem::path("/tmp") / ("helpline-" + std::to_string(::geteuid())) /
         "agent.sock";
}

Result<Peer> peer_of(int fd) {
  struct ucred cred {};
  socklen_t length = sizeof(cred);
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0 || length != sizeof(cred)) {
    return fail("peer_unknown", "cannot tell who is on the other end of the local socket");
  }
  Peer peer;
  peer.uid = cred.uid;
  peer.gid = cred.gid;
  peer.pid = cred.pid;
  long size = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buffer(size > 0 ? static_cast<std::size_t>(size) : 16384);
  struct passwd entry {};
  struct passwd* found = nullptr;
  if (::getpwuid_r(cred.uid, &entry, buffer.data(), buffer.size(), &found) == 0 &&
      found != nullptr && found->pw_name != nullptr) {
    peer.user = found->pw_name;
  } else {
    peer.user = "uid " + std::to_string(cred.uid);
  }
  return peer;
}

Result<std::string> frame_message(std::string_view message) {
  if (message.size() > kMaxLocalMessage) {
    return fail("too_large", "a local message is at most " + std::to_string(kMaxLocalMessage) +
                                 " bytes, this one is " + std::to_string(message.size()));
  }
  auto n = static_cast<std::uint32_t>(message.size());
  std::string out;
  out.reserve(4 + message.size());
  out.push_back(static_cast<char>((n >> 24) & 0xff));
  out.push_back(static_cast<char>((n >> 16) & 0xff));
  out.push_back(static_cast<char>((n >> 8) & 0xff));
  out.push_back(static_cast<char>(n & 0xff));
  out.append(message);
  return out;
}

Result<std::size_t> frame_length(std::string_view buffer) {
  if (buffer.size() < 4) return std::size_t{0};
  std::uint32_t n = 0;
  for (int i = 0; i < 4; ++i) {
    n = (n << 8) | static_cast<std::uint8_t>(buffer[static_cast<std::size_t>(i)]);
  }
  if (n > kMaxLocalMessage) {
    return fail("too_large", "the local message announces " + std::to_string(n) +
                                 " bytes; at most " + std::to_string(kMaxLocalMessage));
  }
  std::size_t total = 4 + static_cast<std::size_t>(n);
  return buffer.size() >= total ? total : std::size_t{0};
}

}  // namespace helpline::agent::local
