// The requester's rating of the help received (a satisfaction survey of one
// question and an optional comment).
#pragma once

#include <string>

#include "common/core/result.h"
#include "common/core/time_format.h"
#include "server/tickets/actor.h"
#include "server/tickets/history.h"
#include "server/tickets/ticket.h"

namespace helpline::relay::tickets {

// Records or replaces the rating of a resolved or closed ticket.
// Errors: "not_allowed" unless the actor is a requester, "illegal_transition"
// before resolution, "bad_value" for a rating outside 1..5 or a comment over
// 4 KiB or with control characters other than newline and tab.
[[nodiscard]] Result<Changes> rate(const Ticket& ticket, int rating, const std::string& comment,
                                   const Actor& actor, UnixMillis now);

}  // namespace helpline::relay::tickets
