#include <spdlog/spdlog.h>

#include "helpline/v1/api.pb.h"
#include "server/api/routes.h"
#include "server/auth/auth.h"

namespace helpline::relay::api {

namespace asio = boost::asio;
using boost::beast::http::verb;

namespace {

void fill_user(const User& user, v1::api::User& out) {
  out.set_name(user.name);
  out.set_role(to_string(user.role));
  out.set_created_at(format_rfc3339(user.created_at));
  out.set_disabled(user.disabled);
}

asio::awaitable<ApiResponse> create_user(ApiContext& ctx, ApiRequest& request) {
  v1::api::CreateUserRequest body;
  if (auto bad = parse_body(request, body)) co_return *bad;
  if (auto why = check_name("name", body.name()); !why.empty()) {
    co_return error_response(400, "bad_request", why, "name");
  }
  auto role = parse_role(body.role().empty() ? "l1" : body.role());
  if (!role) co_return error_response(400, "bad_request", role.error().message, "role");
  std::string password = body.password();
  bool generated = password.empty();
  if (generated) password = auth::random_password();
  if (password.size() < 12 || password.size() > 1024) {
    co_return error_response(400, "bad_request", "password must be 12 to 1024 characters",
                             "password");
  }
  auto hash = auth::hash_password(password);
  if (!hash) co_return error_response(hash.error());
  auto user = ctx.store.create_user(body.name(), *role, *hash, unix_now_ms());
  if (!user) co_return error_response(user.error());
  spdlog::info("user '{}' ({}) created by '{}'", user->name, to_string(user->role),
               request.user->name);
  ctx.record({"user.create", request.user->name, "", "", 0,
              user->name + " with role " + to_string(user->role)});
  v1::api::CreatedUser response;
  fill_user(*user, *response.mutable_user());
  if (generated) response.set_password(password);
  co_return json_response(response, 201);
}

}  // namespace

void register_user_routes(Router& router, ApiContext& ctx) {
  router.add(verb::post, "/api/v1/users", Role::kAdmin,
             [&ctx](ApiRequest& request) { return create_user(ctx, request); });
  router.add(verb::get, "/api/v1/users", Role::kAdmin,
             [&ctx](ApiRequest&) -> asio::awaitable<ApiResponse> {
               auto users = ctx.store.list_users();
               if (!users) co_return error_response(users.error());
               v1::api::UserList list;
               for (const auto& user : *users) fill_user(user, *list.add_users());
               co_return json_response(list);
             });
}

}  // namespace helpline::relay::api
