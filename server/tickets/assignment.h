// Who works on a ticket: the assignee (one technician) and the support group.
#pragma once

#include <string>

#include "common/core/result.h"
#include "common/core/time_format.h"
#include "server/tickets/actor.h"
#include "server/tickets/history.h"
#include "server/tickets/ticket.h"

namespace helpline::relay::tickets {

// Sets the assignee; a new ticket becomes assigned, other open statuses
// stay. Assigning the current assignee again changes nothing (no history).
// To unassign, change the status to new.
// Errors: "not_allowed" for a requester, "ticket_finished" for a resolved or
// closed ticket, "bad_value" for an empty name or one with control
// characters or over 200 bytes.
[[nodiscard]] Result<Changes> assign(const Ticket& ticket, const std::string& assignee,
                                     const Actor& actor, UnixMillis now);

// Sets the support group ("" removes it); the assignee and status stay.
// Errors as assign(), except that an empty group is allowed.
[[nodiscard]] Result<Changes> assign_group(const Ticket& ticket, const std::string& group,
                                           const Actor& actor, UnixMillis now,
                                           const std::string& reason = {});

}  // namespace helpline::relay::tickets
