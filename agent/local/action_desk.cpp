#include "agent/local/action_desk.h"

#include <spdlog/spdlog.h>

#include "common/tls/crypto.h"

namespace helpline::agent::local {

ActionDesk::ActionDesk(actions::CatalogStore& catalogs, actions::Executor& executor,
                       consent::ConsentBroker& broker,
                       std::function<std::optional<std::string>()> seat_user)
    : catalogs_(catalogs), executor_(executor), broker_(broker), seat_user_(std::move(seat_user)) {
  if (!seat_user_) seat_user_ = &actions::active_session_user;
}

bool ActionDesk::handles(const v1::LocalRequest& request) {
  switch (request.kind_case()) {
    case v1::LocalRequest::kConsentList:
    case v1::LocalRequest::kConsentAnswer:
    case v1::LocalRequest::kFixes:
    case v1::LocalRequest::kFix:
      return true;
    default:
      return false;
  }
}

void ActionDesk::handle(const Peer& peer, const v1::LocalRequest& request, Respond respond) {
  switch (request.kind_case()) {
    case v1::LocalRequest::kConsentList: {
      v1::LocalResponse response;
      for (const consent::Pending& p : broker_.pending()) {
        v1::PendingConsent* out = response.add_consents();
        out->set_id(p.id);
        out->set_action_id(p.request.action_id);
        out->set_title(p.request.title);
        out->set_description(p.request.description);
        out->set_risk(p.request.risk);
        out->set_requested_by(p.request.requested_by);
        out->set_ticket_id(p.request.ticket_id);
        for (const std::string& arg : p.request.argv) out->add_argv(arg);
        out->set_asked_at_ms(p.asked_at);
        out->set_expires_at_ms(p.expires_at);
        out->set_kind(p.request.kind);
        out->set_session_id(p.request.session_id);
        out->set_reason(p.request.reason);
        for (const std::string& c : p.request.capabilities) out->add_capabilities(c);
        out->set_as_root(p.request.as_root);
      }
      respond(std::move(response));
      return;
    }
    case v1::LocalRequest::kConsentAnswer: {
      const v1::ConsentDecision& decision = request.consent_answer();
      auto answered = broker_.answer(decision.id(), decision.approve(), peer.uid, peer.user);
      respond(answered ? v1::LocalResponse()
                       : refusal(answered.error().code, answered.error().message));
      return;
    }
    case v1::LocalRequest::kFixes: {
      v1::LocalResponse response;
      if (const v1::Catalog* catalog = catalogs_.catalog()) {
        for (const v1::Action& action : catalog->actions()) {
          if (action.self_service()) *response.add_fixes() = action;
        }
      }
      respond(std::move(response));
      return;
    }
    case v1::LocalRequest::kFix:
      fix(peer, request.fix(), std::move(respond));
      return;
    default:
      respond(refusal("bad_request", "not an action request"));
  }
}

void ActionDesk::fix(const Peer& peer, const v1::FixRequest& request, Respond respond) {
  if (!consent::may_answer(peer.uid, peer.user, seat_user_())) {
    respond(refusal("forbidden",
                    "self-service fixes are for the user logged in at this machine's console or "
                    "desktop (or root)"));
    return;
  }
  v1::ActionRequest run;
  run.set_idempotency_key("local-" + tls::sha256_hex(tls::random_token(16)).substr(0, 32));
  run.set_action_id(request.action_id());
  run.set_catalog_version(catalogs_.version());
  *run.mutable_parameters() = request.parameters();
  run.set_requested_by(peer.user);
  spdlog::info("{} (uid {}) runs self-service action {}", peer.user, peer.uid,
               request.action_id().substr(0, 64));
  executor_.run(run, actions::Requester::kEndUser, [](std::string_view) {},
                [respond](const v1::ActionResult& result) {
                  v1::LocalResponse response;
                  *response.mutable_action_result() = result;
                  if (response.action_result().output().size() > kMaxLocalMessage / 2) {
                    response.mutable_action_result()->mutable_output()->resize(kMaxLocalMessage / 2);
                    response.mutable_action_result()->set_truncated(true);
                  }
                  respond(std::move(response));
                });
}

}  // namespace helpline::agent::local
