// A HostFacts answering from maps, for tests that must not depend on the
// machine's users, processes or file system. Header-only; agent/actions
// tests use it too.
#pragma once

#include <map>
#include <set>
#include <string>

#include "common/catalog/host_facts.h"

namespace helpline::catalog::testing {

class FakeHostFacts : public HostFacts {
 public:
  // path -> resolved path; a path not listed resolves to itself and exists.
  std::map<std::string, std::string, std::less<>> links;
  std::set<std::string, std::less<>> missing;
  std::map<std::string, UserInfo, std::less<>> users = {{"alice", {1000, 1000, "/home/alice"}},
                                                        {"root", {0, 0, "/root"}},
                                                        {"daemon", {1, 1, "/usr/sbin"}}};
  std::set<std::string, std::less<>> protected_names = {"systemd", "helpline-agent"};

  [[nodiscard]] Result<ResolvedPath> resolve_path(std::string_view path) const override {
    if (auto it = links.find(path); it != links.end()) {
      if (it->second.empty()) return fail("dangling_symlink", std::string(path) + " dangles");
      return ResolvedPath{it->second, true};
    }
    return ResolvedPath{std::string(path), missing.count(path) == 0};
  }
  [[nodiscard]] std::optional<UserInfo> find_user(std::string_view name) const override {
    if (auto it = users.find(name); it != users.end()) return it->second;
    return std::nullopt;
  }
  [[nodiscard]] std::optional<std::string> protected_process(std::string_view name) const override {
    if (protected_names.count(name) != 0) return "protected: " + std::string(name);
    return std::nullopt;
  }
};

}  // namespace helpline::catalog::testing
