#include "server/api/router.h"

#include "common/core/encoding.h"
#include "common/core/time_format.h"
#include "helpline/v1/api.pb.h"
#include "server/api/json_codec.h"
#include "server/auth/auth.h"

namespace helpline::relay::api {
namespace {

namespace http = boost::beast::http;

[[nodiscard]] std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > start) out.emplace_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

[[nodiscard]] Result<std::string> url_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out.push_back(' ');
    } else if (text[i] == '%') {
      auto byte = from_hex(text.substr(i + 1, 2));
      if (!byte || byte->size() != 1) {
        return fail("bad_request", "bad percent-encoding in the query string");
      }
      out += *byte;
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

}  // namespace

Result<std::map<std::string, std::string>> parse_query(std::string_view query) {
  std::map<std::string, std::string> out;
  std::size_t start = 0;
  while (start < query.size()) {
    auto amp = query.find('&', start);
    if (amp == std::string_view::npos) amp = query.size();
    auto item = query.substr(start, amp - start);
    start = amp + 1;
    if (item.empty()) continue;
    auto eq = item.find('=');
    auto key = url_decode(item.substr(0, eq));
    if (!key) return fail(key.error());
    auto value = url_decode(eq == std::string_view::npos ? "" : item.substr(eq + 1));
    if (!value) return fail(value.error());
    out[*key] = *value;
  }
  return out;
}

ApiResponse json_response(const google::protobuf::Message& message, unsigned status) {
  return ApiResponse{status, to_json(message)};
}

ApiResponse error_response(unsigned status, std::string_view code, std::string_view message,
                           std::string_view field) {
  v1::api::ErrorBody body;
  body.set_code(std::string(code));
  body.set_message(std::string(message));
  body.set_field(std::string(field));
  return json_response(body, status);
}

ApiResponse error_response(const Error& error) {
  static const std::map<std::string, unsigned, std::less<>> kStatus = {
      {"bad_request", 400}, {"bad_duration", 400}, {"bad_role", 400},      {"bad_address", 400},
      {"unauthorized", 401}, {"forbidden", 403},   {"not_found", 404},     {"user_exists", 409},
      {"conflict", 409},     {"device_offline", 409}, {"timeout", 504},
  };
  auto it = kStatus.find(error.code);
  unsigned status = it == kStatus.end() ? 500 : it->second;
  if (status == 500) return error_response(500, "internal", "internal error; see the relay log");
  return error_response(status, error.code, error.message);
}

std::optional<ApiResponse> parse_body(const ApiRequest& request,
                                      google::protobuf::Message& message) {
  auto parsed = parse_json_detailed(request.body, message);
  if (parsed) return std::nullopt;
  return error_response(400, "bad_request", parsed.error().message, parsed.error().field);
}

namespace {

// Whether `path` matches `pattern` ("{name}" segments match anything and
// are collected into `params`).
[[nodiscard]] bool match_segments(const std::vector<std::string>& pattern,
                                  const std::vector<std::string>& path,
                                  std::map<std::string, std::string>& params) {
  if (pattern.size() != path.size()) return false;
  for (std::size_t i = 0; i < path.size(); ++i) {
    const auto& want = pattern[i];
    if (want.size() > 2 && want.front() == '{' && want.back() == '}') {
      // A parameter may carry percent-encoded characters (":" in "helpline:printing").
      auto decoded = url_decode(path[i]);
      params[want.substr(1, want.size() - 2)] = decoded ? *decoded : path[i];
    } else if (want != path[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

void Router::add(http::verb method, std::string pattern, std::optional<Role> min_role,
                 Handler handler) {
  routes_.push_back(Route{method, split_path(pattern), min_role, std::move(handler)});
}

void Router::add_upload(http::verb method, std::string pattern, Role min_role,
                        std::uint64_t max_body, Handler handler) {
  routes_.push_back(Route{method, split_path(pattern), min_role, std::move(handler), max_body});
}

const Router::Route* Router::match(http::verb method, std::string_view path,
                                   std::map<std::string, std::string>* params,
                                   bool* path_matched) const {
  auto segments = split_path(path);
  for (const auto& route : routes_) {
    std::map<std::string, std::string> found;
    if (!match_segments(route.segments, segments, found)) continue;
    if (path_matched != nullptr) *path_matched = true;
    if (route.method != method) continue;
    if (params != nullptr) *params = std::move(found);
    return &route;
  }
  return nullptr;
}

std::uint64_t Router::body_limit(http::verb method, std::string_view path,
                                 std::uint64_t fallback) const {
  const Route* route = match(method, path, nullptr, nullptr);
  return route != nullptr && route->max_body != 0 ? route->max_body : fallback;
}

boost::asio::awaitable<ApiResponse> Router::dispatch(ApiRequest& request) {
  bool path_matched = false;
  std::map<std::string, std::string> params;
  const Route* route = match(request.method, request.path, &params, &path_matched);
  if (route == nullptr) {
    if (path_matched) {
      co_return error_response(405, "method_not_allowed", "method not allowed here");
    }
    co_return error_response(404, "not_found", "no such API path: " + request.path);
  }
  request.params = std::move(params);
  if (route->min_role) {
    if (auto refused = authenticate(request, *route->min_role)) co_return std::move(*refused);
  }
  co_return co_await route->handler(request);
}

std::optional<ApiResponse> Router::authenticate(ApiRequest& request, Role min_role) {
  if (request.bearer.empty()) {
    return error_response(401, "unauthorized", "log in first: this call needs a bearer token");
  }
  auto user = store_.user_for_api_token(auth::token_hash(request.bearer), unix_now_ms());
  if (!user) return error_response(user.error());
  if (!user->has_value()) {
    return error_response(401, "unauthorized", "the token is unknown or expired; log in again");
  }
  if ((*user)->role < min_role) {
    return error_response(403, "forbidden",
                          "role '" + std::string(to_string((*user)->role)) +
                              "' may not do this; it needs '" + to_string(min_role) +
                              "' or higher");
  }
  request.user = std::move(**user);
  return std::nullopt;
}

void Router::add_websocket(std::string pattern, Role min_role, UpgradeCheck check,
                           WebSocketHandler handler) {
  websocket_routes_.push_back(
      WebSocketRoute{split_path(pattern), min_role, std::move(check), std::move(handler)});
}

Router::Upgrade Router::match_websocket(ApiRequest& request) {
  auto segments = split_path(request.path);
  for (auto& route : websocket_routes_) {
    std::map<std::string, std::string> params;
    if (!match_segments(route.segments, segments, params)) continue;
    if (request.method != boost::beast::http::verb::get) {
      return {error_response(405, "method_not_allowed", "a WebSocket upgrade is a GET"), nullptr};
    }
    request.params = std::move(params);
    if (auto refused = authenticate(request, route.min_role)) return {std::move(refused), nullptr};
    if (route.check) {
      if (auto refused = route.check(request)) return {std::move(refused), nullptr};
    }
    return {std::nullopt, &route.handler};
  }
  return {error_response(404, "not_found", "no WebSocket at " + request.path), nullptr};
}

}  // namespace helpline::relay::api
