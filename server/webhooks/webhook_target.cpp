#include "server/webhooks/webhook_target.h"

#include <algorithm>
#include <charconv>
#include <filesystem>

#include "common/tls/crypto.h"

namespace helpline::relay::webhooks {
namespace {

constexpr std::size_t kMaxUrl = 2048;

[[nodiscard]] tl::unexpected<Error> bad(std::string_view prefix, std::string_view field,
                                        std::string_view why) {
  return fail("bad_value", std::string(prefix) + std::string(field) + ": " + std::string(why));
}

[[nodiscard]] bool is_name(std::string_view id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

}  // namespace

std::chrono::milliseconds retry_delay(const Settings& settings, int attempts) {
  auto delay = settings.retry_base;
  for (int i = 1; i < attempts && delay < settings.retry_max; ++i) delay *= 2;
  return std::min(delay, settings.retry_max);
}

std::string Url::host_header() const {
  std::string host_text = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  const std::uint16_t standard = tls ? 443 : 80;
  return port == standard ? host_text : host_text + ":" + std::to_string(port);
}

Result<Url> parse_url(std::string_view text) {
  if (text.size() > kMaxUrl) return bad("", "url", "longer than 2048 bytes");
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f) {
      return bad("", "url", "contains a space, a control or a non-ASCII character");
    }
  }
  Url url;
  std::string_view rest;
  if (text.substr(0, 8) == "https://") {
    url.tls = true;
    rest = text.substr(8);
  } else if (text.substr(0, 7) == "http://") {
    rest = text.substr(7);
  } else {
    return bad("", "url", "must start with http:// or https://");
  }
  if (rest.find('#') != std::string_view::npos) return bad("", "url", "has a fragment (#...)");
  const auto slash = std::min(rest.find('/'), rest.find('?'));
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    url.target = std::string(rest.substr(slash));
    if (url.target.front() == '?') url.target = "/" + url.target;
  }
  if (authority.find('@') != std::string_view::npos) {
    return bad("", "url", "has user info (user@); put credentials in the secret, not the URL");
  }
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return bad("", "url", "unclosed '[' in the host");
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("", "url", "unexpected text after the host");
      port_text = after.substr(1);
    }
  } else {
    auto colon = authority.find(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (url.host.empty()) return bad("", "url", "names no host");
  url.port = url.tls ? 443 : 80;
  if (!port_text.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || value == 0 ||
        value > 65535) {
      return bad("", "url", "the port must be 1..65535");
    }
    url.port = static_cast<std::uint16_t>(value);
  }
  return url;
}

Result<void> check_target(const Target& target, std::string_view prefix) {
  if (!is_name(target.id)) return bad(prefix, "id", "1 to 64 of a-z 0-9 _ -");
  auto url = parse_url(target.url);
  if (!url) return fail("bad_value", std::string(prefix) + url.error().message);
  if (target.secret.size() < kMinSecret || target.secret.size() > kMaxSecret) {
    return bad(prefix, "secret", "16 to 256 characters (a long random string)");
  }
  for (char c : target.secret) {
    if (c < 0x21 || c > 0x7e) return bad(prefix, "secret", "printable ASCII characters only");
  }
  for (std::size_t i = 0; i < target.events.size(); ++i) {
    if (std::find(kEventNames.begin(), kEventNames.end(), target.events[i]) == kEventNames.end()) {
      return bad(prefix, "events[" + std::to_string(i) + "]",
                 "'" + target.events[i].substr(0, 40) +
                     "' is not ticket.created, ticket.status_changed, ticket.sla_breach, "
                     "ticket.escalated or ticket.notify");
    }
  }
  if (!target.ca_file.empty()) {
    if (!url->tls) return bad(prefix, "ca_file", "only for https URLs");
    std::filesystem::path path(target.ca_file);
    std::error_code ec;
    if (!path.is_absolute() || !std::filesystem::is_regular_file(path, ec)) {
      return bad(prefix, "ca_file", "must be the absolute path of a PEM file on the relay");
    }
  }
  return {};
}

std::string generate_secret() { return tls::random_token(32); }

std::string signature(std::string_view secret, std::string_view timestamp, std::string_view body) {
  std::string signed_text;
  signed_text.reserve(timestamp.size() + 1 + body.size());
  signed_text.append(timestamp).append(".").append(body);
  return "sha256=" + tls::hmac_sha256_hex(secret, signed_text);
}

}  // namespace helpline::relay::webhooks
