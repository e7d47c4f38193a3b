// The signed action catalog and remediation actions (docs/api.md,
// "Actions and the catalog"): the organisation key, publishing a signed
// catalog (verified here and handed to every agent, which verifies it
// again against its own pinned key), listing its actions, and running one
// on a device with the role its risk needs; the result goes back to the
// technician and, with a ticket, onto it as an "action_result" attachment.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <utility>
#include <vector>

#include "common/catalog/describe.h"
#include "common/catalog/signing.h"
#include "common/catalog/validate.h"
#include "common/tls/crypto.h"
#include "helpline/v1/action_api.pb.h"
#include "server/api/json_codec.h"
#include "server/api/routes.h"
#include "server/tickets/ticket.h"
#include "server/tunnel/catalog_state.h"

namespace helpline::relay::api {

namespace asio = boost::asio;
using boost::beast::http::verb;

namespace {

// The action's own timeout plus the end user's consent (60 s by default)
// and the kill grace.
constexpr std::chrono::seconds kActionMargin{120};
constexpr std::size_t kMaxClientKey = 96;
constexpr int kMaxParameters = 32;

// "low", "medium", "high"; a value this version does not know is named so.
[[nodiscard]] std::string risk_name(v1::Risk risk) {
  std::string_view name = catalog::risk_name(risk);
  return name.empty() ? "unspecified" : std::string(name);
}

// L1 runs low-risk actions, L2 medium, L3 and admin high.
[[nodiscard]] Role min_role_for(v1::Risk risk) {
  switch (risk) {
    case v1::RISK_LOW:
      return Role::kTechnician1;
    case v1::RISK_MEDIUM:
      return Role::kTechnician2;
    default:
      return Role::kTechnician3;
  }
}

[[nodiscard]] std::string type_name(const v1::Parameter& p) {
  switch (p.type_case()) {
    case v1::Parameter::kEnumValues:
      return "enum";
    case v1::Parameter::kInteger:
      return "integer";
    case v1::Parameter::kText:
      return "string";
    case v1::Parameter::kUnit:
      return "unit";
    case v1::Parameter::kPath:
      return "path";
    case v1::Parameter::kUser:
      return "user";
    case v1::Parameter::kProcess:
      return "process";
    default:
      return "unknown";
  }
}

void fill_action(const v1::Action& a, v1::api::CatalogAction& out) {
  out.set_id(a.id());
  out.set_title(a.title());
  out.set_description(a.description());
  out.set_risk(risk_name(a.risk()));
  out.set_min_role(to_string(min_role_for(a.risk())));
  out.set_needs_consent(a.needs_consent());
  out.set_self_service(a.self_service());
  out.set_timeout_ms(a.timeout_ms());
  out.set_max_output_bytes(a.max_output_bytes());
  for (const auto& rule : a.finding_rules()) out.add_finding_rules(rule);
  for (const auto& kb : a.kb_articles()) out.add_kb_articles(kb);
  for (const v1::Parameter& p : a.parameters()) {
    auto* param = out.add_parameters();
    param->set_name(p.name());
    param->set_type(type_name(p));
    param->set_description(p.description());
    param->set_required(!p.has_default_value());
    param->set_default_value(p.default_value());
    if (p.has_enum_values()) {
      for (const auto& v : p.enum_values().values()) param->add_values(v);
    }
    if (p.has_unit()) {
      for (const auto& v : p.unit().allowed()) param->add_values(v);
    }
  }
}

// Output is whatever the process wrote; JSON needs UTF-8, so invalid
// sequences become U+FFFD.
[[nodiscard]] std::string utf8_text(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  std::size_t i = 0;
  while (i < bytes.size()) {
    auto c = static_cast<unsigned char>(bytes[i]);
    std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool ok = len != 0 && i + len <= bytes.size();
    for (std::size_t k = 1; ok && k < len; ++k) {
      ok = (static_cast<unsigned char>(bytes[i + k]) & 0xC0) == 0x80;
    }
    if (ok && len > 1) {
      // Overlong forms and surrogates are not valid UTF-8 either.
      auto c1 = static_cast<unsigned char>(bytes[i + 1]);
      if ((len == 2 && c < 0xC2) || (len == 3 && c == 0xE0 && c1 < 0xA0) ||
          (len == 3 && c == 0xED && c1 >= 0xA0) || (len == 4 && c == 0xF0 && c1 < 0x90) ||
          (len == 4 && (c > 0xF4 || (c == 0xF4 && c1 >= 0x90)))) {
        ok = false;
      }
    }
    if (!ok) {
      out += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    out.append(bytes.substr(i, len));
    i += len;
  }
  return out;
}

[[nodiscard]] bool printable_key(std::string_view key) {
  if (key.empty() || key.size() > kMaxClientKey) return false;
  for (char c : key) {
    if (c <= ' ' || c > '~') return false;
  }
  return true;
}

asio::awaitable<ApiResponse> show_catalog(ApiContext& ctx) {
  auto published = load_catalog(ctx.store);
  if (!published) co_return error_response(published.error());
  v1::api::CatalogInfo info;
  if (*published) {
    const v1::Catalog& c = (*published)->catalog;
    info.set_version(c.version());
    info.set_issuer(c.issuer());
    info.set_issued_at_ms(c.issued_at_ms());
    info.set_key_id((*published)->signed_catalog.key_id());
    for (const v1::Action& a : c.actions()) fill_action(a, *info.add_actions());
  }
  co_return json_response(info);
}

asio::awaitable<ApiResponse> set_org_key(ApiContext& ctx, ApiRequest& request) {
  v1::api::SetOrgKeyRequest body;
  if (auto bad = parse_body(request, body)) co_return *bad;
  auto saved = save_org_key(ctx.store, body.public_key_pem());
  if (!saved) {
    if (saved.error().code == "bad_key") {
      co_return error_response(400, "bad_key", saved.error().message, "public_key_pem");
    }
    co_return error_response(saved.error());
  }
  spdlog::info("{} set the organisation key {}", request.user->name, *saved);
  ctx.record({"catalog.org_key", request.user->name, "", "", 0, "organisation key " + *saved});
  v1::api::OrgKeyInfo out;
  out.set_key_id(*saved);
  out.set_public_key_pem(body.public_key_pem());
  co_return json_response(out);
}

// The key per-group installers carry (helpline admin installer).
asio::awaitable<ApiResponse> show_org_key(ApiContext& ctx) {
  auto pem = load_org_key(ctx.store);
  if (!pem) co_return error_response(pem.error());
  if (!*pem || (*pem)->empty()) {
    co_return error_response(404, "no_org_key",
                             "no organisation key is set; run helpline admin set-org-key org.pub");
  }
  auto key = catalog::load_public_key(**pem);
  if (!key) co_return error_response(key.error());
  auto id = catalog::key_id(key->get());
  if (!id) co_return error_response(id.error());
  v1::api::OrgKeyInfo out;
  out.set_key_id(*id);
  out.set_public_key_pem(**pem);
  co_return json_response(out);
}

asio::awaitable<ApiResponse> publish(ApiContext& ctx, ApiRequest& request) {
  v1::api::PublishCatalogRequest body;
  if (auto bad = parse_body(request, body)) co_return *bad;
  auto outcome = publish_catalog(ctx.store, body.signed_catalog());
  if (!outcome) {
    const std::string& code = outcome.error().code;
    unsigned status = code == "store_error" ? 500u : code == "no_org_key" ? 409u : 422u;
    if (status == 500) co_return error_response(outcome.error());
    spdlog::warn("{} tried to publish a catalog: refused: {} ({})", request.user->name,
                 outcome.error().message, code);
    co_return error_response(status, code, outcome.error().message, "signed_catalog");
  }
  const v1::Catalog& c = outcome->published.catalog;
  std::uint32_t offered = static_cast<std::uint32_t>(ctx.tunnel.offer_catalog_to_online());
  spdlog::info("{} published catalog version {} ({} actions); offered to {} online agents",
               request.user->name, c.version(), c.actions_size(), offered);
  ctx.record({"catalog.publish", request.user->name, "", "", 0,
              "version " + std::to_string(c.version()) + " (was " +
                  std::to_string(outcome->previous_version) + "), " +
                  std::to_string(c.actions_size()) + " actions, signed by " + outcome->key_id});
  v1::api::PublishCatalogResponse out;
  out.set_version(c.version());
  out.set_previous_version(outcome->previous_version);
  out.set_actions(static_cast<std::uint32_t>(c.actions_size()));
  out.set_key_id(outcome->key_id);
  out.set_offered_to(offered);
  co_return json_response(out);
}

// "<action> (catalog v<n>, key <key>) name=value ...", names sorted: what
// the audit log records of a request.
[[nodiscard]] std::string describe_request(const v1::ActionRequest& run) {
  std::vector<std::pair<std::string, std::string>> params(run.parameters().begin(),
                                                          run.parameters().end());
  std::sort(params.begin(), params.end());
  std::string text = catalog::request_label(run);
  for (const auto& [name, value] : params) text += " " + name + "=" + value;
  return text;
}

// How the device's answer to `action` ended, for the audit log.
[[nodiscard]] std::string describe_outcome(const std::string& action, const v1::ActionResult& r) {
  if (r.has_refused()) {
    return action + ": refused by the device (" + r.refused().rule() +
           "): " + utf8_text(r.refused().message());
  }
  std::string text = action + ": " + catalog::run_outcome(r) + ", " +
                     std::to_string(r.output().size()) + " bytes of output";
  if (r.truncated()) text += " (truncated)";
  return text;
}

// Stores the result as JSON in the blob store and attaches it to the
// ticket. Errors: "not_found", "store_error", the blob store's.
[[nodiscard]] Result<std::string> attach_result(ApiContext& ctx, std::int64_t ticket_id,
                                                const v1::api::ActionRunResult& result,
                                                const std::string& user) {
  auto blob = ctx.blobs.put(to_json(result));
  if (!blob) return fail(blob.error());
  auto ticket = ctx.store.ticket_store().load(ticket_id);
  if (!ticket) return fail(ticket.error());
  if (!*ticket) return fail("not_found", "no ticket " + tickets::format_display_id(ticket_id));
  TicketWrite write;
  write.ticket = std::move(**ticket);
  write.attachments.push_back(AttachmentDraft{"action_result", blob->id, unix_now_ms(), user});
  // The helpdesk's sweep recomputes when it must look at the ticket
  // again; asking for a look now never skips an escalation.
  write.next_check_at = unix_now_ms();
  if (auto saved = ctx.store.ticket_store().save(std::move(write)); !saved) {
    return fail(saved.error());
  }
  return blob->id;
}

asio::awaitable<ApiResponse> run_action(ApiContext& ctx, ApiRequest& request) {
  v1::api::RunActionRequest body;
  if (auto bad = parse_body(request, body)) co_return *bad;
  const User& user = *request.user;
  if (body.action().empty() || body.action().size() > 64) {
    co_return error_response(400, "bad_request", "action: name one action of the catalog",
                             "action");
  }
  if (body.parameters_size() > kMaxParameters) {
    co_return error_response(400, "bad_request",
                             "at most " + std::to_string(kMaxParameters) + " parameters",
                             "parameters");
  }
  if (!body.idempotency_key().empty() && !printable_key(body.idempotency_key())) {
    co_return error_response(400, "bad_request",
                             "idempotency_key: 1 to 96 printable characters without spaces",
                             "idempotency_key");
  }
  const std::string& device_id = request.params["id"];
  auto device = ctx.store.find_device(device_id);
  if (!device) co_return error_response(device.error());
  if (!*device) co_return error_response(404, "not_found", "no device with id '" + device_id + "'");

  auto published = load_catalog(ctx.store);
  if (!published) co_return error_response(published.error());
  if (!*published) {
    co_return error_response(409, "no_catalog",
                             "no catalog is published; an admin runs `helpline admin publish`");
  }
  const v1::Catalog& catalog = (*published)->catalog;
  const v1::Action* action = nullptr;
  for (const v1::Action& a : catalog.actions()) {
    if (a.id() == body.action()) action = &a;
  }
  if (action == nullptr) {
    co_return error_response(404, "unknown_action",
                             "action '" + body.action() + "' is not in catalog version " +
                                 std::to_string(catalog.version()),
                             "action");
  }
  Role needed = min_role_for(action->risk());
  if (static_cast<int>(user.role) < static_cast<int>(needed)) {
    ctx.record({"action.denied", user.name, device_id, "", body.ticket(),
                action->id() + ": " + risk_name(action->risk()) + " risk needs role " +
                    to_string(needed) + ", " + user.name + " has " + to_string(user.role)});
    co_return error_response(403, "role_too_low",
                             "action " + action->id() + " is " + risk_name(action->risk()) +
                                 " risk and needs role " + to_string(needed) + " or above; " +
                                 user.name + " has role " + to_string(user.role));
  }
  if (body.ticket() < 0) {
    co_return error_response(400, "bad_request", "ticket must be a ticket id", "ticket");
  }
  if (body.ticket() > 0) {
    auto ticket = ctx.store.ticket_store().load(body.ticket());
    if (!ticket) co_return error_response(ticket.error());
    if (!*ticket) {
      co_return error_response(404, "not_found",
                               "no ticket " + tickets::format_display_id(body.ticket()), "ticket");
    }
  }
  // One key per technician request; the technician's name scopes it so
  // two people never collide on the agent's records.
  std::string key = body.idempotency_key().empty() ? tls::random_token(18) : body.idempotency_key();
  v1::Request ask;
  v1::ActionRequest* run = ask.mutable_action();
  run->set_idempotency_key(user.name + "/" + key);
  run->set_action_id(action->id());
  run->set_catalog_version(catalog.version());
  *run->mutable_parameters() = body.parameters();
  run->set_ticket_id(body.ticket());
  run->set_requested_by(user.name);
  auto timeout = std::chrono::milliseconds(action->timeout_ms()) + kActionMargin;
  spdlog::info("{} runs {} on {} (ticket {}, key {})", user.name, action->id(), device_id,
               body.ticket(), key);
  ctx.record({"action.request", user.name, device_id, "", body.ticket(), describe_request(*run)});
  // Every request gets exactly one result entry, delivered or not.
  auto not_delivered = [&](const std::string& code, const std::string& message) {
    ctx.record({"action.result", user.name, device_id, "", body.ticket(),
                action->id() + ": no result (" + code + "): " + message});
  };
  auto answer = co_await ctx.tunnel.request(device_id, std::move(ask), timeout);
  if (!answer) {
    not_delivered(answer.error().code, answer.error().message);
    co_return error_response(answer.error());
  }
  if (answer->has_error()) {
    not_delivered(answer->error().code(), answer->error().message());
    co_return error_response(502, answer->error().code(), answer->error().message());
  }
  if (!answer->has_action()) {
    not_delivered("bad_answer", "the device did not answer with an action result");
    co_return error_response(502, "bad_answer", "the device did not answer with an action result");
  }
  const v1::ActionResult& r = answer->action();
  v1::api::ActionRunResult out;
  out.set_device_id(device_id);
  out.set_action(action->id());
  out.set_idempotency_key(key);
  out.set_ran(!r.has_refused());
  out.set_exit_code(r.exit_code());
  out.set_signal(r.signal());
  out.set_timed_out(r.timed_out());
  out.set_duration_ms(r.duration_ms());
  out.set_output(utf8_text(r.output()));
  out.set_truncated(r.truncated());
  out.set_refusal_rule(r.refused().rule());
  out.set_refusal_message(utf8_text(r.refused().message()));
  out.set_catalog_version(r.catalog_version());
  out.set_ticket(body.ticket());
  out.set_requested_by(user.name);
  out.set_started_at_ms(r.started_at_ms());
  ctx.record({"action.result", user.name, device_id, "", body.ticket(),
              describe_outcome(action->id(), r)});
  if (body.ticket() > 0) {
    auto attached = attach_result(ctx, body.ticket(), out, user.name);
    if (!attached) {
      spdlog::error("cannot attach the result of {} to ticket {}: {}", action->id(),
                    body.ticket(), attached.error().to_string());
    } else {
      out.set_attachment(*attached);
    }
  }
  co_return json_response(out);
}

}  // namespace

void register_action_routes(Router& router, ApiContext& ctx) {
  router.add(verb::get, "/api/v1/catalog", Role::kViewer,
             [&ctx](ApiRequest&) { return show_catalog(ctx); });
  router.add(verb::get, "/api/v1/catalog/org-key", Role::kViewer,
             [&ctx](ApiRequest&) { return show_org_key(ctx); });
  router.add(verb::put, "/api/v1/catalog/org-key", Role::kAdmin,
             [&ctx](ApiRequest& request) { return set_org_key(ctx, request); });
  router.add(verb::post, "/api/v1/catalog", Role::kAdmin,
             [&ctx](ApiRequest& request) { return publish(ctx, request); });
  router.add(verb::post, "/api/v1/devices/{id}/actions", Role::kTechnician1,
             [&ctx](ApiRequest& request) { return run_action(ctx, request); });
}

}  // namespace helpline::relay::api
