// Error codes of server/tickets. They reach the JSON API and the CLI
// unchanged, so they are stable strings; the message names the field or rule
// and what to do instead.
#pragma once

#include <string>

#include "common/core/result.h"

namespace helpline::relay::tickets {

enum class TicketError {
  kBadValue,            // a field's value is invalid; the message starts with the field name
  kBadConfig,           // matrix, calendar, SLA policy, categories or escalation rules invalid
  kIllegalTransition,   // the status table has no such edge, e.g. from closed
  kNotAllowed,          // the edge exists but not for this kind of actor
  kInsufficientLevel,   // the technician's level is below the ticket's support level
  kReasonRequired,      // closing unresolved, resolving, pending(other), escalating need a reason
  kAssigneeRequired,    // "assigned" without an assignee
  kReopenWindowPassed,  // the requester's reopen window is over
  kTicketFinished,      // the action needs an open ticket (not resolved / closed)
  kNoChange,            // the request would change nothing (e.g. escalate to the current level)
};

[[nodiscard]] const char* to_code(TicketError error);
// `detail` is the message a person reads; empty means a generic description.
[[nodiscard]] Error make_error(TicketError error, std::string detail = {});

}  // namespace helpline::relay::tickets
