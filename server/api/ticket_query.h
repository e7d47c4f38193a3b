// Shared by the helpdesk routes, private to server/api: the ticket list's
// query string and the mapping of helpdesk errors to HTTP answers.
#pragma once

#include <map>
#include <string>

#include "common/core/result.h"
#include "server/api/router.h"
#include "server/store/ticket_store.h"

namespace helpline::relay::api {

// ?status=open|all|<status>[,<status>...]&priority=1..6&assignee=NAME
// &device=ID&breaching=true|false&limit=1..500&cursor=C.
// Errors: "bad_value" starting with the parameter's name, also for an
// unknown parameter.
[[nodiscard]] Result<TicketQuery> parse_ticket_query(
    const std::map<std::string, std::string>& query);

// 400 for bad values (with the field), 403 for level and role refusals,
// 404 for unknown tickets, 409 for what the ticket's state forbids.
[[nodiscard]] ApiResponse ticket_error(const Error& error);

}  // namespace helpline::relay::api
