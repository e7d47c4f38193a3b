#include "agent/link/proxy.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <vector>

namespace helpline::agent {
namespace {

[[nodiscard]] std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  });
  return out;
}

[[nodiscard]] std::string getenv_first(const char* a, const char* b) {
  if (const char* v = std::getenv(a); v != nullptr && *v != '\0') return v;
  if (const char* v = std::getenv(b); v != nullptr && *v != '\0') return v;
  return {};
}

// One no_proxy entry split into host pattern and optional port.
struct NoProxyEntry {
  std::string host;
  std::optional<std::uint16_t> port;
};

[[nodiscard]] std::optional<NoProxyEntry> parse_no_proxy_entry(std::string_view entry) {
  NoProxyEntry out;
  std::string_view host = entry;
  std::string_view port_text;
  if (!entry.empty() && entry.front() == '[') {
    auto close = entry.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = entry.substr(1, close - 1);
    if (close + 1 < entry.size()) {
      if (entry[close + 1] != ':') return std::nullopt;
      port_text = entry.substr(close + 2);
    }
  } else if (auto colon = entry.find(':'); colon != std::string_view::npos &&
                                           entry.find(':', colon + 1) == std::string_view::npos) {
    host = entry.substr(0, colon);
    port_text = entry.substr(colon + 1);
  }
  if (!port_text.empty()) {
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
      return std::nullopt;
    }
    out.port = static_cast<std::uint16_t>(port);
  }
  if (host.substr(0, 2) == "*.") host.remove_prefix(1);  // "*.example.com" == ".example.com"
  out.host = lower(host);
  while (!out.host.empty() && out.host.back() == '.') out.host.pop_back();
  return out;
}

[[nodiscard]] bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

[[nodiscard]] bool is_ip_literal(const std::string& host) {
  unsigned char buf[sizeof(struct in6_addr)];
  return ::inet_pton(AF_INET, host.c_str(), buf) == 1 ||
         ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

[[nodiscard]] tl::unexpected<Error> proxy_error(std::string why) {
  return fail("proxy_error", "proxy answered CONNECT with " + why);
}

// What a peer sent, made safe to print on one line.
[[nodiscard]] std::string printable(std::string_view text, std::size_t max) {
  std::string out;
  for (char c : text.substr(0, max)) {
    auto u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u >= 0x7f ? '?' : c);
  }
  return out;
}

}  // namespace

ProxyEnv ProxyEnv::from_environment() {
  return ProxyEnv{getenv_first("https_proxy", "HTTPS_PROXY"), getenv_first("no_proxy", "NO_PROXY")};
}

Result<Endpoint> parse_proxy_url(std::string_view url) {
  auto bad = [&](std::string_view why) {
    return fail("bad_proxy", "'" + printable(url, 200) + "': " + std::string(why) +
                                 " (expected http://host:port)");
  };
  std::string_view rest = url;
  std::string scheme;
  if (auto sep = rest.find("://"); sep != std::string_view::npos) {
    scheme = lower(rest.substr(0, sep));
    rest.remove_prefix(sep + 3);
    if (scheme == "https") return bad("TLS to the proxy is not supported; use http://");
    if (scheme != "http") return bad("unsupported scheme '" + scheme + "'");
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find('@') != std::string_view::npos) return bad("proxy credentials are not supported");
  if (rest.find('/') != std::string_view::npos) return bad("a proxy URL has no path");
  if (rest.empty()) return bad("empty host");
  // Without a port, http:// means 80 (as Go and most HTTP clients read it).
  bool has_port = rest.back() != ']' && rest.find(':') != std::string_view::npos;
  if (!has_port && !scheme.empty()) {
    auto endpoint = parse_endpoint(std::string(rest) + ":80");
    if (!endpoint) return bad(endpoint.error().message);
    return endpoint;
  }
  auto endpoint = parse_endpoint(rest);
  if (!endpoint) return bad("expected host:port");
  return endpoint;
}

bool no_proxy_matches(std::string_view no_proxy, std::string_view host, std::uint16_t port) {
  std::string target = lower(host);
  while (!target.empty() && target.back() == '.') target.pop_back();
  // An address is not a domain: "0.0.5" must not cover 10.0.0.5.
  const bool target_is_ip = is_ip_literal(target);
  std::size_t pos = 0;
  while (pos < no_proxy.size()) {
    std::size_t end = no_proxy.find_first_of(", \t", pos);
    if (end == std::string_view::npos) end = no_proxy.size();
    std::string_view raw = no_proxy.substr(pos, end - pos);
    pos = end + 1;
    if (raw.empty()) continue;
    if (raw == "*") return true;
    auto entry = parse_no_proxy_entry(raw);
    if (!entry || entry->host.empty()) continue;
    if (entry->port && *entry->port != port) continue;
    if (target_is_ip) {
      if (target == entry->host) return true;
      continue;
    }
    if (entry->host.front() == '.') {
      if (ends_with(target, entry->host)) return true;  // subdomains only
      continue;
    }
    if (target == entry->host) return true;
    if (ends_with(target, "." + entry->host)) return true;
  }
  return false;
}

