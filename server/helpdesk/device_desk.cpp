// The end user's side (DeviceDesk): a device opens tickets from reports,
// lists and reads its own, replies and rates. Another device's ticket is
// "not_found", exactly like one that does not exist. The workflow's
// refusals become "bad_state", the one code the agent treats as final for
// a well-formed request the ticket's state does not allow.
#include <spdlog/spdlog.h>

#include <utility>

#include "helpline/v1/api.pb.h"
#include "server/api/json_codec.h"
#include "server/helpdesk/helpdesk_service.h"
#include "server/helpdesk/text_checks.h"
#include "server/kb/kb.h"

namespace helpline::relay::helpdesk {

namespace t = tickets;

namespace {

constexpr std::size_t kMaxDeviceTickets = 200;
constexpr std::size_t kDeviceArticles = 5;  // shown with one of the device's tickets
constexpr int kMaxKbIds = 32;
constexpr std::size_t kMaxKbQuery = 200;
constexpr std::uint32_t kMaxKbLimit = 50;

void fill_article(const kb::Article& article, v1::KbArticle& out) {
  out.set_id(article.id);
  out.set_title(article.title);
  out.set_body(article.body);
  out.set_category(article.category);
  for (const auto& action : article.actions) out.add_actions(action);
  for (const auto& rule : article.finding_rules) out.add_finding_rules(rule);
  out.set_updated_at_ms(article.updated_at);
}

[[nodiscard]] IdempotencyKey device_key(const Device& device, std::string_view key) {
  return IdempotencyKey{"device:" + device.id, std::string(key)};
}

// Only the codes DeviceDesk documents leave this file.
[[nodiscard]] Error for_device(const Error& error) {
  if (error.code == "bad_value" || error.code == "not_found" || error.code == "store_error") {
    return error;
  }
  if (error.code == "reason_required") return Error{"bad_value", error.message};
  return Error{"bad_state", error.message};
}

[[nodiscard]] std::vector<std::string> finding_rules(const BundleRecord& bundle) {
  v1::api::Bundle parsed;
  std::vector<std::string> out;
  if (!api::parse_json("{\"findings\":" + bundle.findings_json + "}", parsed)) return out;
  for (const auto& finding : parsed.findings()) {
    if (!finding.rule().empty() && out.size() < t::kMaxFindingIds) out.push_back(finding.rule());
  }
  return out;
}

[[nodiscard]] std::string requester_name(const Device& device, const std::string& given) {
  if (!given.empty()) return given;
  return device.hostname.empty() ? device.id : device.hostname;
}

}  // namespace

v1::DeviceTicket to_device_ticket(const t::Ticket& ticket) {
  v1::DeviceTicket out;
  out.set_id(ticket.display_id());
  out.set_title(ticket.title);
  out.set_status(t::to_string(ticket.status));
  out.set_priority(static_cast<std::uint32_t>(t::to_int(ticket.priority)));
  out.set_priority_name(t::label(ticket.priority));
  out.set_created_at_ms(ticket.created_at);
  out.set_updated_at_ms(ticket.updated_at);
  out.set_response_due_ms(ticket.sla.first_response_due);
  out.set_resolve_due_ms(ticket.sla.resolve_due);
  out.set_acknowledgement(t::make_acknowledgement(ticket).text);
  out.set_rating(static_cast<std::uint32_t>(ticket.satisfaction.rating));
  out.set_can_rate(ticket.status == t::Status::kResolved && ticket.satisfaction.rating == 0);
  out.set_assignee(ticket.assignee);
  return out;
}

Result<std::optional<t::Ticket>> HelpdeskService::replayed(const Device& device,
                                                           std::string_view key) {
  if (key.empty()) return std::optional<t::Ticket>{};
  auto earlier = tickets_.find_idempotent(device_key(device, key));
  if (!earlier) return fail(earlier.error());
  if (!*earlier) return std::optional<t::Ticket>{};
  auto ticket = load(**earlier);
  if (!ticket) return fail(ticket.error());
  return std::optional<t::Ticket>{std::move(*ticket)};
}

Result<t::Ticket> HelpdeskService::own_ticket(const Device& device, std::string_view text) {
  auto id = t::parse_display_id(text);
  if (!id) return fail("bad_value", "ticket_id: " + id.error().message);
  auto found = tickets_.load(*id);
  if (!found) return fail(found.error());
  if (!*found || (*found)->requester.device_id != device.id) {
    return fail("not_found", "no ticket " + t::format_display_id(*id) + " for this device");
  }
  return std::move(**found);
}

Result<v1::DeviceTicket> HelpdeskService::open_report(const Device& device,
                                                      const v1::TicketReport& report,
                                                      std::string_view bundle_id,
                                                      std::string_view idempotency_key) {
  auto earlier = replayed(device, idempotency_key);
  if (!earlier) return fail(earlier.error());
  if (*earlier) return to_device_ticket(**earlier);

  auto impact = t::impact_from_int(report.impact());
  if (!impact) return fail("bad_value", "impact: must be 1..5");
  auto urgency = t::urgency_from_int(report.urgency());
  if (!urgency) return fail("bad_value", "urgency: must be 1..5");
  t::NewTicket request;
  request.title = report.title();
  request.description = report.description();
  request.requester = t::Requester{requester_name(device, report.requester()), device.id};
  request.channel = t::Channel::kAgent;
  if (!report.category().empty()) {
    auto category = rules_.categories.parse(report.category());
    if (!category) return fail(category.error());
    request.category = category->name();
  }
  request.impact = *impact;
  request.urgency = *urgency;
  request.facts.started = report.since();
  if (auto at = parse_rfc3339(report.since())) request.facts.started_at = *at;
  request.facts.frequency = report.frequency();
  request.facts.affected = report.affects();
  request.facts.symptoms = report.symptoms();
  request.facts.business_impact = report.business_impact();

  TicketWrite extras;
  if (!bundle_id.empty()) {
    auto bundle = store_.find_bundle(bundle_id);
    if (!bundle) return fail(bundle.error());
    if (!*bundle || (*bundle)->device_id != device.id) {
      return fail("not_found", "no bundle " + std::string(bundle_id) + " from this device");
    }
    request.finding_ids = finding_rules(**bundle);
    extras.attachments.push_back(
        AttachmentDraft{"bundle", std::string(bundle_id), clock_(), request.requester.name});
  }
  if (!idempotency_key.empty()) extras.idempotency = device_key(device, idempotency_key);
  auto saved = open(request, t::Actor::requester(request.requester.name), std::move(extras));
  if (!saved) return fail(for_device(saved.error()));
  spdlog::info("ticket {} reported from device {} (priority {})", saved->display_id(), device.id,
               t::to_string(saved->priority));
  return to_device_ticket(*saved);
}

Result<v1::DeviceTicketList> HelpdeskService::device_tickets(
    const Device& device, const v1::DeviceTicketsRequest& request) {
  auto list = tickets_.device_tickets(device.id, request.include_closed(), kMaxDeviceTickets);
  if (!list) return fail(list.error());
  v1::DeviceTicketList out;
  for (const t::Ticket& ticket : *list) {
    // A person at a shared machine sees the tickets they opened.
    if (!request.requester().empty() && ticket.requester.name != request.requester()) continue;
    *out.add_tickets() = to_device_ticket(ticket);
  }
  return out;
}

Result<v1::DeviceTicketDetail> HelpdeskService::device_ticket(const Device& device,
                                                              std::string_view ticket_id) {
  auto ticket = own_ticket(device, ticket_id);
  if (!ticket) return fail(ticket.error());
  auto messages = tickets_.messages(ticket->id, false);
  if (!messages) return fail(messages.error());
  v1::DeviceTicketDetail out;
  *out.mutable_ticket() = to_device_ticket(*ticket);
  out.set_description(ticket->description);
  out.set_solution(ticket->solution);
  for (const TicketMessage& m : *messages) {
    auto* item = out.add_messages();
    item->set_author(m.author);
    item->set_body(m.body);
    item->set_at_ms(m.at);
    item->set_from_requester(m.author_kind == t::ActorKind::kRequester);
  }
  auto articles = store_.kb_store().suggestions(
      ticket->id, ticket->finding_ids, ticket->category.name(),
      kb::search_expression(ticket->title, true).value_or(""), true, kDeviceArticles);
  if (!articles) return fail(articles.error());
  for (const KbSuggestion& s : *articles) fill_article(s.article, *out.add_articles());
  return out;
}

Result<v1::DeviceTicket> HelpdeskService::device_reply(const Device& device,
                                                       const v1::TicketReply& reply,
                                                       std::string_view idempotency_key) {
  auto earlier = replayed(device, idempotency_key);
  if (!earlier) return fail(earlier.error());
  if (*earlier) return to_device_ticket(**earlier);
  auto ticket = own_ticket(device, reply.ticket_id());
  if (!ticket) return fail(ticket.error());
  if (auto ok = check_body(reply.body(), kMaxBody); !ok) return fail(ok.error());
  const t::Actor requester = t::Actor::requester(requester_name(device, reply.author()));
  const UnixMillis now = clock_();
  TicketWrite extras;
  extras.messages.push_back(
      TicketMessage{0, ticket->id, false, requester.name, requester.kind, reply.body(), now});
  if (!idempotency_key.empty()) extras.idempotency = device_key(device, idempotency_key);
  auto saved = apply(
      ticket->id,
      [&](const t::Ticket& current) {
        return t::record_reply(current, requester, t::ReplyVisibility::kPublic, rules_, now);
      },
      std::move(extras));
  if (!saved) return fail(for_device(saved.error()));
  return to_device_ticket(*saved);
}

Result<v1::DeviceTicket> HelpdeskService::device_rate(const Device& device,
                                                      const v1::TicketRating& rating,
                                                      std::string_view idempotency_key) {
  auto earlier = replayed(device, idempotency_key);
  if (!earlier) return fail(earlier.error());
  if (*earlier) return to_device_ticket(**earlier);
  auto ticket = own_ticket(device, rating.ticket_id());
  if (!ticket) return fail(ticket.error());
  if (rating.rating() < 1 || rating.rating() > 5) return fail("bad_value", "rating: must be 1..5");
  const t::Actor requester = t::Actor::requester(requester_name(device, rating.author()));
  const UnixMillis now = clock_();
  TicketWrite extras;
  if (!idempotency_key.empty()) extras.idempotency = device_key(device, idempotency_key);
  auto saved = apply(
      ticket->id,
      [&](const t::Ticket& current) {
        return t::rate(current, static_cast<int>(rating.rating()), rating.comment(), requester,
                       now);
      },
      std::move(extras));
  if (!saved) return fail(for_device(saved.error()));
  return to_device_ticket(*saved);
}

}  // namespace helpline::relay::helpdesk

