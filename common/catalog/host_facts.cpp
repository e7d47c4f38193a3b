#include "common/catalog/host_facts.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <vector>

namespace helpline::catalog {
namespace {

struct FreeDeleter {
  void operator()(char* p) const { std::free(p); }
};

// Names whose processes are never signalled, whatever PID 1 and the agent
// are called on this machine.
constexpr std::array<std::string_view, 3> kAlwaysProtected = {"init", "systemd", "helpline-agent"};

[[nodiscard]] std::string read_comm(const char* file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  return line;
}

}  // namespace

Result<ResolvedPath> SystemHostFacts::resolve_path(std::string_view path) const {
  // Walk up to the longest prefix that exists (lstat: a dangling link
  // exists as a link), resolve it, then append the components below it.
  // The input is lexically normal, so the appended rest cannot climb out.
  std::string existing(path);
  std::string rest;
  struct stat st {};
  while (::lstat(existing.c_str(), &st) != 0) {
    if (errno != ENOENT && errno != ENOTDIR) {
      return fail("resolve_failed", "cannot inspect " + existing + ": " + std::strerror(errno));
    }
    std::size_t slash = existing.rfind('/');
    rest = existing.substr(slash) + rest;
    existing = slash == 0 ? "/" : existing.substr(0, slash);
    if (existing == "/") break;
  }
  std::unique_ptr<char, FreeDeleter> real(::realpath(existing.c_str(), nullptr));
  if (!real) {
    if (errno == ENOENT) {
      return fail("dangling_symlink", existing + " is a symbolic link to nothing");
    }
    return fail("resolve_failed", "cannot resolve " + existing + ": " + std::strerror(errno));
  }
  std::string resolved = real.get();
  if (!rest.empty()) resolved = (resolved == "/" ? "" : resolved) + rest;
  return ResolvedPath{resolved, rest.empty()};
}

std::optional<UserInfo> SystemHostFacts::find_user(std::string_view name) const {
  long size = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buffer(size > 0 ? static_cast<std::size_t>(size) : 16384);
  struct passwd pw {};
  struct passwd* found = nullptr;
  std::string key(name);
  if (::getpwnam_r(key.c_str(), &pw, buffer.data(), buffer.size(), &found) != 0 ||
      found == nullptr) {
    return std::nullopt;
  }
  return UserInfo{found->pw_uid, found->pw_gid, found->pw_dir != nullptr ? found->pw_dir : "/"};
}

std::optional<std::string> SystemHostFacts::protected_process(std::string_view name) const {
  for (auto fixed : kAlwaysProtected) {
    if (name == fixed) return "processes named " + std::string(name) + " are never signalled";
  }
  if (std::string init = read_comm("/proc/1/comm"); !init.empty() && init == name) {
    return "PID 1 is named " + init;
  }
  if (std::string self = read_comm("/proc/self/comm"); !self.empty() && self == name) {
    return "the agent itself is named " + self;
  }
  return std::nullopt;
}

}  // namespace helpline::catalog
