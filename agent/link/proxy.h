// HTTP CONNECT proxy support: which proxy (if any) to use for the relay,
// the CONNECT request, and a parser for the proxy's answer.
//
// Sources, in order: the `proxy` key of agent.toml ("none" forces a direct
// connection), then https_proxy / HTTPS_PROXY. no_proxy / NO_PROXY applies
// to the environment's proxy: entries are separated by commas or spaces;
// "*" matches every host; "example.com" matches that host and its
// subdomains; ".example.com" (or "*.example.com") only subdomains; an entry
// with ":port" matches that port only. IP literals match exactly; CIDR
// ranges are not supported. Proxy authentication is not supported.
//
// Everything here is pure: the environment is read into ProxyEnv at the
// edge, so tests pass their own.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "agent/state/agent_state.h"
#include "common/core/result.h"

namespace helpline::agent {

struct ProxyEnv {
  std::string https_proxy;  // https_proxy, else HTTPS_PROXY
  std::string no_proxy;     // no_proxy, else NO_PROXY

  [[nodiscard]] static ProxyEnv from_environment();
};

// "http://host:port", "http://host" (port 80) or "host:port".
// Errors: "bad_proxy" (https:// proxies, credentials, paths, bad host/port).
[[nodiscard]] Result<Endpoint> parse_proxy_url(std::string_view url);

// Whether `no_proxy` exempts `host`:`port` from the proxy.
[[nodiscard]] bool no_proxy_matches(std::string_view no_proxy, std::string_view host,
                                    std::uint16_t port);

// The proxy to use for `relay`, or std::nullopt for a direct connection.
// `configured` is agent.toml's proxy value. Errors: "bad_proxy", naming
// the source ("agent.toml: proxy", "https_proxy").
[[nodiscard]] Result<std::optional<Endpoint>> choose_proxy(
    const ProxyEnv& env, const std::optional<std::string>& configured, const Endpoint& relay);

// "CONNECT host:port HTTP/1.1" with Host and User-Agent headers.
[[nodiscard]] std::string make_connect_request(const Endpoint& target);

inline constexpr std::size_t kMaxProxyResponseHeader = 8u * 1024;

// The proxy's answer to CONNECT, fed in any split. put() consumes bytes up
// to and including the blank line that ends the header and no further:
// whatever follows belongs to the tunnel (TLS). Once done(), put() consumes
// nothing.
//
// Errors: "proxy_refused" for a non-2xx status, naming it ("407 Proxy
// Authentication Required"); "proxy_error" for an answer that is not HTTP
// or a header above kMaxProxyResponseHeader.
class ConnectResponseParser {
 public:
  [[nodiscard]] Result<std::size_t> put(std::span<const std::uint8_t> bytes);
  [[nodiscard]] bool done() const { return done_; }
  [[nodiscard]] int status() const { return status_; }

 private:
  [[nodiscard]] Result<void> parse_status_line();

  std::string header_;
  std::optional<Error> error_;  // sticky: every later put() returns it
  bool done_ = false;
  int status_ = 0;
};

}  // namespace helpline::agent
