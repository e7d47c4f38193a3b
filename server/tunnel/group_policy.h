// The consent policy for remote sessions per enrollment group (docs/
// sessions.md, "Consent policy"), kept in the store's settings as one entry
// ("session.policies": "group=policy;..."). A group without an entry is
// "prompt". The relay sends its group's policy at enrollment (the agent
// pins it) and with every SessionOpen; the agent applies the stricter of
// its pin and the relay's word, so changing a group here can make its
// devices stricter at once but never weaker than their pin.
//
// Thread: the relay's io_context thread (the store's).
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "common/core/result.h"
#include "common/session/session.h"
#include "server/store/store.h"

namespace helpline::relay {

inline constexpr const char* kSessionPoliciesSetting = "session.policies";

// Every group with an explicit policy. Errors: the store's.
[[nodiscard]] Result<std::map<std::string, session::Policy>> consent_policies(Store& store);
// The group's policy (prompt when none is set). Errors: the store's.
[[nodiscard]] Result<session::Policy> consent_policy_of(Store& store, std::string_view group);
// Sets it. Errors: the store's.
[[nodiscard]] Result<void> set_consent_policy(Store& store, std::string_view group,
                                              session::Policy policy);

}  // namespace helpline::relay
