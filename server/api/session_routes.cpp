#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "helpline/v1/api.pb.h"
#include "server/api/routes.h"
#include "server/auth/auth.h"

namespace helpline::relay::api {

namespace asio = boost::asio;
using boost::beast::http::verb;

namespace {

// A failed login waits this long before answering, to slow password guessing.
constexpr std::chrono::milliseconds kLoginFailureDelay{700};

asio::awaitable<ApiResponse> login(ApiContext& ctx, ApiRequest& request) {
  v1::api::LoginRequest body;
  if (auto bad = parse_body(request, body)) co_return *bad;
  if (body.user().empty()) co_return error_response(400, "bad_request", "user is required", "user");
  if (body.password().empty()) {
    co_return error_response(400, "bad_request", "password is required", "password");
  }
  auto user = ctx.store.find_user(body.user());
  if (!user) co_return error_response(user.error());
  bool ok = user->has_value() && !(*user)->disabled &&
            auth::verify_password(body.password(), (*user)->password_hash);
  if (!ok) {
    spdlog::warn("API login failed for '{}' from {}", body.user().substr(0, 64), request.remote);
    asio::steady_timer delay(co_await asio::this_coro::executor);
    delay.expires_after(kLoginFailureDelay);
    boost::system::error_code ec;
    co_await delay.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    co_return error_response(401, "unauthorized", "invalid user name or password");
  }
  UnixMillis now = unix_now_ms();
  auto token = auth::new_token("hlt_");
  ApiToken record{token.hash, (*user)->id, now,
                  now + std::chrono::duration_cast<std::chrono::milliseconds>(ctx.config.token_ttl)
                            .count()};
  if (auto stored = ctx.store.add_api_token(record); !stored) co_return error_response(stored.error());
  (void)ctx.store.purge_expired_api_tokens(now);
  spdlog::info("API login: '{}' ({}) from {}", (*user)->name, to_string((*user)->role),
               request.remote);
  v1::api::LoginResponse response;
  response.set_token(token.secret);
  response.set_user((*user)->name);
  response.set_role(to_string((*user)->role));
  response.set_expires_at(format_rfc3339(record.expires_at));
  co_return json_response(response);
}

}  // namespace

std::string check_name(std::string_view what, std::string_view name) {
  if (name.empty() || name.size() > 64) return std::string(what) + " must be 1 to 64 characters";
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return std::string(what) + " may contain only letters, digits, '.', '_' and '-'";
  }
  return {};
}

void register_session_routes(Router& router, ApiContext& ctx) {
  router.add(verb::post, "/api/v1/login", std::nullopt,
             [&ctx](ApiRequest& request) { return login(ctx, request); });

  router.add(verb::post, "/api/v1/logout", Role::kViewer,
             [&ctx](ApiRequest& request) -> asio::awaitable<ApiResponse> {
               if (auto r = ctx.store.delete_api_token(auth::token_hash(request.bearer)); !r) {
                 co_return error_response(r.error());
               }
               co_return ApiResponse{200, "{}"};
             });

  router.add(verb::get, "/api/v1/health", std::nullopt,
             [&ctx](ApiRequest&) -> asio::awaitable<ApiResponse> {
               v1::api::Health health;
               health.set_status("ok");
               health.set_version(HELPLINE_VERSION);
               health.set_agents_online(static_cast<std::uint32_t>(ctx.tunnel.online_count()));
               co_return json_response(health);
             });
}

}  // namespace helpline::relay::api
