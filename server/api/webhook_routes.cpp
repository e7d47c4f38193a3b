// Webhooks (admin): the targets ticket events are POSTed to
// (server/webhooks), their recent deliveries, and a test delivery.
// Secrets are never shown back, except a generated one in the answer that
// created it. Webhooks from relay.toml are listed but changed only there.
#include <spdlog/spdlog.h>

#include "helpline/v1/api.pb.h"
#include "server/api/routes.h"
#include "server/api/ticket_query.h"
#include "server/webhooks/webhooks.h"

namespace helpline::relay::api {

namespace asio = boost::asio;
using boost::beast::http::verb;

namespace {

constexpr std::size_t kMaxDeliveries = 200;

// "https://host[:port]" of a stored (valid) webhook URL, without its path.
[[nodiscard]] std::string destination(const std::string& url) {
  auto parsed = webhooks::parse_url(url);
  if (!parsed) return "(invalid URL)";
  return (parsed->tls ? "https://" : "http://") + parsed->host_header();
}

[[nodiscard]] Result<void> fill_webhook(ApiContext& ctx, const WebhookRecord& r,
                                        v1::api::Webhook& out) {
  out.set_id(r.id);
  out.set_url(r.url);
  for (const auto& e : r.events) out.add_events(e);
  out.set_ca_file(r.ca_file);
  out.set_source(r.source);
  out.set_enabled(r.enabled);
  out.set_created_at(format_rfc3339(r.created_at));
  out.set_created_by(r.created_by);
  auto pending = ctx.store.webhook_store().pending_deliveries(r.id);
  if (!pending) return fail(pending.error());
  out.set_pending(*pending);
  return {};
}

// The webhook named by the path, or the 404 to answer.
[[nodiscard]] Result<WebhookRecord> named(ApiContext& ctx, ApiRequest& request) {
  const std::string& id = request.params["id"];
  auto found = ctx.store.webhook_store().find_webhook(id);
  if (!found) return fail(found.error());
  if (!*found) return fail("not_found", "no webhook '" + id.substr(0, 64) + "'");
  return std::move(**found);
}

asio::awaitable<ApiResponse> list(ApiContext& ctx, ApiRequest&) {
  auto all = ctx.store.webhook_store().list_webhooks();
  if (!all) co_return ticket_error(all.error());
  v1::api::WebhookList out;
  for (const WebhookRecord& r : *all) {
    if (auto filled = fill_webhook(ctx, r, *out.add_webhooks()); !filled) {
      co_return ticket_error(filled.error());
    }
  }
  co_return json_response(out);
}

asio::awaitable<ApiResponse> create(ApiContext& ctx, ApiRequest& request) {
  v1::api::CreateWebhookRequest body;
  if (auto bad = parse_body(request, body)) co_return *bad;
  webhooks::Target target{body.id(),
                          body.url(),
                          body.secret(),
                          {body.events().begin(), body.events().end()},
                          body.ca_file()};
  const bool generated = target.secret.empty();
  if (generated) target.secret = webhooks::generate_secret();
  if (auto ok = webhooks::check_target(target); !ok) co_return ticket_error(ok.error());
  const WebhookRecord record =
      webhooks::to_record(target, "api", request.user->name, ctx.helpdesk.now());
  auto added = ctx.store.webhook_store().add_webhook(record);
  if (!added) {
    if (added.error().code == "conflict") {
      co_return error_response(409, "conflict", added.error().message, "id");
    }
    co_return ticket_error(added.error());
  }
  // A webhook URL may carry a secret in its path (chat services do): the
  // log and the audit name only where it goes.
  const std::string where = destination(record.url);
  spdlog::info("webhook {} ({}) added by {}", record.id, where, request.user->name);
  ctx.record({"webhook.create", request.user->name, "", "", 0, record.id + " to " + where});
  v1::api::Webhook out;
  if (auto filled = fill_webhook(ctx, *added, out); !filled) co_return ticket_error(filled.error());
  if (generated) out.set_secret(record.secret);
  co_return json_response(out, 201);
}

asio::awaitable<ApiResponse> show(ApiContext& ctx, ApiRequest& request) {
  auto webhook = named(ctx, request);
  if (!webhook) co_return ticket_error(webhook.error());
  v1::api::Webhook out;
  if (auto filled = fill_webhook(ctx, *webhook, out); !filled)
    co_return ticket_error(filled.error());
  co_return json_response(out);
}

asio::awaitable<ApiResponse> remove(ApiContext& ctx, ApiRequest& request) {
  auto webhook = named(ctx, request);
  if (!webhook) co_return ticket_error(webhook.error());
  if (webhook->source == "config") {
    co_return error_response(409, "conflict",
                             "webhook '" + webhook->id +
                                 "' comes from relay.toml; remove it there and restart the relay");
  }
  auto removed = ctx.store.webhook_store().remove_webhook(webhook->id);
  if (!removed) co_return ticket_error(removed.error());
  spdlog::info("webhook {} removed by {}", webhook->id, request.user->name);
  ctx.record({"webhook.delete", request.user->name, "", "", 0, webhook->id});
  co_return ApiResponse{200, "{}"};
}

asio::awaitable<ApiResponse> deliveries(ApiContext& ctx, ApiRequest& request) {
  auto webhook = named(ctx, request);
  if (!webhook) co_return ticket_error(webhook.error());
  std::size_t limit = 50;
  for (const auto& [name, value] : request.query) {
    if (name != "limit") {
      co_return error_response(400, "bad_value", name + ": unknown parameter; use limit", name);
    }
    auto parsed = parse_number(name, value, 1, static_cast<long long>(kMaxDeliveries));
    if (!parsed) co_return ticket_error(parsed.error());
    limit = static_cast<std::size_t>(*parsed);
  }
  auto recent = ctx.store.webhook_store().recent_deliveries(webhook->id, limit);
  if (!recent) co_return ticket_error(recent.error());
  v1::api::WebhookDeliveryList out;
  for (const WebhookDelivery& d : *recent) {
    auto* item = out.add_deliveries();
    item->set_id(d.id);
    item->set_event_id(d.event_id);
    item->set_event(d.event);
    item->set_ticket_id(d.ticket_id);
    item->set_state(to_string(d.state));
    item->set_attempts(static_cast<std::uint32_t>(d.attempts));
    item->set_next_attempt_at(format_rfc3339(d.next_attempt_at));
    item->set_created_at(format_rfc3339(d.created_at));
    item->set_last_attempt_at(format_rfc3339(d.last_attempt_at));
    item->set_last_status(static_cast<std::uint32_t>(d.last_status));
    item->set_last_error(d.last_error);
    item->set_payload(d.payload);
  }
  co_return json_response(out);
}

asio::awaitable<ApiResponse> test(ApiContext& ctx, ApiRequest& request) {
  auto webhook = named(ctx, request);
  if (!webhook) co_return ticket_error(webhook.error());
  auto queued = ctx.webhooks.ping(webhook->id, request.user->name);
  if (!queued) co_return ticket_error(queued.error());
  v1::api::WebhookDelivery out;
  out.set_event_id(*queued);
  out.set_event(std::string(webhooks::kPingEvent));
  out.set_state("pending");
  co_return json_response(out, 202);
}

}  // namespace

void register_webhook_routes(Router& router, ApiContext& ctx) {
  router.add(verb::get, "/api/v1/webhooks", Role::kAdmin,
             [&ctx](ApiRequest& request) { return list(ctx, request); });
  router.add(verb::post, "/api/v1/webhooks", Role::kAdmin,
             [&ctx](ApiRequest& request) { return create(ctx, request); });
  router.add(verb::get, "/api/v1/webhooks/{id}", Role::kAdmin,
             [&ctx](ApiRequest& request) { return show(ctx, request); });
  router.add(verb::delete_, "/api/v1/webhooks/{id}", Role::kAdmin,
             [&ctx](ApiRequest& request) { return remove(ctx, request); });
  router.add(verb::get, "/api/v1/webhooks/{id}/deliveries", Role::kAdmin,
             [&ctx](ApiRequest& request) { return deliveries(ctx, request); });
  router.add(verb::post, "/api/v1/webhooks/{id}/test", Role::kAdmin,
             [&ctx](ApiRequest& request) { return test(ctx, request); });
}

}  // namespace helpline::relay::api
