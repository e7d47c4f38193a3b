#include "server/tickets/escalation.h"

#include <algorithm>

#include "server/tickets/checks.h"
#include "server/tickets/overloaded.h"
#include "server/tickets/ticket_editor.h"
#include "server/tickets/ticket_error.h"

namespace helpline::relay::tickets {
namespace {

SupportLevel raised(SupportLevel current, const RaiseLevelAction& action) {
  const int target = action.to ? to_int(*action.to) : to_int(current) + 1;
  const int capped = std::min(target, to_int(SupportLevel::kL4));
  return static_cast<SupportLevel>(std::max(capped, to_int(current)));
}

}  // namespace

UnixMillis escalation_time(const Ticket& ticket, const EscalationRule& rule,
                           const BusinessCalendar& calendar) {
  if (is_finished(ticket.status) || !rule.applies_to(ticket.priority)) return 0;
  UnixMillis deadline = 0;
  if (rule.deadline == SlaDeadline::kFirstResponse) {
    if (ticket.first_response_at != 0) return 0;
    deadline = ticket.sla.first_response_due;
  } else {
    if (ticket.sla.paused()) return 0;
    deadline = ticket.sla.resolve_due;
  }
  if (deadline == 0) return 0;
  const UnixMillis at = rule.offset.count() < 0
                            ? calendar.subtract_business_time(deadline, -rule.offset)
                            : calendar.add_business_time(deadline, rule.offset);
  // 0 means "never" to callers; a rule due at the epoch is due at 1 ms.
  return std::max<UnixMillis>(at, 1);
}

std::vector<DueEscalation> evaluate_escalations(const Ticket& ticket,
                                                std::span<const EscalationRule> rules,
                                                FiredSet& fired, const BusinessCalendar& calendar,
                                                UnixMillis now) {
  std::vector<DueEscalation> due;
  for (const EscalationRule& rule : rules) {
    if (fired.contains(rule.id)) continue;
    const UnixMillis at = escalation_time(ticket, rule, calendar);
    if (at == 0 || at > now) continue;
    due.push_back(DueEscalation{rule.id, rule.deadline, rule.action, at});
  }
  std::stable_sort(due.begin(), due.end(), [](const DueEscalation& a, const DueEscalation& b) {
    return a.due_at < b.due_at;
  });
  for (const DueEscalation& d : due) fired.insert(d.rule_id);
  return due;
}

UnixMillis next_escalation_at(const Ticket& ticket, std::span<const EscalationRule> rules,
                              const FiredSet& fired, const BusinessCalendar& calendar) {
  UnixMillis next = 0;
  for (const EscalationRule& rule : rules) {
    if (fired.contains(rule.id)) continue;
    const UnixMillis at = escalation_time(ticket, rule, calendar);
    if (at != 0 && (next == 0 || at < next)) next = at;
  }
  return next;
}

Changes apply_escalation(const Ticket& ticket, const DueEscalation& due, const Actor& actor,
                         UnixMillis now) {
  detail::TicketEditor editor(ticket, actor, now,
                              std::string(to_string(due.deadline)) + " deadline escalation");
  if (is_finished(ticket.status)) return std::move(editor).finish();
  editor.note("escalation", "", due.rule_id + ": " + describe(due.action));
  Ticket& t = editor.ticket();
  std::visit(
      detail::Overloaded{
          [](const NotifyAction&) {},
          [&](const RaiseLevelAction& a) { editor.set_enum("level", t.level, raised(t.level, a)); },
          [&](const ReassignGroupAction& a) { editor.set_text("group", t.group, a.group); },
      },
      due.action);
  return std::move(editor).finish();
}

Result<Changes> escalate(const Ticket& ticket, const EscalateRequest& request, const Actor& actor,
                         UnixMillis now) {
  if (actor.kind == ActorKind::kRequester) {
    return fail(make_error(TicketError::kNotAllowed, "requesters cannot escalate tickets"));
  }
  if (auto ok = detail::require_open(ticket); !ok) return fail(ok.error());
  if (!detail::has_content(request.reason)) {
    return fail(make_error(TicketError::kReasonRequired,
                           "escalating needs a reason (what was tried, why it needs " +
                               std::string(to_string(request.to)) + ")"));
  }
  if (auto ok = detail::check_multiline("reason", request.reason, detail::kMaxShortText, true);
      !ok) {
    return fail(ok.error());
  }
  if (request.group) {
    if (auto ok = detail::check_line("group", *request.group, detail::kMaxName, true); !ok) {
      return fail(ok.error());
    }
  }
  if (to_int(request.to) <= to_int(ticket.level)) {
    return fail(make_error(TicketError::kNoChange,
                           "escalating must raise the level: " + ticket.display_id() +
                               " is already at " + to_string(ticket.level)));
  }
  detail::TicketEditor editor(ticket, actor, now, request.reason);
  Ticket& t = editor.ticket();
  editor.set_enum("level", t.level, request.to);
  if (request.group) editor.set_text("group", t.group, *request.group);
  return std::move(editor).finish();
}

}  // namespace helpline::relay::tickets
