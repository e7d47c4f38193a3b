// The daemon's local-socket answers for remote sessions
// (agent/session): `helpline-agent sessions` (the active ones), `end`
// (end one or all at once) and `audit` (the local audit of sessions and
// actions, agent/audit, with its chain check). All three are for root and
// the user logged in at the seat (consent::may_answer): the person at the
// machine.
//
// Thread: the loop's thread. Lifetime: shared; the manager outlives it.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "agent/audit/local_audit.h"
#include "agent/local/local_server.h"
#include "agent/session/session.h"

namespace helpline::agent::local {

class SessionDesk {
 public:
  SessionDesk(session::SessionManager& sessions, const LocalAudit& audit,
              std::function<std::optional<std::string>()> seat_user);

  [[nodiscard]] static bool handles(const v1::LocalRequest& request);
  void handle(const Peer& peer, const v1::LocalRequest& request, Respond respond);

 private:
  session::SessionManager& sessions_;
  const LocalAudit& audit_;
  std::function<std::optional<std::string>()> seat_user_;
};

}  // namespace helpline::agent::local
