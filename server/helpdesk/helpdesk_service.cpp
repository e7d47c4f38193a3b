// The technician side of the helpdesk and the load-apply-save cycle every
// operation shares. The device side is in device_desk.cpp, the sweep in
// sweep.cpp.
#include "server/helpdesk/helpdesk_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "server/helpdesk/text_checks.h"
#include "server/kb/kb.h"

namespace helpline::relay::helpdesk {

namespace t = tickets;

namespace {

constexpr std::size_t kMaxAttachmentName = 255;

[[nodiscard]] TicketEvent event_from(const char* kind, const t::HistoryEntry& entry) {
  TicketEvent event;
  event.kind = kind;
  event.detail = entry.new_value;
  event.previous = entry.old_value;
  event.actor = t::to_string(entry.actor);
  event.reason = entry.reason;
  event.at = entry.at;
  return event;
}

// The events a change's history shows. A level raised by a rule is one
// "escalation" entry and a "level" entry of the system: one event.
[[nodiscard]] std::vector<TicketEvent> events_of(const std::vector<t::HistoryEntry>& history) {
  std::vector<TicketEvent> out;
  for (const t::HistoryEntry& entry : history) {
    if (entry.field == "created") out.push_back(event_from("created", entry));
    if (entry.field == "status") out.push_back(event_from("status_changed", entry));
    if (entry.field == "sla_breach") out.push_back(event_from("sla_breach", entry));
    if (entry.field == "escalation") out.push_back(event_from("escalated", entry));
    if (entry.field == "level" && entry.actor.kind != t::ActorKind::kSystem) {
      out.push_back(event_from("escalated", entry));
    }
  }
  return out;
}

[[nodiscard]] t::HistoryEntry entry(std::string field, std::string old_value, std::string new_value,
                                    const t::Actor& actor, UnixMillis at, std::string reason) {
  t::HistoryEntry h;
  h.field = std::move(field);
  h.old_value = std::move(old_value);
  h.new_value = std::move(new_value);
  h.actor = actor;
  h.at = at;
  h.reason = std::move(reason);
  return h;
}

// A closed ticket never changes (docs/helpdesk.md).
[[nodiscard]] Result<void> not_closed(const t::Ticket& ticket) {
  if (ticket.status == t::Status::kClosed) {
    return fail("ticket_finished", ticket.display_id() +
                                       " is closed; a closed ticket cannot "
                                       "change; open a new ticket");
  }
  return {};
}

}  // namespace

Result<void> check_attachment(const AttachmentDraft& attachment) {
  if (!is_attachment_kind(attachment.kind)) {
    return fail("bad_value", "kind: '" + attachment.kind.substr(0, 40) +
                                 "' is not one of bundle, action_result, recording, file");
  }
  if (attachment.name.size() > kMaxAttachmentName ||
      std::any_of(attachment.name.begin(), attachment.name.end(), [](char c) {
        return static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '/' || c == '\\';
      })) {
    return fail("bad_value",
                "name: a file name of at most 255 bytes, without control "
                "characters or slashes");
  }
  return {};
}

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
  if (ticket.status == t::Status::kResolved) return t::auto_close_at(ticket, rules_);
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
                                           const t::FiredSet& fired, ExtraEvents extra_events) {
  write.ticket = std::move(changes.ticket);
  write.history = std::move(changes.history);
  write.next_check_at = next_check(write.ticket, fired);
  std::vector<TicketEvent> events = events_of(write.history);
  for (TicketEvent& extra : extra_events) events.push_back(std::move(extra));
  if (outbox_ != nullptr && !events.empty()) {
    auto inner = std::move(write.in_transaction);
    write.in_transaction = [this, &events, inner](const t::Ticket& stored) -> Result<void> {
      if (inner) {
        if (auto done = inner(stored); !done) return done;
      }
      for (TicketEvent& event : events) {
        event.ticket = stored;
        if (auto recorded = outbox_->record(event); !recorded) return recorded;
      }
      return {};
    };
  }
  auto saved = tickets_.save(std::move(write));
  if (!saved) return fail(saved.error());
  if (events_) {
    for (TicketEvent& event : events) {
      event.ticket = *saved;
      events_(event);
    }
  }
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
  auto articles = store_.kb_store().suggestions(
      id, ticket->finding_ids, ticket->category.name(),
      kb::search_expression(ticket->title, true).value_or(""), false, kMaxArticles);
  if (!articles) return fail(articles.error());
  view.articles = std::move(*articles);
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
  return apply(id,
               [&](const t::Ticket& ticket) { return t::escalate(ticket, request, actor, now); });
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

Result<t::Ticket> HelpdeskService::reclassify(std::int64_t id, const t::Reclassification& change,
                                              const t::Actor& actor) {
  const UnixMillis now = clock_();
  return apply(id, [&](const t::Ticket& ticket) {
    return t::reclassify(ticket, change, actor, rules_, now);
  });
}

Result<t::Ticket> HelpdeskService::set_priority(std::int64_t id,
                                                std::optional<t::Priority> priority,
                                                const std::string& reason, const t::Actor& actor) {
  const UnixMillis now = clock_();
  return apply(id, [&](const t::Ticket& ticket) {
    return t::override_priority(ticket, priority, reason, actor, rules_, now);
  });
}

Result<t::Ticket> HelpdeskService::attach(std::int64_t id, AttachmentDraft attachment,
                                          const t::Actor& actor) {
  if (auto ok = check_attachment(attachment); !ok) return fail(ok.error());
  const UnixMillis now = clock_();
  attachment.added_at = now;
  attachment.added_by = actor.name;
  std::string shown =
      attachment.kind + ": " +
      (attachment.name.empty() ? attachment.ref : attachment.name + " (" + attachment.ref + ")");
  TicketWrite extras;
  extras.attachments.push_back(std::move(attachment));
  return apply(
      id,
      [&](const t::Ticket& ticket) -> Result<t::Changes> {
        if (auto open = not_closed(ticket); !open) return fail(open.error());
        t::Changes changes{ticket, {entry("attachment", "", shown, actor, now, "")}};
        changes.ticket.updated_at = now;
        return changes;
      },
      std::move(extras));
}

Result<t::Ticket> HelpdeskService::link_article(std::int64_t id, const std::string& article,
                                                bool link, const std::string& reason,
                                                const t::Actor& actor) {
  if (!kb::is_article_id(article)) {
    return fail("bad_value", "article: not a knowledge-base article id (e.g. KB-0042)");
  }
  if (reason.size() > 4096) return fail("bad_value", "reason: longer than 4096 bytes");
  const UnixMillis now = clock_();
  KbStore& kb = store_.kb_store();
  TicketWrite extras;
  extras.in_transaction = [&kb, id, article, link, now, by = actor.name](const t::Ticket&) {
    return link ? kb.link_ticket(id, article, now, by) : kb.unlink_ticket(id, article);
  };
  return apply(
      id,
      [&](const t::Ticket& ticket) -> Result<t::Changes> {
        if (auto open = not_closed(ticket); !open) return fail(open.error());
        t::Changes changes{
            ticket,
            {entry("kb_article", link ? "" : article, link ? article : "", actor, now, reason)}};
        changes.ticket.updated_at = now;
        return changes;
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
