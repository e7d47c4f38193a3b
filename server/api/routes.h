// The technician API's routes, one register function per area. Each handler
// validates its input, answers errors as JSON (see docs/api.md) and changes
// nothing when it refuses.
#pragma once

#include "server/api/router.h"
#include "server/audit/audit_log.h"
#include "server/blobs/blob_store.h"
#include "server/config/relay_config.h"
#include "server/helpdesk/helpdesk_service.h"
#include "server/store/store.h"
#include "server/tunnel/tunnel.h"
#include "server/webhooks/webhooks.h"

namespace helpline::relay::sessions {
class SessionService;
}
namespace helpline::relay::api {

// What the handlers reach. All references outlive the router.
struct ApiContext {
  Store& store;
  Tunnel& tunnel;
  const RelayConfig& config;
  blobs::BlobStore& blobs;  // bundles received from agents
  helpdesk::HelpdeskService& helpdesk;  // tickets
  webhooks::WebhookService& webhooks;   // ticket events to other systems
  sessions::SessionService* sessions = nullptr;  // remote sessions; null: unavailable
  audit::AuditLog* audit = nullptr;              // the audit log; null: unavailable

  // Writes one audit entry (docs/sessions.md, "Audit") for something that
  // has already happened; a failure to write is logged, not returned.
  void record(audit::Event event) const {
    if (audit != nullptr) audit->record(std::move(event));
  }
};

void register_session_routes(Router& router, ApiContext& context);   // login, logout, health
void register_user_routes(Router& router, ApiContext& context);      // users (admin)
void register_token_routes(Router& router, ApiContext& context);     // enrollment tokens (admin)
void register_device_routes(Router& router, ApiContext& context);    // devices
void register_diag_routes(Router& router, ApiContext& context);      // diagnostics (bundles)
void register_ticket_routes(Router& router, ApiContext& context);    // helpdesk tickets
void register_stats_routes(Router& router, ApiContext& context);     // helpdesk statistics
void register_action_routes(Router& router, ApiContext& context);    // action catalog, actions
void register_remote_session_routes(Router& router, ApiContext& context);  // sessions, audit
void register_ticket_attachment_routes(Router& router, ApiContext& context);  // files, KB links
void register_kb_routes(Router& router, ApiContext& context);                 // knowledge base
void register_webhook_routes(Router& router, ApiContext& context);            // webhooks (admin)

inline void register_all_routes(Router& router, ApiContext& context) {
  register_session_routes(router, context);
  register_user_routes(router, context);
  register_token_routes(router, context);
  register_device_routes(router, context);
  register_diag_routes(router, context);
  register_ticket_routes(router, context);
  register_stats_routes(router, context);
  register_action_routes(router, context);
  register_remote_session_routes(router, context);
  register_ticket_attachment_routes(router, context);
  register_kb_routes(router, context);
  register_webhook_routes(router, context);
}

// The JSON body of a webhook delivery (api.proto WebhookEvent): the event
// with the ticket as the API shows it at the event's time.
[[nodiscard]] std::string webhook_payload(const helpdesk::TicketEvent& event,
                                          std::string_view event_id);

// A name for a user or group: 1..64 of [A-Za-z0-9._-]. Returns why not, or "".
[[nodiscard]] std::string check_name(std::string_view what, std::string_view name);

}  // namespace helpline::relay::api
