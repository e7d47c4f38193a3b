#include "server/tickets/classification.h"

#include "server/tickets/checks.h"
#include "server/tickets/ticket_editor.h"
#include "server/tickets/ticket_error.h"

namespace helpline::relay::tickets {
namespace {

Result<void> check_editable(const Ticket& ticket, const Actor& actor, bool technician_only) {
  if (actor.kind == ActorKind::kRequester ||
      (technician_only && actor.kind != ActorKind::kTechnician)) {
    return fail(make_error(TicketError::kNotAllowed,
                           technician_only ? "only a technician can set the priority by hand"
                                           : "requesters cannot reclassify tickets"));
  }
  if (auto ok = detail::require_open(ticket); !ok) return ok;
  return {};
}

// Sets the priority and retargets the SLA clocks if it moved.
void set_priority(detail::TicketEditor& editor, Priority priority, const SlaPolicy& policy) {
  Ticket& t = editor.ticket();
  if (t.priority == priority) return;
  editor.set_enum("priority", t.priority, priority);
  const SlaClock before = t.sla;
  retarget_sla(t.sla, policy.targets(priority), policy.calendar());
  editor.record_sla(before);
}

}  // namespace

Result<Changes> reclassify(const Ticket& ticket, const Reclassification& change, const Actor& actor,
                           const HelpdeskRules& rules, UnixMillis now) {
  if (auto ok = check_editable(ticket, actor, false); !ok) return fail(ok.error());
  std::optional<Category> category;
  if (change.category) {
    auto parsed = rules.categories.parse(*change.category);
    if (!parsed) return fail(parsed.error());
    category = std::move(*parsed);
  }
  detail::TicketEditor editor(ticket, actor, now);
  Ticket& t = editor.ticket();
  if (change.impact) editor.set_enum("impact", t.impact, *change.impact);
  if (change.urgency) editor.set_enum("urgency", t.urgency, *change.urgency);
  if (change.type) editor.set_enum("type", t.type, *change.type);
  if (category) editor.set_category(std::move(*category));
  if (!t.priority_overridden)
    set_priority(editor, rules.matrix.compute(t.impact, t.urgency), rules.sla);
  return std::move(editor).finish();
}

Result<Changes> override_priority(const Ticket& ticket, std::optional<Priority> priority,
                                  const std::string& reason, const Actor& actor,
                                  const HelpdeskRules& rules, UnixMillis now) {
  if (auto ok = check_editable(ticket, actor, true); !ok) return fail(ok.error());
  if (auto ok = detail::check_multiline("reason", reason, detail::kMaxShortText, true); !ok) {
    if (!detail::has_content(reason)) {
      return fail(
          make_error(TicketError::kReasonRequired, "setting the priority by hand needs a reason"));
    }
    return fail(ok.error());
  }
  detail::TicketEditor editor(ticket, actor, now, reason);
  Ticket& t = editor.ticket();
  editor.set_flag("priority_overridden", t.priority_overridden, priority.has_value());
  set_priority(editor, priority.value_or(rules.matrix.compute(t.impact, t.urgency)), rules.sla);
  return std::move(editor).finish();
}

Changes apply_sla_policy(const Ticket& ticket, const SlaPolicy& policy, const Actor& actor,
                         UnixMillis now) {
  detail::TicketEditor editor(ticket, actor, now, "SLA policy " + policy.name());
  if (is_finished(ticket.status)) return std::move(editor).finish();
  Ticket& t = editor.ticket();
  const SlaClock before = t.sla;
  retarget_sla(t.sla, policy.targets(t.priority), policy.calendar());
  editor.record_sla(before);
  return std::move(editor).finish();
}

}  // namespace helpline::relay::tickets
