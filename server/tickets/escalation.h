// Escalation: automatic (rules at offsets from SLA deadlines, each firing
// once per ticket) and manual (a technician raising the support level).
//
// A rule is not due, whatever the time, when the ticket is resolved or
// closed, when its priority is not one the rule lists, when the deadline
// has no target, for first-response rules once the first response was
// given, and for resolve rules while the resolve clock is paused (pending):
// they wait for the resume, which moves the deadline.
//
// Exactly once: evaluate_escalations() adds the ids it returns to the fired
// set; the caller persists that set with the ticket in the same transaction
// as the applied changes, so evaluating again, at any time, returns nothing
// twice. A rule that fired does not fire again after a reopen.
#pragma once

#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "common/core/result.h"
#include "common/core/time_format.h"
#include "server/tickets/actor.h"
#include "server/tickets/business_calendar.h"
#include "server/tickets/escalation_rule.h"
#include "server/tickets/history.h"
#include "server/tickets/ticket.h"

namespace helpline::relay::tickets {

using FiredSet = std::set<std::string>;  // rule ids already fired for one ticket

struct DueEscalation {
  std::string rule_id;
  SlaDeadline deadline = SlaDeadline::kResolve;
  EscalationAction action;
  UnixMillis due_at = 0;  // when the rule became due

  friend bool operator==(const DueEscalation&, const DueEscalation&) = default;
};

// When `rule` is due for `ticket` (deadline shifted by the offset in
// business time), or 0 when it is not due at any time now (see above).
[[nodiscard]] UnixMillis escalation_time(const Ticket& ticket, const EscalationRule& rule,
                                         const BusinessCalendar& calendar);

// The rules due at `now` (due_at <= now) that are not in `fired`, earliest
// first (ties in rule order); their ids are added to `fired`.
[[nodiscard]] std::vector<DueEscalation> evaluate_escalations(const Ticket& ticket,
                                                              std::span<const EscalationRule> rules,
                                                              FiredSet& fired,
                                                              const BusinessCalendar& calendar,
                                                              UnixMillis now);

// The earliest due time of a rule not yet fired, for scheduling the next
// evaluation; 0 when none is pending.
[[nodiscard]] UnixMillis next_escalation_at(const Ticket& ticket,
                                            std::span<const EscalationRule> rules,
                                            const FiredSet& fired,
                                            const BusinessCalendar& calendar);

// Applies a fired rule: an "escalation" history entry ("<rule id>: <action>")
// and the level or group change it asks for. RaiseLevel never lowers the
// level and stops at L4. A ticket finished in the meantime is left as is.
[[nodiscard]] Changes apply_escalation(const Ticket& ticket, const DueEscalation& due,
                                       const Actor& actor, UnixMillis now);

struct EscalateRequest {
  SupportLevel to = SupportLevel::kL2;
  std::string reason;                // required
  std::optional<std::string> group;  // hand over to this group as well
};

// Manual (hierarchical) escalation, e.g. L1 -> L2 with a reason.
// Errors: "not_allowed" for a requester, "ticket_finished" for a resolved
// or closed ticket, "reason_required", "no_change" unless `to` is above the
// current level, "bad_value" for a bad group name.
[[nodiscard]] Result<Changes> escalate(const Ticket& ticket, const EscalateRequest& request,
                                       const Actor& actor, UnixMillis now);

}  // namespace helpline::relay::tickets
