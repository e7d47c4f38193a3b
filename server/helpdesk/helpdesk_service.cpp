// The technician side of the helpdesk and the load-apply-save cycle every
// operation shares. The device side is in device_desk.cpp, the sweep in
// sweep.cpp.
#include "server/helpdesk/helpdesk_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "server/helpdesk/text_checks.h"

namespace helpline::relay::helpdesk {

namespace t = tickets;

Result<t::Actor> actor_for(const User& user) {
  switch (user.role) {
    case Role::kTechnician1:
      return t::Actor::technician(user.name, t::SupportLevel::kL1);
    case Role::kTechnician2:
      return t::Actor::technician(user.name, t::SupportLevel::kL2);
    case Role::kTechnician3:
    case Role::kAdmin:
      return t::Actor::technician(user.name, t::SupportLevel::kL3);
    case Role::kViewer:
      break;
  }
  return fail("forbidden", "role 'viewer' may read tickets but not change them");
}

HelpdeskService::HelpdeskService(Store& store, t::HelpdeskRules rules, Clock clock)
    : store_(store),
      tickets_(store.ticket_store()),
      rules_(std::move(rules)),
      clock_(std::move(clock)) {}

HelpdeskService::~HelpdeskService() { stop_sweep(); }

Result<t::Ticket> HelpdeskService::load(std::int64_t id) {
  auto found = tickets_.load(id);
  if (!found) return fail(found.error());
  if (!*found) return fail("not_found", "no ticket " + std::to_string(id));
  return std::move(**found);
}

UnixMillis HelpdeskService::next_check(const t::Ticket& ticket, const t::FiredSet& fired) const {
  if (t::is_finished(ticket.status)) return 0;
  UnixMillis next = t::next_escalation_at(ticket, rules_.escalations, fired, rules_.sla.calendar());
  auto consider = [&next](UnixMillis at) {
    if (at != 0 && (next == 0 || at < next)) next = at;
  };
  // A deadline is breached from the millisecond after it.
  if (!fired.contains(kFirstResponseBreach) && ticket.first_response_at == 0 &&
      ticket.sla.first_response_due != 0) {
    consider(ticket.sla.first_response_due + 1);
  }
  if (!fired.contains(kResolveBreach) && ticket.sla.resolve_due != 0 && !ticket.sla.paused()) {
    consider(ticket.sla.resolve_due + 1);
  }
  return next;
}

Result<t::Ticket> HelpdeskService::persist(t::Changes changes, TicketWrite write,
                                           const t::FiredSet& fired) {
  write.ticket = std::move(changes.ticket);
  write.history = std::move(changes.history);
  write.next_check_at = next_check(write.ticket, fired);
  std::vector<t::HistoryEntry> history = write.history;
  auto saved = tickets_.save(std::move(write));
  if (!saved) return fail(saved.error());
  emit_changes(*saved, history);
  return saved;
}

Result<t::Ticket> HelpdeskService::apply(std::int64_t id, const Operation& op, TicketWrite extras) {
  auto ticket = load(id);
  if (!ticket) return fail(ticket.error());
  auto changes = op(*ticket);
  if (!changes) return fail(changes.error());
  auto fired = tickets_.fired(id);
  if (!fired) return fail(fired.error());
  return persist(std::move(*changes), std::move(extras), *fired);
}

void HelpdeskService::emit(const std::string& kind, const t::Ticket& ticket, std::string detail) {
  if (!events_) return;
  events_(TicketEvent{kind, ticket, std::move(detail), ticket.updated_at});
}

void HelpdeskService::emit_changes(const t::Ticket& ticket,
                                   const std::vector<t::HistoryEntry>& history) {
  for (const t::HistoryEntry& entry : history) {
    if (entry.field == "created") emit("created", ticket, entry.new_value);
    if (entry.field == "status") emit("status_changed", ticket, entry.new_value);
    if (entry.field == "escalation") emit("escalated", ticket, entry.new_value);
    if (entry.field == "sla_breach") emit("sla_breach", ticket, entry.new_value);
  }
}

Result<t::Ticket> HelpdeskService::open(const t::NewTicket& request, const t::Actor& creator,
                                        TicketWrite extras) {
  const UnixMillis now = clock_();
  auto opened = t::open_ticket(request, rules_, creator, now);
  if (!opened) return fail(opened.error());
  extras.created_by = creator.name;
  extras.messages_for_new = [now](const t::Ticket& stored) {
    return std::vector<TicketMessage>{TicketMessage{0, stored.id, false, "helpline",
                                                    t::ActorKind::kSystem,
                                                    t::make_acknowledgement(stored).text, now}};
  };
  auto saved = persist(std::move(*opened), std::move(extras), {});
  if (!saved) return fail(saved.error());
  spdlog::info("ticket {} opened by {} (priority {}, channel {})", saved->display_id(),
               t::to_string(creator), t::to_string(saved->priority), t::to_string(saved->channel));
  return saved;
}

Result<t::Ticket> HelpdeskService::create(const t::NewTicket& request, const t::Actor& creator,
                                          const std::optional<IdempotencyKey>& key) {
  if (key) {
    auto earlier = tickets_.find_idempotent(*key);
    if (!earlier) return fail(earlier.error());
    if (*earlier) return load(**earlier);
  }
  TicketWrite extras;
  extras.idempotency = key;
  return open(request, creator, std::move(extras));
}

Result<TicketView> HelpdeskService::show(std::int64_t id) {
  auto ticket = load(id);
  if (!ticket) return fail(ticket.error());
  TicketView view;
  view.sla = t::sla_state(ticket->sla, ticket->first_response_at, clock_());
  auto messages = tickets_.messages(id, true);
  if (!messages) return fail(messages.error());
  auto history = tickets_.history(id);
  if (!history) return fail(history.error());
  auto attachments = store_.list_attachments(id);
  if (!attachments) return fail(attachments.error());
  view.ticket = std::move(*ticket);
  view.messages = std::move(*messages);
  view.history = std::move(*history);
  view.attachments = std::move(*attachments);
  return view;
}

Result<TicketPage> HelpdeskService::list(TicketQuery query) {
  query.now = clock_();
  return tickets_.query(query);
}

Result<t::Ticket> HelpdeskService::assign(std::int64_t id, const std::string& assignee,
                                          const t::Actor& actor) {
  const UnixMillis now = clock_();
  return apply(id,
               [&](const t::Ticket& ticket) { return t::assign(ticket, assignee, actor, now); });
}

Result<t::Ticket> HelpdeskService::change_status(std::int64_t id, const t::StatusChange& change,
                                                 const t::Actor& actor) {
  const UnixMillis now = clock_();
  return apply(id, [&](const t::Ticket& ticket) {
    return t::change_status(ticket, change, actor, rules_, now);
  });
}

Result<t::Ticket> HelpdeskService::escalate(std::int64_t id, const t::EscalateRequest& request,
                                            const t::Actor& actor) {
  const UnixMillis now = clock_();
  auto saved =
      apply(id, [&](const t::Ticket& ticket) { return t::escalate(ticket, request, actor, now); });
  if (saved) {
    emit("escalated", *saved, std::string("manual: ") + t::to_string(saved->level));
  }
  return saved;
}

Result<t::Ticket> HelpdeskService::reply(std::int64_t id, const std::string& body, bool internal,
                                         const t::Actor& actor) {
  if (auto ok = check_body(body, kMaxBody); !ok) return fail(ok.error());
  const UnixMillis now = clock_();
  TicketWrite extras;
  extras.messages.push_back(TicketMessage{0, id, internal, actor.name, actor.kind, body, now});
  auto visibility = internal ? t::ReplyVisibility::kInternal : t::ReplyVisibility::kPublic;
  return apply(
      id,
      [&](const t::Ticket& ticket) {
        return t::record_reply(ticket, actor, visibility, rules_, now);
      },
      std::move(extras));
}

Result<t::TicketStats> HelpdeskService::stats(UnixMillis from, UnixMillis to, std::size_t top_n) {
  if (to != 0 && to <= from) return fail("bad_value", "to: must be after from");
  // Loaded in memory for compute_stats(); a bound keeps one request from
  // exhausting the relay.
  auto loaded = tickets_.created_between(from, to, kMaxStatsTickets + 1);
  if (!loaded) return fail(loaded.error());
  if (loaded->size() > kMaxStatsTickets) {
    return fail("bad_value", "from: the period holds more than " +
                                 std::to_string(kMaxStatsTickets) +
                                 " tickets; choose a shorter one");
  }
  return t::compute_stats(*loaded, t::StatsOptions{{from, to}, clock_(), top_n});
}

}  // namespace helpline::relay::helpdesk
