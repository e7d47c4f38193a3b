// Status changes, enforced. The table (ITIL as GLPI implements it):
//
//   from \ to    new  assigned  in_progress  pending  resolved  closed
//   new           -     T          T           T        T         T*
//   assigned      T     -          T           T        T         .
//   in_progress   .     T          -           T        T         .
//   pending       .     T          T S         -        T         .
//   resolved      .     .          T R         .        -         T R S
//   closed        .     .          .           .        .         -
//
//   T technician, R requester, S system; "." refused for everyone.
//   * closing an unresolved ticket (rejected, duplicate) needs a reason.
//
// Further rules, each with its own error:
// - a technician below the ticket's support level (L4 counts as L3) may not
//   change its status ("insufficient_level");
// - "assigned" needs an assignee (assign() sets one and moves new ->
//   assigned); going back to "new" clears the assignee;
// - "pending" needs a PendingReason, and a reason text for kOther;
// - "resolved" needs the solution as the reason;
// - a requester reopens (resolved -> in_progress) only within the reopen
//   window after resolved_at, each reopen counted in reopen_count; a
//   technician may reopen any resolved ticket; the system closes a resolved
//   ticket only after the window has passed (see auto_close_at());
// - closed is final.
//
// Effects: in_progress taken by a technician sets the assignee if none;
// the first in_progress, resolved or closed by a technician sets
// first_response_at; pending pauses the resolve clock, resolved and closed
// stop it, leaving them resumes it; resolved sets resolved_at and the
// solution, a reopen clears both.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/core/result.h"
#include "common/core/time_format.h"
#include "server/tickets/actor.h"
#include "server/tickets/helpdesk_rules.h"
#include "server/tickets/history.h"
#include "server/tickets/ticket.h"

namespace helpline::relay::tickets {

struct StatusChange {
  Status to = Status::kInProgress;
  std::optional<PendingReason> pending_reason;  // required when `to` is pending
  std::string reason;                           // the solution when resolving; why, otherwise

  StatusChange() = default;
  // NOLINTNEXTLINE(google-explicit-constructor): StatusChange{Status::kNew} reads well.
  StatusChange(Status to_status, std::string why = {}) : to(to_status), reason(std::move(why)) {}
  StatusChange(Status to_status, std::optional<PendingReason> pending, std::string why = {})
      : to(to_status), pending_reason(pending), reason(std::move(why)) {}
};

// The table above, for one kind of actor, without the ticket-specific rules.
[[nodiscard]] bool transition_allowed(Status from, Status to, ActorKind actor);
// The statuses `actor` may move a ticket in `from` to, in table order.
[[nodiscard]] std::vector<Status> next_statuses(Status from, ActorKind actor);

// Errors: "illegal_transition" (no such edge; the message lists the ones
// from this status), "not_allowed" (edge not open to this actor),
// "insufficient_level", "assignee_required", "reason_required",
// "reopen_window_passed", "bad_value" (reason text too long or with control
// characters). Nothing changes on error.
[[nodiscard]] Result<Changes> change_status(const Ticket& ticket, const StatusChange& change,
                                            const Actor& actor, const HelpdeskRules& rules,
                                            UnixMillis now);

enum class ReplyVisibility { kPublic, kInternal };

// A reply (public) or an internal note was added to the ticket; the text
// itself is the store's business. A technician's first public reply sets
// first_response_at; a requester's reply to a ticket pending on
// waiting_for_user returns it to in_progress (history reason "requester
// replied"). Replies to resolved tickets do not reopen them.
// Errors: "ticket_finished" for a closed ticket, "not_allowed" for an
// internal note by a requester.
[[nodiscard]] Result<Changes> record_reply(const Ticket& ticket, const Actor& actor,
                                           ReplyVisibility visibility, const HelpdeskRules& rules,
                                           UnixMillis now);

// When the system may close a resolved ticket: 1 ms after the reopen
// window; 0 when the ticket is not resolved.
[[nodiscard]] UnixMillis auto_close_at(const Ticket& ticket, const HelpdeskRules& rules);

}  // namespace helpline::relay::tickets
