// Helpdesk tickets for technicians: list (the queue), show, create and the
// workflow actions, each through server/helpdesk (which applies
// server/tickets' rules). Viewers read; l1..l3 and admin work tickets.
// Refusals are 4xx JSON errors naming the field; nothing changes then.
#include <spdlog/spdlog.h>

#include <set>

#include "common/core/time_format.h"
#include "helpline/v1/api.pb.h"
#include "server/api/routes.h"
#include "server/api/ticket_json.h"
#include "server/api/ticket_query.h"

namespace helpline::relay::api {

namespace asio = boost::asio;
namespace t = tickets;
using boost::beast::http::verb;

namespace {

constexpr std::size_t kMaxIdempotencyKey = 200;

// The field a server/tickets "bad_value" message starts with ("impact: ...").
[[nodiscard]] std::string field_of(const std::string& message) {
  auto colon = message.find(':');
  if (colon == std::string::npos || colon == 0 || colon > 64) return {};
  std::string field = message.substr(0, colon);
  for (char c : field) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '.' || c == '-' ||
          c == '[' || c == ']' || (c >= '0' && c <= '9'))) {
      return {};
    }
  }
  return field == "requester.device_id" ? "device_id" : field;
}

}  // namespace

Result<std::int64_t> ticket_id_param(const ApiRequest& request) {
  auto it = request.params.find("id");
  auto id = t::parse_display_id(it == request.params.end() ? "" : it->second);
  if (!id) return fail("bad_value", "id: a ticket id is HL-<number> or a positive number");
  return *id;
}

ApiResponse ticket_response(const ApiContext& ctx, const t::Ticket& ticket, unsigned status) {
  v1::api::Ticket out;
  fill_ticket(ticket, ctx.helpdesk.now(), out);
  return json_response(out, status);
}

ApiResponse ticket_error(const Error& error) {
  const std::string& code = error.code;
  if (code == "bad_value" || code == "bad_request") {
    return error_response(400, code, error.message, field_of(error.message));
  }
  if (code == "reason_required") return error_response(400, code, error.message, "reason");
  if (code == "assignee_required") return error_response(400, code, error.message, "assignee");
  if (code == "insufficient_level" || code == "forbidden") {
    return error_response(403, code, error.message);
  }
  if (code == "illegal_transition" || code == "not_allowed" || code == "ticket_finished" ||
      code == "no_change" || code == "reopen_window_passed" || code == "conflict") {
    return error_response(409, code, error.message);
  }
  if (code == "not_found") return error_response(404, code, error.message, field_of(error.message));
  return error_response(error);
}

