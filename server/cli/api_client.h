// A small synchronous HTTPS client for the relay's JSON API. The relay is
// verified by its CA pin (the CA's fingerprint must be in the presented
// chain) and by name; there is no way to skip verification.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/core/result.h"

namespace helpline::cli {

struct Url {
  std::string host;
  std::string port;
};
// Accepts "https://HOST[:PORT]" (default port 8444). Errors: "bad_url".
[[nodiscard]] Result<Url> parse_url(std::string_view url);

// Percent-encodes all but unreserved characters: user text in query
// strings and path segments.
[[nodiscard]] std::string url_encode(std::string_view text);
// Appends "?name=value" (or "&name=value" after the first), the value encoded.
void add_query(std::string& query, std::string_view name, std::string_view value);

struct HttpReply {
  unsigned status = 0;
  std::string body;
};

class ApiClient {
 public:
  ApiClient(Url url, std::string ca_pin, std::string token = {})
      : url_(std::move(url)), ca_pin_(std::move(ca_pin)), token_(std::move(token)) {}

  // One request on a fresh connection. Errors: "connect_failed",
  // "tls_handshake" (with the verification reason, e.g. a pin mismatch),
  // "http_error". An HTTP error status is not an Error: check reply.status.
  // `body` is sent as `content_type` when not empty.
  [[nodiscard]] Result<HttpReply> call(std::string_view method, std::string_view path,
                                       std::string_view body = {},
                                       std::chrono::seconds timeout = std::chrono::seconds(60),
                                       std::string_view content_type = "application/json");

  [[nodiscard]] const Url& url() const { return url_; }
  [[nodiscard]] const std::string& ca_pin() const { return ca_pin_; }
  [[nodiscard]] const std::string& token() const { return token_; }

 private:
  Url url_;
  std::string ca_pin_;
  std::string token_;
};

}  // namespace helpline::cli
