// Helpdesk tickets in the JSON API's messages (api.proto), private to
// server/api.
#pragma once

#include "helpline/v1/api.pb.h"
#include "server/helpdesk/helpdesk_service.h"

namespace helpline::relay::api {

// The ticket's own fields and its SLA state at `now` (no conversation,
// history or attachments: what lists show).
void fill_ticket(const tickets::Ticket& ticket, UnixMillis now, v1::api::Ticket& out);
// Everything a technician sees.
void fill_ticket_view(const helpdesk::TicketView& view, v1::api::Ticket& out);

}  // namespace helpline::relay::api