namespace {

[[nodiscard]] Result<std::int64_t> ticket_id(const ApiRequest& request) {
  return ticket_id_param(request);
}

[[nodiscard]] Result<t::NewTicket> new_ticket(const v1::api::CreateTicketRequest& body,
                                              const User& user) {
  t::NewTicket n;
  auto impact = t::impact_from_int(body.impact());
  if (!impact) return fail("bad_value", "impact: impact must be 1 (very low) to 5 (very high)");
  auto urgency = t::urgency_from_int(body.urgency());
  if (!urgency) {
    return fail("bad_value", "urgency: urgency must be 1 (very low) to 5 (very high)");
  }
  n.impact = *impact;
  n.urgency = *urgency;
  n.title = body.title();
  n.description = body.description();
  n.requester =
      t::Requester{body.requester().empty() ? user.name : body.requester(), body.device_id()};
  n.channel = t::Channel::kApi;
  if (!body.channel().empty()) {
    auto channel = t::parse_channel(body.channel());
    if (!channel) return fail(channel.error());
    n.channel = *channel;
  }
  if (!body.category().empty()) n.category = body.category();
  if (!body.type().empty()) {
    auto type = t::parse_type(body.type());
    if (!type) return fail(type.error());
    n.type = *type;
  }
  n.group = body.group();
  const auto& facts = body.facts();
  n.facts.started = facts.started();
  if (!facts.started_at().empty()) {
    auto at = parse_rfc3339(facts.started_at());
    if (!at) return fail("bad_value", "facts.started_at: expected an RFC 3339 time");
    n.facts.started_at = *at;
  }
  n.facts.frequency = facts.frequency();
  n.facts.affected = facts.affected();
  n.facts.symptoms = facts.symptoms();
  n.facts.business_impact = facts.business_impact();
  return n;
}

asio::awaitable<ApiResponse> create(ApiContext& ctx, ApiRequest& request) {
  v1::api::CreateTicketRequest body;
  if (auto bad = parse_body(request, body)) co_return *bad;
  auto actor = helpdesk::actor_for(*request.user);
  if (!actor) co_return ticket_error(actor.error());
  auto n = new_ticket(body, *request.user);
  if (!n) co_return ticket_error(n.error());
  std::optional<IdempotencyKey> key;
  if (!request.idempotency_key.empty()) {
    if (request.idempotency_key.size() > kMaxIdempotencyKey) {
      co_return error_response(400, "bad_value", "Idempotency-Key: longer than 200 characters",
                               "Idempotency-Key");
    }
    key = IdempotencyKey{"api:" + request.user->name, request.idempotency_key};
  }
  auto created = ctx.helpdesk.create(*n, *actor, key);
  if (!created) co_return ticket_error(created.error());
  v1::api::Ticket out;
  fill_ticket(*created, ctx.helpdesk.now(), out);
  out.set_created_by(request.user->name);
  co_return json_response(out, 201);
}

asio::awaitable<ApiResponse> show(ApiContext& ctx, ApiRequest& request) {
  auto id = ticket_id(request);
  if (!id) co_return ticket_error(id.error());
  auto view = ctx.helpdesk.show(*id);
  if (!view) co_return ticket_error(view.error());
  v1::api::Ticket out;
  fill_ticket_view(*view, out);
  co_return json_response(out);
}

asio::awaitable<ApiResponse> list(ApiContext& ctx, ApiRequest& request) {
  auto query = parse_ticket_query(request.query);
  if (!query) co_return ticket_error(query.error());
  auto page = ctx.helpdesk.list(*query);
  if (!page) co_return ticket_error(page.error());
  v1::api::TicketList out;
  const UnixMillis now = ctx.helpdesk.now();
  for (const t::Ticket& ticket : page->tickets) fill_ticket(ticket, now, *out.add_tickets());
  if (page->next) out.set_next_cursor(encode_cursor(*page->next));
  co_return json_response(out);
}

// resolve (the reason is the solution), close and reopen.
asio::awaitable<ApiResponse> reason_action(ApiContext& ctx, ApiRequest& request, t::Status to) {
  co_return act_on_ticket<v1::api::TicketReasonRequest>(
      ctx, request,
      [&](std::int64_t id, const v1::api::TicketReasonRequest& body, const t::Actor& a) {
        return ctx.helpdesk.change_status(id, t::StatusChange{to, body.reason()}, a);
      });
}

asio::awaitable<ApiResponse> assign(ApiContext& ctx, ApiRequest& request) {
  co_return act_on_ticket<v1::api::AssignTicketRequest>(
      ctx, request,
      [&](std::int64_t id, const v1::api::AssignTicketRequest& body, const t::Actor& a) {
        return ctx.helpdesk.assign(id, body.assignee(), a);
      });
}

asio::awaitable<ApiResponse> status(ApiContext& ctx, ApiRequest& request) {
  co_return act_on_ticket<v1::api::TicketStatusRequest>(
      ctx, request,
      [&](std::int64_t id, const v1::api::TicketStatusRequest& body,
          const t::Actor& a) -> Result<t::Ticket> {
        auto to = t::parse_status(body.status());
        if (!to) return fail(to.error());
        t::StatusChange change{*to, body.reason()};
        if (!body.pending_reason().empty()) {
          auto reason = t::parse_pending_reason(body.pending_reason());
          if (!reason) return fail(reason.error());
          change.pending_reason = *reason;
        }
        return ctx.helpdesk.change_status(id, change, a);
      });
}

asio::awaitable<ApiResponse> escalate(ApiContext& ctx, ApiRequest& request) {
  co_return act_on_ticket<v1::api::EscalateTicketRequest>(
      ctx, request,
      [&](std::int64_t id, const v1::api::EscalateTicketRequest& body,
          const t::Actor& a) -> Result<t::Ticket> {
        auto level = t::parse_level(body.level());
        if (!level) return fail(level.error());
        t::EscalateRequest escalation{*level, body.reason(), std::nullopt};
        if (!body.group().empty()) escalation.group = body.group();
        return ctx.helpdesk.escalate(id, escalation, a);
      });
}

asio::awaitable<ApiResponse> classify(ApiContext& ctx, ApiRequest& request) {
  co_return act_on_ticket<v1::api::ReclassifyTicketRequest>(
      ctx, request,
      [&](std::int64_t id, const v1::api::ReclassifyTicketRequest& body,
          const t::Actor& a) -> Result<t::Ticket> {
        t::Reclassification change;
        if (body.impact() != 0) {
          auto impact = t::impact_from_int(body.impact());
          if (!impact)
            return fail("bad_value", "impact: impact must be 1 (very low) to 5 (very high)");
          change.impact = *impact;
        }
        if (body.urgency() != 0) {
          auto urgency = t::urgency_from_int(body.urgency());
          if (!urgency)
            return fail("bad_value", "urgency: urgency must be 1 (very low) to 5 (very high)");
          change.urgency = *urgency;
        }
        if (!body.category().empty()) change.category = body.category();
        if (!body.type().empty()) {
          auto type = t::parse_type(body.type());
          if (!type) return fail(type.error());
          change.type = *type;
        }
        if (!change.impact && !change.urgency && !change.category && !change.type) {
          return fail("bad_value", "nothing to change; give impact, urgency, category or type");
        }
        return ctx.helpdesk.reclassify(id, change, a);
      });
}

asio::awaitable<ApiResponse> priority(ApiContext& ctx, ApiRequest& request) {
  co_return act_on_ticket<v1::api::TicketPriorityRequest>(
      ctx, request,
      [&](std::int64_t id, const v1::api::TicketPriorityRequest& body,
          const t::Actor& a) -> Result<t::Ticket> {
        std::optional<t::Priority> value;
        if (body.priority() != "matrix") {
          const std::string& text = body.priority();
          if (text.size() != 1 || text[0] < '1' || text[0] > '6') {
            return fail("bad_value",
                        "priority: 1..6 (6 is major), or matrix to follow impact x urgency again");
          }
          value = static_cast<t::Priority>(text[0] - '0');
        }
        return ctx.helpdesk.set_priority(id, value, body.reason(), a);
      });
}

asio::awaitable<ApiResponse> reply(ApiContext& ctx, ApiRequest& request, bool internal) {
  co_return act_on_ticket<v1::api::TicketReplyRequest>(
      ctx, request,
      [&](std::int64_t id, const v1::api::TicketReplyRequest& body, const t::Actor& a) {
        return ctx.helpdesk.reply(id, body.body(), internal, a);
      });
}

}  // namespace

