#include "server/tickets/workflow.h"

#include <array>
#include <chrono>

#include "common/core/duration.h"
#include "server/tickets/checks.h"
#include "server/tickets/ticket_editor.h"
#include "server/tickets/ticket_error.h"

namespace helpline::relay::tickets {
namespace {

using Table = std::array<std::array<bool, 6>, 6>;
// One-letter names so the tables below read as the grid in workflow.h.
constexpr bool o = true;
constexpr bool _ = false;

// Rows: from; columns: to; both in Status order (new, assigned, in_progress,
// pending, resolved, closed). Kept in sync with the table in workflow.h.
constexpr Table kTechnicianTable{{
    {_, o, o, o, o, o},
    {o, _, o, o, o, _},
    {_, o, _, o, o, _},
    {_, o, o, _, o, _},
    {_, _, o, _, _, o},
    {_, _, _, _, _, _},
}};
constexpr Table kRequesterTable{{
    {_, _, _, _, _, _},
    {_, _, _, _, _, _},
    {_, _, _, _, _, _},
    {_, _, _, _, _, _},
    {_, _, o, _, _, o},
    {_, _, _, _, _, _},
}};
constexpr Table kSystemTable{{
    {_, _, _, _, _, _},
    {_, _, _, _, _, _},
    {_, _, _, _, _, _},
    {_, _, o, _, _, _},
    {_, _, _, _, _, o},
    {_, _, _, _, _, _},
}};

std::size_t index(Status status) { return static_cast<std::size_t>(status); }

bool in_table(const Table& table, Status from, Status to) {
  if (index(from) >= table.size() || index(to) >= table.size()) return false;
  return table[index(from)][index(to)];
}

const Table& table_for(ActorKind actor) {
  switch (actor) {
    case ActorKind::kRequester:
      return kRequesterTable;
    case ActorKind::kTechnician:
      return kTechnicianTable;
    case ActorKind::kSystem:
      break;
  }
  return kSystemTable;
}

bool allowed_for_anyone(Status from, Status to) {
  for (ActorKind kind : kAllActorKinds) {
    if (in_table(table_for(kind), from, to)) return true;
  }
  return false;
}

// "assigned, pending or resolved".
std::string list_statuses(const std::vector<Status>& statuses) {
  std::string out;
  for (std::size_t i = 0; i < statuses.size(); ++i) {
    if (i != 0) out += i + 1 == statuses.size() ? " or " : ", ";
    out += to_string(statuses[i]);
  }
  return out;
}

std::string window_text(std::chrono::milliseconds window) {
  return format_duration(std::chrono::duration_cast<std::chrono::seconds>(window));
}

tl::unexpected<Error> refuse(TicketError error, std::string message) {
  return fail(make_error(error, std::move(message)));
}

Result<void> check_edge(const Ticket& ticket, Status to, const Actor& actor) {
  const Status from = ticket.status;
  if (from == Status::kClosed) {
    return refuse(TicketError::kIllegalTransition,
                  "a closed ticket cannot change; open a new ticket");
  }
  if (from == to) {
    return refuse(TicketError::kIllegalTransition,
                  ticket.display_id() + " is already " + to_string(to));
  }
  if (!allowed_for_anyone(from, to)) {
    std::vector<Status> possible;
    for (Status s : kAllStatuses) {
      if (allowed_for_anyone(from, s)) possible.push_back(s);
    }
    return refuse(TicketError::kIllegalTransition, std::string("a ticket cannot go from ") +
                                                       to_string(from) + " to " + to_string(to) +
                                                       "; from " + to_string(from) +
                                                       " it can go to " + list_statuses(possible));
  }
  if (!in_table(table_for(actor.kind), from, to)) {
    switch (actor.kind) {
      case ActorKind::kRequester:
        return refuse(TicketError::kNotAllowed,
                      "a requester can only close (accept) or reopen a resolved ticket");
      case ActorKind::kSystem:
        return refuse(TicketError::kNotAllowed,
                      "the system can only return a pending ticket to in_progress or close a "
                      "resolved one");
      case ActorKind::kTechnician:
        break;
    }
    return refuse(TicketError::kNotAllowed, std::string("a technician cannot move a ticket from ") +
                                                to_string(from) + " to " + to_string(to));
  }
  return {};
}

Result<void> check_level(const Ticket& ticket, const Actor& actor) {
  if (actor.kind != ActorKind::kTechnician) return {};
  // L4 is an outside vendor: the most our own staff can be is L3.
  const int required = std::min(to_int(ticket.level), to_int(SupportLevel::kL3));
  if (to_int(actor.level) >= required) return {};
  return refuse(TicketError::kInsufficientLevel,
                ticket.display_id() + " is at " + to_string(ticket.level) + "; " +
                    to_string(actor) + " cannot change its status");
}

Result<void> check_conditions(const Ticket& ticket, const StatusChange& change, const Actor& actor,
                              const HelpdeskRules& rules, UnixMillis now) {
  if (auto ok = detail::check_multiline("reason", change.reason, detail::kMaxShortText, false);
      !ok) {
    return ok;
  }
  const bool has_reason = detail::has_content(change.reason);
  if (change.pending_reason && change.to != Status::kPending) {
    return refuse(TicketError::kBadValue,
                  "pending_reason: only applies when the new status is pending");
  }
  switch (change.to) {
    case Status::kAssigned:
      if (ticket.assignee.empty()) {
        return refuse(TicketError::kAssigneeRequired,
                      "assign a technician to " + ticket.display_id() +
                          " first (assigning sets the status to assigned)");
      }
      break;
    case Status::kPending:
      if (!change.pending_reason) {
        return refuse(TicketError::kReasonRequired,
                      "pending needs a pending_reason: waiting_for_user, waiting_for_vendor, "
                      "waiting_for_change or other");
      }
      if (*change.pending_reason == PendingReason::kOther && !has_reason) {
        return refuse(TicketError::kReasonRequired,
                      "pending for reason 'other' needs a reason text");
      }
      break;
    case Status::kResolved:
      if (!has_reason) {
        return refuse(TicketError::kReasonRequired, "resolving needs the solution as the reason");
      }
      break;
    case Status::kClosed:
      if (ticket.status != Status::kResolved && !has_reason) {
        return refuse(TicketError::kReasonRequired,
                      "closing a ticket that was not resolved needs a reason (rejected, "
                      "duplicate, withdrawn, ...)");
      }
      break;
    case Status::kNew:
    case Status::kInProgress:
      break;
  }
  if (ticket.status != Status::kResolved) return {};
  const UnixMillis window_end = ticket.resolved_at + rules.reopen_window.count();
  if (actor.kind == ActorKind::kRequester && change.to == Status::kInProgress) {
    if (rules.reopen_window.count() == 0) {
      return refuse(TicketError::kReopenWindowPassed,
                    "requesters cannot reopen tickets here; open a new ticket");
    }
    if (now > window_end) {
      return refuse(TicketError::kReopenWindowPassed,
                    "the reopen window of " + window_text(rules.reopen_window) +
                        " has passed (resolved " + format_rfc3339(ticket.resolved_at) +
                        "); open a new ticket");
    }
  }
  if (actor.kind == ActorKind::kSystem && change.to == Status::kClosed && now <= window_end) {
    return refuse(TicketError::kNotAllowed,
                  "the system closes a resolved ticket only after the reopen window of " +
                      window_text(rules.reopen_window) + " has passed");
  }
  return {};
}

// The effects of entering `to`, shared by change_status and the automatic
// return from pending. Checks are the caller's.
void move_to(detail::TicketEditor& editor, Status to, std::optional<PendingReason> pending,
             const std::string& reason, const HelpdeskRules& rules) {
  Ticket& t = editor.ticket();
  const Status from = t.status;
  const SlaClock sla_before = t.sla;
  const UnixMillis now = editor.now();
  const bool by_technician = editor.actor().kind == ActorKind::kTechnician;

  if (from == Status::kPending) editor.set_pending_reason(std::nullopt);
  if (from == Status::kResolved && to != Status::kClosed) {
    editor.set_int("reopen_count", t.reopen_count, t.reopen_count + 1);
    editor.set_time("resolved_at", t.resolved_at, 0);
    editor.set_text("solution", t.solution, "");
  }
  editor.set_enum("status", t.status, to);
  switch (to) {
    case Status::kNew:
      editor.set_text("assignee", t.assignee, "");
      break;
    case Status::kInProgress:
      if (by_technician && t.assignee.empty()) {
        editor.set_text("assignee", t.assignee, editor.actor().name);
      }
      break;
    case Status::kPending:
      editor.set_pending_reason(pending);
      break;
    case Status::kResolved:
      editor.set_time("resolved_at", t.resolved_at, now);
      editor.set_text("solution", t.solution, reason);
      break;
    case Status::kClosed:
      editor.set_time("closed_at", t.closed_at, now);
      if (t.solution.empty()) editor.set_text("solution", t.solution, reason);
      break;
    case Status::kAssigned:
      break;
  }
  const bool responds =
      to == Status::kInProgress || to == Status::kResolved || to == Status::kClosed;
  if (by_technician && responds && t.first_response_at == 0) {
    editor.set_time("first_response_at", t.first_response_at, now);
  }
  if (to == Status::kPending || is_finished(to)) {
    pause_sla(t.sla, now);
  } else {
    resume_sla(t.sla, rules.sla.calendar(), now);
  }
  editor.record_sla(sla_before);
}

}  // namespace

bool transition_allowed(Status from, Status to, ActorKind actor) {
  return in_table(table_for(actor), from, to);
}

std::vector<Status> next_statuses(Status from, ActorKind actor) {
  std::vector<Status> out;
  for (Status to : kAllStatuses) {
    if (transition_allowed(from, to, actor)) out.push_back(to);
  }
  return out;
}

Result<Changes> change_status(const Ticket& ticket, const StatusChange& change, const Actor& actor,
                              const HelpdeskRules& rules, UnixMillis now) {
  if (auto ok = check_edge(ticket, change.to, actor); !ok) return fail(ok.error());
  if (auto ok = check_level(ticket, actor); !ok) return fail(ok.error());
  if (auto ok = check_conditions(ticket, change, actor, rules, now); !ok) return fail(ok.error());
  detail::TicketEditor editor(ticket, actor, now, change.reason);
  move_to(editor, change.to, change.pending_reason, change.reason, rules);
  return std::move(editor).finish();
}

Result<Changes> record_reply(const Ticket& ticket, const Actor& actor, ReplyVisibility visibility,
                             const HelpdeskRules& rules, UnixMillis now) {
  if (ticket.status == Status::kClosed) {
    return refuse(TicketError::kTicketFinished,
                  ticket.display_id() + " is closed; open a new ticket");
  }
  if (actor.kind == ActorKind::kRequester && visibility == ReplyVisibility::kInternal) {
    return refuse(TicketError::kNotAllowed, "requesters cannot add internal notes");
  }
  detail::TicketEditor editor(ticket, actor, now);
  editor.touch();
  Ticket& t = editor.ticket();
  if (actor.kind == ActorKind::kTechnician && visibility == ReplyVisibility::kPublic &&
      t.first_response_at == 0) {
    editor.set_time("first_response_at", t.first_response_at, now);
  }
  if (actor.kind == ActorKind::kRequester && t.status == Status::kPending &&
      t.pending_reason == PendingReason::kWaitingForUser) {
    editor.set_reason("requester replied");
    move_to(editor, Status::kInProgress, std::nullopt, {}, rules);
  }
  return std::move(editor).finish();
}

UnixMillis auto_close_at(const Ticket& ticket, const HelpdeskRules& rules) {
  if (ticket.status != Status::kResolved || ticket.resolved_at == 0) return 0;
  return ticket.resolved_at + rules.reopen_window.count() + 1;
}

}  // namespace helpline::relay::tickets