Result<std::optional<Endpoint>> choose_proxy(const ProxyEnv& env,
                                             const std::optional<std::string>& configured,
                                             const Endpoint& relay) {
  if (configured) {
    if (lower(*configured) == "none") return std::optional<Endpoint>();
    auto proxy = parse_proxy_url(*configured);
    if (!proxy) {
      return fail("bad_proxy", std::string(kConfigFile) + ": proxy: " + proxy.error().message);
    }
    return std::optional<Endpoint>(*proxy);
  }
  if (env.https_proxy.empty()) return std::optional<Endpoint>();
  if (no_proxy_matches(env.no_proxy, relay.host, relay.port)) return std::optional<Endpoint>();
  auto proxy = parse_proxy_url(env.https_proxy);
  if (!proxy) return fail("bad_proxy", "https_proxy: " + proxy.error().message);
  return std::optional<Endpoint>(*proxy);
}

std::string make_connect_request(const Endpoint& target) {
  // The host was validated by parse_endpoint (no spaces, CR or LF).
  std::string authority = target.to_string();
  return "CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority +
         "\r\nUser-Agent: helpline-agent/" HELPLINE_VERSION "\r\n\r\n";
}

Result<std::size_t> ConnectResponseParser::put(std::span<const std::uint8_t> bytes) {
  if (error_) return fail(*error_);
  if (done_) return std::size_t{0};
  std::size_t old_size = header_.size();
  // Never hold more than the limit plus one byte (to tell "too large").
  std::size_t room = kMaxProxyResponseHeader + 1 - old_size;
  std::size_t take = std::min(bytes.size(), room);
  header_.append(reinterpret_cast<const char*>(bytes.data()), take);

  // The terminator may straddle the previous chunk.
  std::size_t from = old_size >= 3 ? old_size - 3 : 0;
  std::size_t crlf = header_.find("\r\n\r\n", from);
  std::size_t lf = header_.find("\n\n", from);
  std::size_t end = std::string::npos;
  if (crlf != std::string::npos) end = crlf + 4;
  if (lf != std::string::npos && (end == std::string::npos || lf + 2 < end)) end = lf + 2;

  if (end == std::string::npos || end > kMaxProxyResponseHeader) {
    if (header_.size() > kMaxProxyResponseHeader) {
      error_ =
          proxy_error("a header larger than " + std::to_string(kMaxProxyResponseHeader) + " bytes")
              .value();
      return fail(*error_);
    }
    return take;
  }
  header_.resize(end);
  done_ = true;
  auto status = parse_status_line();
  if (!status) {
    done_ = false;
    error_ = status.error();
    return fail(*error_);
  }
  return end - old_size;
}

Result<void> ConnectResponseParser::parse_status_line() {
  std::string_view line = header_;
  line = line.substr(0, line.find('\n'));
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  // "HTTP/1.x SP 3DIGIT [SP reason]"
  if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." ||
      !std::isdigit(static_cast<unsigned char>(line[7])) || line[8] != ' ') {
    return proxy_error("something that is not HTTP/1.x: '" + printable(line, 80) + "'");
  }
  int code = 0;
  auto [ptr, ec] = std::from_chars(line.data() + 9, line.data() + 12, code);
  if (ec != std::errc() || ptr != line.data() + 12 || code < 100 ||
      (line.size() > 12 && line[12] != ' ')) {
    return proxy_error("a bad status line: '" + printable(line, 80) + "'");
  }
  status_ = code;
  if (code >= 200 && code < 300) return {};
  std::string reason = line.size() > 13 ? printable(line.substr(13), 100) : std::string();
  std::string what = std::to_string(code) + (reason.empty() ? "" : " " + reason);
  std::string hint;
  if (code == 407) hint = " (proxy authentication is not supported; allow the relay's address)";
  if (code == 403) hint = " (the proxy does not allow tunnels to the relay's address and port)";
  return fail("proxy_refused", "proxy refused the tunnel to the relay: " + what + hint);
}

}  // namespace helpline::agent