void register_ticket_routes(Router& router, ApiContext& ctx) {
  router.add(verb::get, "/api/v1/tickets", Role::kViewer,
             [&ctx](ApiRequest& request) { return list(ctx, request); });
  router.add(verb::post, "/api/v1/tickets", Role::kTechnician1,
             [&ctx](ApiRequest& request) { return create(ctx, request); });
  router.add(verb::get, "/api/v1/tickets/{id}", Role::kViewer,
             [&ctx](ApiRequest& request) { return show(ctx, request); });
  router.add(verb::post, "/api/v1/tickets/{id}/assign", Role::kTechnician1,
             [&ctx](ApiRequest& request) { return assign(ctx, request); });
  router.add(verb::post, "/api/v1/tickets/{id}/status", Role::kTechnician1,
             [&ctx](ApiRequest& request) { return status(ctx, request); });
  router.add(verb::post, "/api/v1/tickets/{id}/escalate", Role::kTechnician1,
             [&ctx](ApiRequest& request) { return escalate(ctx, request); });
  router.add(verb::post, "/api/v1/tickets/{id}/reply", Role::kTechnician1,
             [&ctx](ApiRequest& request) { return reply(ctx, request, false); });
  router.add(verb::post, "/api/v1/tickets/{id}/note", Role::kTechnician1,
             [&ctx](ApiRequest& request) { return reply(ctx, request, true); });
  router.add(verb::post, "/api/v1/tickets/{id}/classify", Role::kTechnician1,
             [&ctx](ApiRequest& request) { return classify(ctx, request); });
  router.add(verb::post, "/api/v1/tickets/{id}/priority", Role::kTechnician1,
             [&ctx](ApiRequest& request) { return priority(ctx, request); });
  for (auto [path, to] : {std::pair{"/api/v1/tickets/{id}/resolve", t::Status::kResolved},
                          std::pair{"/api/v1/tickets/{id}/close", t::Status::kClosed},
                          std::pair{"/api/v1/tickets/{id}/reopen", t::Status::kInProgress}}) {
    router.add(verb::post, path, Role::kTechnician1,
               [&ctx, to = to](ApiRequest& request) { return reason_action(ctx, request, to); });
  }
}

}  // namespace helpline::relay::api
