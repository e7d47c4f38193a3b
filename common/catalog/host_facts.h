// What parameter validation needs to know about the endpoint: where a path
// really leads, whether a user exists, which process names must never be
// signalled. An interface so that tests (and other platforms) substitute
// their own; SystemHostFacts answers for the Linux machine it runs on.
//
// Thread: SystemHostFacts keeps no state and may be used from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/core/result.h"

namespace helpline::catalog {

struct ResolvedPath {
  std::string path;     // absolute, symbolic links resolved
  bool exists = false;  // false: the last components do not exist (yet)
};

struct UserInfo {
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::string home;
};

class HostFacts {
 public:
  virtual ~HostFacts() = default;

  // `path` is absolute and lexically normal (no ".", "..", "//"). Resolves
  // the longest existing prefix through every symbolic link and appends the
  // rest. Errors: "dangling_symlink" when a component is a link to nothing,
  // "resolve_failed" with the OS reason.
  [[nodiscard]] virtual Result<ResolvedPath> resolve_path(std::string_view path) const = 0;

  // std::nullopt when no such user exists.
  [[nodiscard]] virtual std::optional<UserInfo> find_user(std::string_view name) const = 0;

  // Why processes called `name` must not be signalled ("PID 1 is named
  // systemd"), or std::nullopt when they may be.
  [[nodiscard]] virtual std::optional<std::string> protected_process(
      std::string_view name) const = 0;
};

// The running Linux system: realpath(3), getpwnam_r(3), /proc/1/comm and
// /proc/self/comm, plus the names init, systemd and helpline-agent.
class SystemHostFacts final : public HostFacts {
 public:
  [[nodiscard]] Result<ResolvedPath> resolve_path(std::string_view path) const override;
  [[nodiscard]] std::optional<UserInfo> find_user(std::string_view name) const override;
  [[nodiscard]] std::optional<std::string> protected_process(std::string_view name) const override;
};

}  // namespace helpline::catalog
