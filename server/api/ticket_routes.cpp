// Minimal tickets: enough to attach diagnostics to. Priority comes from
// impact x urgency (server/tickets' default matrix). The tickets issue
// extends these routes.
#include <spdlog/spdlog.h>

#include <charconv>

#include "common/core/time_format.h"
#include "helpline/v1/api.pb.h"
#include "server/api/routes.h"
#include "server/tickets/priority_matrix.h"

namespace helpline::relay::api {

namespace asio = boost::asio;
using boost::beast::http::verb;

namespace {

constexpr std::size_t kMaxTitle = 200;
constexpr std::size_t kMaxDescription = 16 * 1024;

// Printable text; `multiline` also allows newlines and tabs. Returns why
// not, or "".
[[nodiscard]] std::string check_text(std::string_view field, std::string_view value,
                                     std::size_t max, bool multiline) {
  if (value.size() > max) {
    return std::string(field) + " is longer than " + std::to_string(max) + " bytes";
  }
  for (char c : value) {
    bool allowed_space = multiline && (c == '\n' || c == '\t' || c == '\r');
    if ((static_cast<unsigned char>(c) < 0x20 && !allowed_space) || c == 0x7f) {
      return std::string(field) + " contains a control character";
    }
  }
  return {};
}

void fill_ticket(const Ticket& ticket, v1::api::Ticket& out) {
  out.set_id(ticket.id);
  out.set_title(ticket.title);
  out.set_description(ticket.description);
  out.set_impact(static_cast<std::uint32_t>(ticket.impact));
  out.set_urgency(static_cast<std::uint32_t>(ticket.urgency));
  out.set_priority(static_cast<std::uint32_t>(ticket.priority));
  out.set_status(ticket.status);
  out.set_created_at(format_rfc3339(ticket.created_at));
  out.set_created_by(ticket.created_by);
  out.set_device_id(ticket.device_id);
}

asio::awaitable<ApiResponse> create(ApiContext& ctx, ApiRequest& request) {
  v1::api::CreateTicketRequest body;
  if (auto bad = parse_body(request, body)) co_return *bad;
  if (body.title().empty())
    co_return error_response(400, "bad_request", "title is required", "title");
  for (auto [field, why] : {std::pair{"title", check_text("title", body.title(), kMaxTitle, false)},
                            std::pair{"description", check_text("description", body.description(),
                                                                kMaxDescription, true)}}) {
    if (!why.empty()) co_return error_response(400, "bad_request", why, field);
  }
  auto impact = tickets::impact_from_int(body.impact());
  if (!impact) {
    co_return error_response(400, "bad_request", "impact must be 1 (very low) to 5 (very high)",
                             "impact");
  }
  auto urgency = tickets::urgency_from_int(body.urgency());
  if (!urgency) {
    co_return error_response(400, "bad_request", "urgency must be 1 (very low) to 5 (very high)",
                             "urgency");
  }
  Ticket ticket;
  ticket.title = body.title();
  ticket.description = body.description();
  ticket.impact = tickets::to_int(*impact);
  ticket.urgency = tickets::to_int(*urgency);
  ticket.priority =
      tickets::to_int(tickets::PriorityMatrix::glpi_default().compute(*impact, *urgency));
  ticket.status = tickets::to_string(tickets::Status::kNew);
  ticket.created_at = unix_now_ms();
  ticket.created_by = request.user->name;
  ticket.device_id = body.device_id();
  auto created = ctx.store.create_ticket(ticket);
  if (!created) {
    if (created.error().code == "not_found") {
      co_return error_response(404, "not_found", created.error().message, "device_id");
    }
    co_return error_response(created.error());
  }
  spdlog::info("ticket {} created by '{}' (priority {})", created->id, created->created_by,
               created->priority);
  v1::api::Ticket out;
  fill_ticket(*created, out);
  co_return json_response(out, 201);
}

asio::awaitable<ApiResponse> show(ApiContext& ctx, ApiRequest& request) {
  const std::string& text = request.params["id"];
  std::int64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id <= 0) {
    co_return error_response(400, "bad_request", "a ticket id is a positive number", "id");
  }
  auto ticket = ctx.store.find_ticket(id);
  if (!ticket) co_return error_response(ticket.error());
  if (!*ticket) co_return error_response(404, "not_found", "no ticket " + text);
  auto attachments = ctx.store.list_attachments(id);
  if (!attachments) co_return error_response(attachments.error());
  v1::api::Ticket out;
  fill_ticket(**ticket, out);
  for (const TicketAttachment& a : *attachments) {
    auto* item = out.add_attachments();
    item->set_kind(a.kind);
    item->set_ref(a.ref);
    item->set_added_at(format_rfc3339(a.added_at));
    item->set_added_by(a.added_by);
  }
  co_return json_response(out);
}

}  // namespace

void register_ticket_routes(Router& router, ApiContext& ctx) {
  router.add(verb::post, "/api/v1/tickets", Role::kTechnician1,
             [&ctx](ApiRequest& request) { return create(ctx, request); });
  router.add(verb::get, "/api/v1/tickets/{id}", Role::kViewer,
             [&ctx](ApiRequest& request) { return show(ctx, request); });
}

}  // namespace helpline::relay::api
