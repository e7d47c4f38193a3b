#include "server/api/ticket_json.h"

#include "server/api/json_codec.h"
#include "server/api/routes.h"

namespace helpline::relay::api {
namespace {

namespace t = tickets;

[[nodiscard]] std::string target_text(std::chrono::milliseconds target) {
  return target.count() == 0 ? std::string() : t::format_hours_minutes(target);
}

void fill_sla(const t::Ticket& ticket, const t::SlaState& state, v1::api::TicketSla& out) {
  out.set_first_response_due(format_rfc3339(ticket.sla.first_response_due));
  out.set_resolve_due(format_rfc3339(ticket.sla.resolve_due));
  out.set_first_response_breached(state.first_response_breached);
  out.set_resolve_breached(state.resolve_breached);
  out.set_paused(state.paused);
  out.set_first_response_target(target_text(ticket.sla.targets.first_response));
  out.set_resolve_target(target_text(ticket.sla.targets.resolve));
}

void fill_own_fields(const t::Ticket& ticket, v1::api::Ticket& out) {
  out.set_id(ticket.id);
  out.set_display_id(ticket.display_id());
  out.set_title(ticket.title);
  out.set_description(ticket.description);
  out.set_impact(static_cast<std::uint32_t>(t::to_int(ticket.impact)));
  out.set_urgency(static_cast<std::uint32_t>(t::to_int(ticket.urgency)));
  out.set_priority(static_cast<std::uint32_t>(t::to_int(ticket.priority)));
  out.set_priority_name(t::label(ticket.priority));
  out.set_priority_overridden(ticket.priority_overridden);
  out.set_status(t::to_string(ticket.status));
  out.set_pending_reason(ticket.pending_reason ? t::to_string(*ticket.pending_reason) : "");
  out.set_channel(t::to_string(ticket.channel));
  out.set_category(ticket.category.name());
  out.set_type(t::to_string(ticket.type));
  out.set_level(t::to_string(ticket.level));
  out.set_assignee(ticket.assignee);
  out.set_group(ticket.group);
  out.set_requester(ticket.requester.name);
  out.set_device_id(ticket.requester.device_id);
  auto* facts = out.mutable_facts();
  facts->set_started(ticket.facts.started);
  facts->set_started_at(format_rfc3339(ticket.facts.started_at));
  facts->set_frequency(ticket.facts.frequency);
  facts->set_affected(ticket.facts.affected);
  facts->set_symptoms(ticket.facts.symptoms);
  facts->set_business_impact(ticket.facts.business_impact);
  for (const auto& id : ticket.finding_ids) out.add_finding_ids(id);
  out.set_solution(ticket.solution);
  out.set_created_at(format_rfc3339(ticket.created_at));
  out.set_updated_at(format_rfc3339(ticket.updated_at));
  out.set_first_response_at(format_rfc3339(ticket.first_response_at));
  out.set_resolved_at(format_rfc3339(ticket.resolved_at));
  out.set_closed_at(format_rfc3339(ticket.closed_at));
  auto* satisfaction = out.mutable_satisfaction();
  satisfaction->set_rating(static_cast<std::uint32_t>(ticket.satisfaction.rating));
  satisfaction->set_comment(ticket.satisfaction.comment);
  satisfaction->set_rated_at(format_rfc3339(ticket.satisfaction.rated_at));
  out.set_reopen_count(static_cast<std::uint32_t>(ticket.reopen_count));
}

}  // namespace

void fill_ticket(const t::Ticket& ticket, UnixMillis now, v1::api::Ticket& out) {
  fill_own_fields(ticket, out);
  fill_sla(ticket, t::sla_state(ticket.sla, ticket.first_response_at, now), *out.mutable_sla());
}

void fill_ticket_view(const helpdesk::TicketView& view, v1::api::Ticket& out) {
  fill_own_fields(view.ticket, out);
  fill_sla(view.ticket, view.sla, *out.mutable_sla());
  // created_by is the creator of the first history entry.
  for (const auto& entry : view.history) {
    if (entry.field == "created") out.set_created_by(entry.actor.name);
  }
  for (const TicketAttachment& a : view.attachments) {
    auto* item = out.add_attachments();
    item->set_kind(a.kind);
    item->set_ref(a.ref);
    item->set_added_at(format_rfc3339(a.added_at));
    item->set_added_by(a.added_by);
    item->set_name(a.name);
    item->set_size(a.size);
    item->set_content_type(a.content_type);
  }
  for (const KbSuggestion& k : view.articles) {
    auto* item = out.add_kb_articles();
    item->set_id(k.article.id);
    item->set_title(k.article.title);
    item->set_category(k.article.category);
    item->set_audience(kb::to_string(k.article.audience));
    item->set_reason(k.reason);
    item->set_linked_at(format_rfc3339(k.linked_at));
    item->set_linked_by(k.linked_by);
  }
  for (const TicketMessage& m : view.messages) {
    auto* item = out.add_messages();
    item->set_author(m.author);
    item->set_author_kind(t::to_string(m.author_kind));
    item->set_internal(m.internal);
    item->set_body(m.body);
    item->set_at(format_rfc3339(m.at));
  }
  for (const auto& h : view.history) {
    auto* item = out.add_history();
    item->set_field(h.field);
    item->set_old_value(h.old_value);
    item->set_new_value(h.new_value);
    item->set_actor(t::to_string(h.actor));
    item->set_at(format_rfc3339(h.at));
    item->set_reason(h.reason);
  }
}

std::string webhook_payload(const helpdesk::TicketEvent& event, std::string_view event_id) {
  v1::api::WebhookEvent out;
  out.set_event_id(std::string(event_id));
  out.set_event(event.kind == "ping" ? std::string("ping") : "ticket." + event.kind);
  out.set_at(format_rfc3339(event.at));
  out.set_detail(event.detail);
  out.set_previous(event.previous);
  out.set_actor(event.actor);
  out.set_reason(event.reason);
  if (event.ticket.id != 0) fill_ticket(event.ticket, event.at, *out.mutable_ticket());
  return to_json(out);
}

}  // namespace helpline::relay::api
