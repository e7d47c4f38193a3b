#include "agent/local/session_desk.h"

#include "agent/consent/consent_broker.h"

namespace helpline::agent::local {

namespace {

constexpr std::size_t kMaxAuditLines = 10000;

}  // namespace

SessionDesk::SessionDesk(session::SessionManager& sessions, const LocalAudit& audit,
                         std::function<std::optional<std::string>()> seat_user)
    : sessions_(sessions), audit_(audit), seat_user_(std::move(seat_user)) {}

bool SessionDesk::handles(const v1::LocalRequest& request) {
  switch (request.kind_case()) {
    case v1::LocalRequest::kSessions:
    case v1::LocalRequest::kEndSession:
    case v1::LocalRequest::kAudit:
      return true;
    default:
      return false;
  }
}

void SessionDesk::handle(const Peer& peer, const v1::LocalRequest& request, Respond respond) {
  if (!consent::may_answer(peer.uid, peer.user, seat_user_())) {
    respond(refusal("forbidden",
                    "remote sessions are for the user logged in at this machine's console or "
                    "desktop (or root)"));
    return;
  }
  switch (request.kind_case()) {
    case v1::LocalRequest::kSessions: {
      v1::LocalResponse response;
      for (auto& s : sessions_.active()) *response.add_sessions() = std::move(s);
      respond(std::move(response));
      return;
    }
    case v1::LocalRequest::kEndSession: {
      const auto& end = request.end_session();
      if (end.reason().size() > 200) {
        respond(refusal("bad_value", "reason: at most 200 characters"));
        return;
      }
      auto ended = sessions_.end_by_user(end.session_id(), peer.user, end.reason());
      if (!ended) {
        respond(refusal(ended.error().code, ended.error().message));
        return;
      }
      v1::LocalResponse response;
      for (auto& s : *ended) *response.add_sessions() = std::move(s);
      respond(std::move(response));
      return;
    }
    case v1::LocalRequest::kAudit: {
      std::size_t n = request.audit().last() == 0 ? 100 : request.audit().last();
      auto tail = audit_.tail(std::min(n, kMaxAuditLines));
      if (!tail) {
        respond(refusal(tail.error().code, tail.error().message));
        return;
      }
      v1::LocalResponse response;
      for (auto& line : tail->first) response.add_audit_lines(std::move(line));
      response.set_audit_intact(tail->second.intact);
      response.set_audit_problem(tail->second.problem);
      respond(std::move(response));
      return;
    }
    default:
      respond(refusal("bad_request", "not a session request"));
  }
}

}  // namespace helpline::agent::local
