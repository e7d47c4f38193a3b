// The technician API's routing: method + path pattern ("/api/v1/devices/{id}")
// to a coroutine handler, with authentication (bearer token) and the least
// role a route needs checked before the handler runs.
//
// Thread: the relay's io_context thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/verb.hpp>
#include <google/protobuf/message.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/core/result.h"
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
  std::string remote;
  std::optional<User> user;                      // set once authenticated
};

struct ApiResponse {
  unsigned status = 200;
  std::string body;                              // JSON unless content_type says otherwise
  std::string content_type = "application/json";
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

class Router {
 public:
  explicit Router(Store& store) : store_(store) {}

  // `min_role` empty: the route needs no login (health, login).
  void add(boost::beast::http::verb method, std::string pattern, std::optional<Role> min_role,
           Handler handler);

  [[nodiscard]] boost::asio::awaitable<ApiResponse> dispatch(ApiRequest& request);

 private:
  struct Route {
    boost::beast::http::verb method;
    std::vector<std::string> segments;
    std::optional<Role> min_role;
    Handler handler;
  };

  Store& store_;
  std::vector<Route> routes_;
};

// Splits "a=1&b=x%20y" into decoded pairs. Errors: "bad_request".
[[nodiscard]] Result<std::map<std::string, std::string>> parse_query(std::string_view query);

}  // namespace helpline::relay::api
