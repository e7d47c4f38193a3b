// Shared by the helpdesk routes, private to server/api: the ticket list's
// query string and the mapping of helpdesk errors to HTTP answers.
#pragma once

#include <map>
#include <string>

#include "common/core/result.h"
#include "server/api/router.h"
#include "server/api/routes.h"
#include "server/store/ticket_store.h"

namespace helpline::relay::api {

// A decimal integer query parameter in [min, max]. Errors: "bad_value"
// ("limit: expected a number from 1 to 500").
[[nodiscard]] Result<long long> parse_number(const std::string& name, const std::string& text,
                                             long long min, long long max);

// ?status=open|all|<status>[,<status>...]&priority=1..6&assignee=NAME
// &device=ID&breaching=true|false&limit=1..500&cursor=C.
// Errors: "bad_value" starting with the parameter's name, also for an
// unknown parameter.
[[nodiscard]] Result<TicketQuery> parse_ticket_query(
    const std::map<std::string, std::string>& query);

// 400 for bad values (with the field), 403 for level and role refusals,
// 404 for unknown tickets, 409 for what the ticket's state forbids.
[[nodiscard]] ApiResponse ticket_error(const Error& error);

// The {id} path parameter as a ticket number. Errors: "bad_value" ("id: ...").
[[nodiscard]] Result<std::int64_t> ticket_id_param(const ApiRequest& request);

// The ticket as a list shows it, at the helpdesk's current time.
[[nodiscard]] ApiResponse ticket_response(const ApiContext& ctx, const tickets::Ticket& ticket,
                                          unsigned status = 200);

// Parses the body into Body, resolves the ticket id and the caller's actor,
// runs `act(id, body, actor)`, and answers the ticket as changed.
template <class Body, class Act>
ApiResponse act_on_ticket(ApiContext& ctx, ApiRequest& request, Act act) {
  Body body;
  if (auto bad = parse_body(request, body)) return *bad;
  auto id = ticket_id_param(request);
  if (!id) return ticket_error(id.error());
  auto actor = helpdesk::actor_for(*request.user);
  if (!actor) return ticket_error(actor.error());
  Result<tickets::Ticket> changed = act(*id, body, *actor);
  if (!changed) return ticket_error(changed.error());
  return ticket_response(ctx, *changed);
}

}  // namespace helpline::relay::api
