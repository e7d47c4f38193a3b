// What is attached or linked to a ticket: files uploaded by technicians
// (stored in the blob store, size-limited by helpdesk.max_attachment),
// downloading any attachment, and knowledge-base articles linked by hand.
// Each change is recorded in the ticket's history through server/helpdesk.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "helpline/v1/api.pb.h"
#include "server/api/routes.h"
#include "server/api/ticket_query.h"

namespace helpline::relay::api {

namespace asio = boost::asio;
namespace t = tickets;
using boost::beast::http::verb;

namespace {

constexpr std::size_t kMaxContentType = 100;

// "type/subtype" with token characters, parameters (";charset=...") dropped.
[[nodiscard]] Result<std::string> content_type_of(std::string_view header) {
  std::string_view type = header.substr(0, header.find(';'));
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  if (type.empty()) return std::string("application/octet-stream");
  auto token = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '+' || c == '_';
  };
  const auto slash = type.find('/');
  if (type.size() > kMaxContentType || slash == std::string_view::npos || slash == 0 ||
      slash + 1 == type.size() ||
      !std::all_of(type.begin(), type.begin() + static_cast<std::ptrdiff_t>(slash), token) ||
      !std::all_of(type.begin() + static_cast<std::ptrdiff_t>(slash) + 1, type.end(), token)) {
    return fail("bad_value", "Content-Type: expected a media type such as image/png");
  }
  return std::string(type);
}

void fill_attachment(const TicketAttachment& a, v1::api::TicketAttachment& out) {
  out.set_kind(a.kind);
  out.set_ref(a.ref);
  out.set_added_at(format_rfc3339(a.added_at));
  out.set_added_by(a.added_by);
  out.set_name(a.name);
  out.set_size(a.size);
  out.set_content_type(a.content_type);
}

asio::awaitable<ApiResponse> attach(ApiContext& ctx, ApiRequest& request) {
  auto id = ticket_id_param(request);
  if (!id) co_return ticket_error(id.error());
  auto actor = helpdesk::actor_for(*request.user);
  if (!actor) co_return ticket_error(actor.error());
  auto name = request.query.find("name");
  if (name == request.query.end() || name->second.empty()) {
    co_return error_response(400, "bad_value", "name: the file name is required (?name=...)",
                             "name");
  }
  for (const auto& [key, value] : request.query) {
    if (key != "name") {
      co_return error_response(400, "bad_value", key + ": unknown parameter; use name", key);
    }
  }
  auto type = content_type_of(request.content_type);
  if (!type) co_return ticket_error(type.error());
  if (request.body.empty()) {
    co_return error_response(400, "bad_value", "body: the file is empty", "body");
  }
  AttachmentDraft draft;
  draft.kind = "file";
  draft.name = name->second;
  draft.content_type = *type;
  if (auto ok = helpdesk::check_attachment(draft); !ok) co_return ticket_error(ok.error());
  // Nothing is stored for a ticket that does not exist.
  auto ticket = ctx.store.ticket_store().load(*id);
  if (!ticket) co_return ticket_error(ticket.error());
  if (!*ticket)
    co_return ticket_error(Error{"not_found", "no ticket " + t::format_display_id(*id)});
  if ((*ticket)->status == t::Status::kClosed) {
    co_return ticket_error(Error{
        "ticket_finished", (*ticket)->display_id() + " is closed; a closed ticket cannot change"});
  }
  auto blob = ctx.blobs.put(request.body);
  if (!blob) {
    spdlog::error("ticket {}: cannot store an attachment: {}", t::format_display_id(*id),
                  blob.error().to_string());
    co_return error_response(blob.error());
  }
  auto existing = ctx.store.list_attachments(*id);
  if (!existing) co_return ticket_error(existing.error());
  for (const TicketAttachment& a : *existing) {
    if (a.kind == "file" && a.ref == blob->id) {
      co_return error_response(409, "conflict",
                               "this file is attached to " + t::format_display_id(*id) +
                                   " already (as '" + a.name + "')");
    }
  }
  draft.ref = blob->id;
  draft.size = blob->size;
  auto attached = ctx.helpdesk.attach(*id, draft, *actor);
  if (!attached) co_return ticket_error(attached.error());
  spdlog::info("ticket {}: {} attached {} ({} bytes)", attached->display_id(), request.user->name,
               blob->id, blob->size);
  TicketAttachment stored{
      *id,        "file",     blob->id,          attached->updated_at, request.user->name,
      draft.name, blob->size, draft.content_type};
  v1::api::TicketAttachment out;
  fill_attachment(stored, out);
  co_return json_response(out, 201);
}

// Media types of the kinds stored without one.
[[nodiscard]] std::string default_type(const std::string& kind) {
  if (kind == "action_result") return "application/json";
  if (kind == "recording") return "application/x-asciicast";
  return "application/octet-stream";
}

// A name for Content-Disposition: quotes and backslashes escaped, anything
// outside printable ASCII replaced (names never hold control characters).
[[nodiscard]] std::string disposition_name(const std::string& name) {
  std::string out;
  for (char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') out += '\\';
    out += byte < 0x20 || byte >= 0x7f ? '_' : c;
  }
  return out;
}

asio::awaitable<ApiResponse> download(ApiContext& ctx, ApiRequest& request) {
  auto id = ticket_id_param(request);
  if (!id) co_return ticket_error(id.error());
  const std::string& ref = request.params["ref"];
  auto attachments = ctx.store.list_attachments(*id);
  if (!attachments) co_return ticket_error(attachments.error());
  auto found = std::find_if(attachments->begin(), attachments->end(),
                            [&](const TicketAttachment& a) { return a.ref == ref; });
  if (found == attachments->end()) {
    co_return error_response(
        404, "not_found",
        "ref: nothing attached to " + t::format_display_id(*id) + " as '" + ref.substr(0, 80) + "'",
        "ref");
  }
  auto content = ctx.blobs.read(found->ref, ctx.blobs.max_blob_bytes());
  if (!content) {
    if (content.error().code == "not_found") {
      co_return error_response(404, "not_found", "the content of " + ref + " is gone", "ref");
    }
    spdlog::error("ticket {}: cannot read attachment {}: {}", t::format_display_id(*id), ref,
                  content.error().to_string());
    co_return error_response(500, "internal", "internal error; see the relay log");
  }
  ApiResponse response;
  response.body = std::move(*content);
  response.content_type =
      found->content_type.empty() ? default_type(found->kind) : found->content_type;
  const std::string file = found->name.empty() ? ref : found->name;
  response.headers.emplace_back("Content-Disposition",
                                "attachment; filename=\"" + disposition_name(file) + "\"");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  co_return response;
}

asio::awaitable<ApiResponse> link(ApiContext& ctx, ApiRequest& request) {
  co_return act_on_ticket<v1::api::LinkArticleRequest>(
      ctx, request,
      [&](std::int64_t id, const v1::api::LinkArticleRequest& body, const t::Actor& actor) {
        return ctx.helpdesk.link_article(id, body.article(), true, body.reason(), actor);
      });
}

asio::awaitable<ApiResponse> unlink(ApiContext& ctx, ApiRequest& request) {
  auto id = ticket_id_param(request);
  if (!id) co_return ticket_error(id.error());
  auto actor = helpdesk::actor_for(*request.user);
  if (!actor) co_return ticket_error(actor.error());
  auto changed = ctx.helpdesk.link_article(*id, request.params["article"], false, "", *actor);
  if (!changed) co_return ticket_error(changed.error());
  co_return ticket_response(ctx, *changed);
}

}  // namespace

void register_ticket_attachment_routes(Router& router, ApiContext& ctx) {
  router.add_upload(verb::post, "/api/v1/tickets/{id}/attachments", Role::kTechnician1,
                    ctx.config.helpdesk.max_attachment,
                    [&ctx](ApiRequest& request) { return attach(ctx, request); });
  router.add(verb::get, "/api/v1/tickets/{id}/attachments/{ref}", Role::kViewer,
             [&ctx](ApiRequest& request) { return download(ctx, request); });
  router.add(verb::post, "/api/v1/tickets/{id}/kb", Role::kTechnician1,
             [&ctx](ApiRequest& request) { return link(ctx, request); });
  router.add(verb::delete_, "/api/v1/tickets/{id}/kb/{article}", Role::kTechnician1,
             [&ctx](ApiRequest& request) { return unlink(ctx, request); });
}

}  // namespace helpline::relay::api
