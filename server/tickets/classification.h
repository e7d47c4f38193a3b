// Changing what a ticket is and how urgent: category, type, impact,
// urgency, priority, and the SLA policy it is measured against. Every
// priority change retargets the SLA clocks (accumulated pauses are kept).
#pragma once

#include <optional>
#include <string>

#include "common/core/result.h"
#include "common/core/time_format.h"
#include "server/tickets/actor.h"
#include "server/tickets/helpdesk_rules.h"
#include "server/tickets/history.h"
#include "server/tickets/ticket.h"

namespace helpline::relay::tickets {

// Fields left unset keep their value.
struct Reclassification {
  std::optional<Impact> impact;
  std::optional<Urgency> urgency;
  std::optional<std::string> category;  // validated against rules.categories
  std::optional<TicketType> type;
};

// Priority follows the matrix again unless it was overridden by hand.
// Errors: "not_allowed" for a requester, "ticket_finished" for a resolved
// or closed ticket, "bad_value" for an unknown category.
[[nodiscard]] Result<Changes> reclassify(const Ticket& ticket, const Reclassification& change,
                                         const Actor& actor, const HelpdeskRules& rules,
                                         UnixMillis now);

// Sets the priority by hand (the only way to reach 6, major), or with
// nullopt returns it to the matrix. Errors: "not_allowed" unless a
// technician, "reason_required", "ticket_finished".
[[nodiscard]] Result<Changes> override_priority(const Ticket& ticket,
                                                std::optional<Priority> priority,
                                                const std::string& reason, const Actor& actor,
                                                const HelpdeskRules& rules, UnixMillis now);

// After the SLA policy changed: the ticket takes the targets of `policy`
// for its priority and its calendar; deadlines are recomputed from the
// start and the pause already accumulated. Resolved and closed tickets keep
// the deadlines they were measured against (no change, no error).
[[nodiscard]] Changes apply_sla_policy(const Ticket& ticket, const SlaPolicy& policy,
                                       const Actor& actor, UnixMillis now);

}  // namespace helpline::relay::tickets
