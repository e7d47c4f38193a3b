// The daemon's local-socket answers for remediation actions: consent
// requests (list, approve, deny: agent/consent) and self-service fixes
// (`helpline-agent fixes`, `helpline-agent fix`). LocalDesk handles every
// other request; the daemon asks handles() first.
//
// Who: listing consents and fixes is open to every local user (the socket
// is 0666). Answering a consent request and running a fix are for root and
// the user logged in at the seat (consent::may_answer): the person at the
// machine, never another account on it.
//
// Thread: the loop's thread. Lifetime: shared; the references outlive it.
#pragma once

#include <memory>

#include "agent/actions/actions.h"
#include "agent/consent/consent_broker.h"
#include "agent/local/local_server.h"

namespace helpline::agent::local {

class ActionDesk : public std::enable_shared_from_this<ActionDesk> {
 public:
  // `seat_user` unset: actions::active_session_user.
  ActionDesk(actions::CatalogStore& catalogs, actions::Executor& executor,
             consent::ConsentBroker& broker,
             std::function<std::optional<std::string>()> seat_user = {});

  // Whether `request` is one of the kinds answered here.
  [[nodiscard]] static bool handles(const v1::LocalRequest& request);
  void handle(const Peer& peer, const v1::LocalRequest& request, Respond respond);

 private:
  void fix(const Peer& peer, const v1::FixRequest& request, Respond respond);

  actions::CatalogStore& catalogs_;
  actions::Executor& executor_;
  consent::ConsentBroker& broker_;
  std::function<std::optional<std::string>()> seat_user_;
};

}  // namespace helpline::agent::local
