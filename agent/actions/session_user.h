// The user of the active local session (systemd-logind, seat0): who
// "run_as = logged-in-user" actions run as, and who is asked for consent.
#pragma once

#include <optional>
#include <string>

namespace helpline::agent::actions {

// std::nullopt when no session is active on seat0 (headless servers, the
// login screen) or logind is not running.
[[nodiscard]] std::optional<std::string> active_session_user();

}  // namespace helpline::agent::actions
