// What a webhook is and how its requests are signed: the pure part of
// server/webhooks, shared with server/config (relay.toml) and the API.
//
// Thread: values and pure functions; safe from any thread.
// Errors: "bad_value" whose message starts with the field ("url: ...").
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/result.h"

namespace helpline::relay::webhooks {

// Event names in payloads, headers and `events` filters. "ping" is only
// sent on request (a test delivery), to one webhook.
inline constexpr std::array<std::string_view, 5> kEventNames{
    "ticket.created", "ticket.status_changed", "ticket.sla_breach", "ticket.escalated",
    "ticket.notify"};
inline constexpr std::string_view kPingEvent = "ping";

inline constexpr std::size_t kMinSecret = 16;
inline constexpr std::size_t kMaxSecret = 256;

// How deliveries are retried and kept ([webhooks] in relay.toml).
struct Settings {
  int max_attempts = 10;                                 // 1..100, then the delivery is failed
  std::chrono::milliseconds retry_base{10'000};          // first retry after this (>= 1s)
  std::chrono::milliseconds retry_max{3'600'000};        // backoff cap
  std::chrono::milliseconds timeout{10'000};             // connect + send + answer, per attempt
  std::chrono::milliseconds keep{7LL * 24 * 3'600'000};  // finished deliveries kept this long
};

// The wait before attempt `attempts + 1` after `attempts` failed ones:
// retry_base * 2^(attempts - 1), at most retry_max.
[[nodiscard]] std::chrono::milliseconds retry_delay(const Settings& settings, int attempts);

struct Url {
  bool tls = false;  // https
  std::string host;  // without brackets
  std::uint16_t port = 0;
  std::string target = "/";  // path and query, as sent in the request line

  [[nodiscard]] std::string host_header() const;
};

// "http://HOST[:PORT]/path?query" or "https://...". No user info, no
// fragment, no whitespace or control characters; at most 2048 bytes.
// Errors: "bad_value" ("url: ...").
[[nodiscard]] Result<Url> parse_url(std::string_view text);

// A webhook as configured or created: validated before it is stored.
struct Target {
  std::string id;  // 1-64 of a-z 0-9 _ -
  std::string url;
  std::string secret;               // 16-256 printable ASCII characters
  std::vector<std::string> events;  // kEventNames entries; empty: all
  std::string ca_file;              // absolute path of a PEM file; only for https
  bool enabled = true;              // false: kept, but sent nothing
};

// Checks every field; `prefix` is put before field names in errors
// ("webhooks.target[1].").
[[nodiscard]] Result<void> check_target(const Target& target, std::string_view prefix = {});

// A fresh random secret (43 characters of base64url).
[[nodiscard]] std::string generate_secret();

// "sha256=" + lowercase hex of HMAC-SHA256(secret, timestamp + "." + body).
[[nodiscard]] std::string signature(std::string_view secret, std::string_view timestamp,
                                    std::string_view body);

}  // namespace helpline::relay::webhooks
