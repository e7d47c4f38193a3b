#include <spdlog/spdlog.h>

#include "common/core/duration.h"
#include "common/tls/tls.h"
#include "helpline/v1/api.pb.h"
#include "server/api/routes.h"
#include "server/auth/auth.h"

namespace helpline::relay::api {

namespace asio = boost::asio;
using boost::beast::http::verb;

namespace {

constexpr std::uint32_t kMaxUses = 100000;
constexpr std::chrono::seconds kMaxTokenLifetime{365 * 86400};

void fill_token(const EnrollToken& token, v1::api::EnrollToken& out) {
  out.set_id(token.id);
  out.set_group(token.group);
  out.set_uses(token.uses);
  out.set_used(token.used);
  out.set_expires_at(format_rfc3339(token.expires_at));
  out.set_created_by(token.created_by);
  out.set_revoked(token.revoked);
}

asio::awaitable<ApiResponse> create_token(ApiContext& ctx, ApiRequest& request) {
  v1::api::CreateEnrollTokenRequest body;
  if (auto bad = parse_body(request, body)) co_return *bad;
  std::string group = body.group().empty() ? "default" : body.group();
  if (auto why = check_name("group", group); !why.empty()) {
    co_return error_response(400, "bad_request", why, "group");
  }
  std::uint32_t uses = body.uses() == 0 ? 1 : body.uses();
  if (uses > kMaxUses) {
    co_return error_response(400, "bad_request",
                             "uses must be at most " + std::to_string(kMaxUses), "uses");
  }
  auto lifetime = parse_duration(body.expires_in().empty() ? "24h" : body.expires_in());
  if (!lifetime) co_return error_response(400, "bad_request", lifetime.error().message, "expires_in");
  if (*lifetime > kMaxTokenLifetime) {
    co_return error_response(400, "bad_request", "expires_in must be at most 365d", "expires_in");
  }
  UnixMillis now = unix_now_ms();
  auto secret = auth::new_token("hle_");
  EnrollToken token;
  token.id = "et_" + tls::sha256_hex(tls::random_token(12)).substr(0, 12);
  token.token_hash = secret.hash;
  token.group = group;
  token.uses = uses;
  token.created_at = now;
  token.expires_at = now + std::chrono::duration_cast<std::chrono::milliseconds>(*lifetime).count();
  token.created_by = request.user->name;
  if (auto stored = ctx.store.add_enroll_token(token); !stored) {
    co_return error_response(stored.error());
  }
  spdlog::info("enrollment token {} for group '{}' ({} uses, expires {}) created by '{}'",
               token.id, group, uses, format_rfc3339(token.expires_at), token.created_by);
  ctx.record({"enroll_token.create", token.created_by, "", "", 0,
              token.id + " for group " + group + ", " + std::to_string(uses) +
                  (uses == 1 ? " use" : " uses") + ", expires " +
                  format_rfc3339(token.expires_at)});
  v1::api::EnrollToken response;
  fill_token(token, response);
  response.set_token(secret.secret);
  co_return json_response(response, 201);
}

}  // namespace

void register_token_routes(Router& router, ApiContext& ctx) {
  router.add(verb::post, "/api/v1/enroll-tokens", Role::kAdmin,
             [&ctx](ApiRequest& request) { return create_token(ctx, request); });
  router.add(verb::get, "/api/v1/enroll-tokens", Role::kAdmin,
             [&ctx](ApiRequest&) -> asio::awaitable<ApiResponse> {
               auto tokens = ctx.store.list_enroll_tokens();
               if (!tokens) co_return error_response(tokens.error());
               v1::api::EnrollTokenList list;
               for (const auto& token : *tokens) fill_token(token, *list.add_tokens());
               co_return json_response(list);
             });
  router.add(verb::post, "/api/v1/enroll-tokens/{id}/revoke", Role::kAdmin,
             [&ctx](ApiRequest& request) -> asio::awaitable<ApiResponse> {
               const auto& id = request.params["id"];
               if (auto r = ctx.store.revoke_enroll_token(id); !r) co_return error_response(r.error());
               spdlog::info("enrollment token {} revoked by '{}'", id, request.user->name);
               ctx.record({"enroll_token.revoke", request.user->name, "", "", 0, id});
               co_return ApiResponse{200, "{}"};
             });
}

}  // namespace helpline::relay::api
