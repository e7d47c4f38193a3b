#include <array>
#include <string>

#include "server/store/store.h"

namespace helpline::relay {
namespace {

struct RoleName {
  Role role;
  const char* name;
};

constexpr std::array kRoleNames{
    RoleName{Role::kViewer, "viewer"},  RoleName{Role::kTechnician1, "l1"},
    RoleName{Role::kTechnician2, "l2"}, RoleName{Role::kTechnician3, "l3"},
    RoleName{Role::kAdmin, "admin"},
};

}  // namespace

const char* to_string(Role role) {
  for (const RoleName& entry : kRoleNames) {
    if (entry.role == role) return entry.name;
  }
  return "unknown";  // only reachable through a cast from an out-of-range integer
}

Result<Role> parse_role(std::string_view name) {
  for (const RoleName& entry : kRoleNames) {
    if (name == entry.name) return entry.role;
  }
  return fail("bad_role",
              "unknown role '" + std::string(name) + "' (use viewer, l1, l2, l3 or admin)");
}

}  // namespace helpline::relay
