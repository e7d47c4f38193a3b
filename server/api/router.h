// The technician API's routing: method + path pattern ("/api/v1/devices/{id}")
// to a coroutine handler, with authentication (bearer token) and the least
// role a route needs checked before the handler runs.
//
// Thread: the relay's io_context thread.
#pragma once

#include <google/protobuf/message.h>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/verb.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/core/result.h"
#include "server/net/websocket.h"
#include "server/store/store.h"

namespace helpline::relay::api {

struct ApiRequest {
  boost::beast::http::verb method = boost::beast::http::verb::get;
  std::string path;                              // without the query
  std::map<std::string, std::string> query;      // decoded
  std::map<std::string, std::string> params;     // from {name} segments
  std::string body;
  std::string bearer;                            // the Authorization token, if any
  std::string idempotency_key;                   // the Idempotency-Key header, if any
  std::string content_type;                      // the Content-Type header, if any
  std::string remote;
  std::optional<User> user;                      // set once authenticated
};

struct ApiResponse {
  unsigned status = 200;
  std::string body;                              // JSON unless content_type says otherwise
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers{};  // more, e.g. Content-Disposition
};

// Helpers every handler uses.
[[nodiscard]] ApiResponse json_response(const google::protobuf::Message& message,
                                        unsigned status = 200);
[[nodiscard]] ApiResponse error_response(unsigned status, std::string_view code,
                                         std::string_view message, std::string_view field = {});
// Maps a Result error code to its HTTP status (not_found 404, forbidden 403, ...).
[[nodiscard]] ApiResponse error_response(const Error& error);
// Parses the body into `message`; on failure returns the 400 to send.
[[nodiscard]] std::optional<ApiResponse> parse_body(const ApiRequest& request,
                                                    google::protobuf::Message& message);

using Handler = std::function<boost::asio::awaitable<ApiResponse>(ApiRequest&)>;
// Serves a WebSocket the listener accepted for an upgrade request (GET);
// returns when the connection is done.
using WebSocketHandler =
    std::function<boost::asio::awaitable<void>(ApiRequest&, net::WebSocket&)>;
// Checks an upgrade request before the handshake is answered (so a refusal
// is a plain HTTP error); nullopt: go ahead.
using UpgradeCheck = std::function<std::optional<ApiResponse>(ApiRequest&)>;

class Router {
 public:
  explicit Router(Store& store) : store_(store) {}

  // `min_role` empty: the route needs no login (health, login).
  void add(boost::beast::http::verb method, std::string pattern, std::optional<Role> min_role,
           Handler handler);
  // A route with a body limit of its own (an upload): `max_body` bytes
  // instead of api.max_body.
  void add_upload(boost::beast::http::verb method, std::string pattern, Role min_role,
                  std::uint64_t max_body, Handler handler);

  // The body limit for a request, known from its header: the route's own
  // (add_upload) or `fallback`.
  [[nodiscard]] std::uint64_t body_limit(boost::beast::http::verb method, std::string_view path,
                                         std::uint64_t fallback) const;

  [[nodiscard]] boost::asio::awaitable<ApiResponse> dispatch(ApiRequest& request);

  // A WebSocket route (upgrade of a GET): authenticated and role-checked
  // like add(), then `check`, then the handshake, then `handler`.
  void add_websocket(std::string pattern, Role min_role, UpgradeCheck check,
                     WebSocketHandler handler);
  // For an upgrade request: the handler to run after the handshake, or the
  // HTTP refusal to send instead (401, 403, 404, the check's).
  struct Upgrade {
    std::optional<ApiResponse> refusal;
    const WebSocketHandler* handler = nullptr;
  };
  [[nodiscard]] Upgrade match_websocket(ApiRequest& request);

 private:
  struct Route {
    boost::beast::http::verb method;
    std::vector<std::string> segments;
    std::optional<Role> min_role;
    Handler handler;
    std::uint64_t max_body = 0;  // 0: the server's api.max_body
  };

  struct WebSocketRoute {
    std::vector<std::string> segments;
    Role min_role;
    UpgradeCheck check;
    WebSocketHandler handler;
  };
  // Sets request.user, or returns the 401/403 to send.
  [[nodiscard]] std::optional<ApiResponse> authenticate(ApiRequest& request, Role min_role);
  // The route `path` matches with `method`, its path parameters in `params`
  // (decoded); null when none does. `path_matched`: some route has the path.
  [[nodiscard]] const Route* match(boost::beast::http::verb method, std::string_view path,
                                   std::map<std::string, std::string>* params,
                                   bool* path_matched) const;

  Store& store_;
  std::vector<Route> routes_;
  std::vector<WebSocketRoute> websocket_routes_;
};

// Splits "a=1&b=x%20y" into decoded pairs. Errors: "bad_request".
[[nodiscard]] Result<std::map<std::string, std::string>> parse_query(std::string_view query);

}  // namespace helpline::relay::api