namespace helpline::relay::helpdesk {

Result<v1::KbArticleList> HelpdeskService::device_articles(const Device& device,
                                                           const v1::DeviceKbRequest& request) {
  if (request.ids_size() > kMaxKbIds) {
    return fail("bad_value", "ids: at most " + std::to_string(kMaxKbIds) + " articles at once");
  }
  if (request.query().size() > kMaxKbQuery) {
    return fail("bad_value", "query: at most " + std::to_string(kMaxKbQuery) + " bytes");
  }
  if (request.limit() > kMaxKbLimit) {
    return fail("bad_value", "limit: at most " + std::to_string(kMaxKbLimit));
  }
  const std::size_t limit = request.limit() == 0 ? 10 : request.limit();
  std::vector<kb::Article> found;
  if (request.ids_size() > 0) {
    std::vector<std::string> ids;
    for (const auto& id : request.ids()) {
      if (!kb::is_article_id(id))
        return fail("bad_value", "ids: '" + id.substr(0, 40) + "' is not an article id");
      ids.push_back(id);
    }
    auto articles = store_.kb_store().find_articles(ids, true);
    if (!articles) return fail(articles.error());
    found = std::move(*articles);
  } else {
    auto match = kb::search_expression(request.query());
    if (!match) return fail("bad_value", "query: give article ids or words to search for");
    KbQuery query;
    query.match = *match;
    query.public_only = true;
    query.limit = limit;
    auto page = store_.kb_store().search(query);
    if (!page) return fail(page.error());
    for (KbHit& hit : page->hits) found.push_back(std::move(hit.article));
  }
  v1::KbArticleList out;
  for (const kb::Article& article : found) {
    if (static_cast<std::size_t>(out.articles_size()) >= limit) break;
    fill_article(article, *out.add_articles());
  }
  spdlog::debug("device {} read {} knowledge-base articles", device.id, out.articles_size());
  return out;
}

}  // namespace helpline::relay::helpdesk
