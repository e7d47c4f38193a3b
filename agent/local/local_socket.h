// agent/local: the daemon's local Unix socket, through which people at the
// workstation reach the agent that holds the tunnel (`helpline-agent report`,
// `tickets`, `reply`, `rate`, `spool`). Messages: proto/helpline/v1/
// local.proto, one request and one response per connection, each framed by
// a 4-byte big-endian length (at most kMaxLocalMessage bytes).
//
// Who asks is taken from the socket (SO_PEERCRED: uid, gid, pid), never from
// the message. The socket file is 0666 (every local user may report a
// problem); its directory is created 0755.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "common/core/result.h"

namespace helpline::agent::local {

inline constexpr std::size_t kMaxLocalMessage = 8u << 20;  // a report may carry text, not bundles
inline constexpr const char* kSystemSocket = "/run/helpline/agent.sock";
inline constexpr const char* kSocketEnv = "HELPLINE_AGENT_SOCKET";

// --socket if given, else $HELPLINE_AGENT_SOCKET, else kSystemSocket for
// root, else $XDG_RUNTIME_DIR/helpline/agent.sock (or /tmp/helpline-<uid>/
// agent.sock without XDG_RUNTIME_DIR), so a daemon and the commands of the
// same user agree without configuration.
[[nodiscard]] std::filesystem::path socket_path_from(const std::optional<std::string>& flag);

// The person on the other end of a connection.
struct Peer {
  uid_t uid = 0;
  gid_t gid = 0;
  pid_t pid = 0;
  std::string user;  // login name; "uid <n>" when the uid has no passwd entry
};

// SO_PEERCRED of a connected Unix socket. Errors: "peer_unknown".
[[nodiscard]] Result<Peer> peer_of(int fd);

// 4-byte big-endian length + bytes. Errors: "too_large".
[[nodiscard]] Result<std::string> frame_message(std::string_view message);

// How many bytes of `buffer` make one whole frame (prefix included): 0 when
// more must arrive. Errors: "too_large" when the prefix announces more than
// kMaxLocalMessage.
[[nodiscard]] Result<std::size_t> frame_length(std::string_view buffer);

}  // namespace helpline::agent::local
