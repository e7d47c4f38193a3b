// agent.toml and host:port parsing. toml++ throws on syntax errors; the
// exception stays inside this file and becomes a Result naming the line.
#include <toml++/toml.h>

#include <charconv>
#include <set>
#include <sstream>

#include "agent/state/agent_state.h"
#include "agent/state/config_toml.h"
#include "common/core/duration.h"

namespace helpline::agent {
namespace {

using detail::bad_field;
using detail::toml_string;

constexpr std::size_t kMaxHostLength = 253;
constexpr std::size_t kMaxIdLength = 128;
constexpr std::size_t kMaxProxyLength = 512;

[[nodiscard]] bool is_dns_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

[[nodiscard]] bool is_ipv6_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' ||
         c == '.';
}

[[nodiscard]] bool is_printable(std::string_view text) {
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return false;
  }
  return true;
}

[[nodiscard]] bool is_device_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdLength) return false;
  for (char c : id) {
    if (!is_dns_char(c)) return false;
  }
  return true;
}

[[nodiscard]] Result<std::string> string_field(const toml::node& node, std::string_view field) {
  const auto* s = node.as_string();
  if (s == nullptr) return bad_field(field, "expected a string");
  return s->get();
}

[[nodiscard]] Result<std::chrono::seconds> heartbeat_field(const toml::node& node) {
  std::chrono::seconds value{0};
  if (const auto* i = node.as_integer(); i != nullptr) {
    if (i->get() <= 0) return bad_field("heartbeat", "must be positive");
    if (i->get() > kMaxHeartbeat.count()) return bad_field("heartbeat", "at most 1h");
    value = std::chrono::seconds(i->get());
  } else if (const auto* s = node.as_string(); s != nullptr) {
    auto parsed = parse_duration(s->get());
    if (!parsed) return bad_field("heartbeat", parsed.error().message);
    value = *parsed;
  } else {
    return bad_field("heartbeat", "expected a duration such as \"30s\"");
  }
  if (value < kMinHeartbeat || value > kMaxHeartbeat) {
    return bad_field("heartbeat", "must be between 1s and 1h");
  }
  return value;
}

[[nodiscard]] Result<UnixMillis> time_field(const toml::node& node, std::string_view field) {
  std::string text;
  if (const auto* dt = node.as_date_time(); dt != nullptr) {
    std::ostringstream os;
    os << dt->get();
    text = os.str();
  } else if (const auto* s = node.as_string(); s != nullptr) {
    text = s->get();
  } else {
    return bad_field(field, "expected an RFC 3339 time such as 2026-11-21T10:00:00Z");
  }
  auto parsed = parse_rfc3339(text);
  if (!parsed) return bad_field(field, parsed.error().message);
  return *parsed;
}

}  // namespace

std::string Endpoint::to_string() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

Result<Endpoint> parse_endpoint(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return fail("bad_endpoint", "'" + std::string(text) + "': " + std::string(why) +
                                    " (expected host:port, e.g. relay.example.com:8443)");
  };
  Endpoint out;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) return bad("missing ']' after an IPv6 address");
    out.host = std::string(text.substr(1, close - 1));
    if (out.host.empty()) return bad("empty host");
    for (char c : out.host) {
      if (!is_ipv6_char(c)) return bad("invalid character in IPv6 address");
    }
    if (close + 1 >= text.size() || text[close + 1] != ':') return bad("expected :port");
    port_text = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad("expected host:port");
    out.host = std::string(text.substr(0, colon));
    if (out.host.empty()) return bad("empty host");
    if (out.host.find(':') != std::string::npos) {
      return bad("put an IPv6 address in brackets, e.g. [2001:db8::1]:8443");
    }
    for (char c : out.host) {
      if (!is_dns_char(c)) return bad("invalid character in host name");
    }
    port_text = text.substr(colon + 1);
  }
  if (out.host.size() > kMaxHostLength) return bad("host name too long");
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
      port == 0 || port > 65535) {
    return bad("port must be a number from 1 to 65535");
  }
  out.port = static_cast<std::uint16_t>(port);
  return out;
}

Result<AgentConfig> parse_agent_config(std::string_view toml_text) {
  toml::table table;
  try {
    table = toml::parse(toml_text);
  } catch (const toml::parse_error& e) {
    return fail("bad_config", std::string(kConfigFile) + ": line " +
                                  std::to_string(e.source().begin.line) + ": " +
                                  std::string(e.description()));
  }

  static const std::set<std::string, std::less<>> kKnown = {
      "relay", "ca_pin", "device_id", "group", "enrolled_at", "heartbeat", "proxy", "collect", "sessions"};
  for (const auto& [key, node] : table) {
    if (kKnown.count(key.str()) == 0) {
      return bad_field(key.str(),
                       "unknown key (expected one of relay, ca_pin, device_id, group, "
                       "enrolled_at, heartbeat, proxy, [collect], [sessions])");
    }
  }

  AgentConfig config;
  auto required = [&](std::string_view field) -> Result<const toml::node*> {
    const toml::node* node = table.get(field);
    if (node == nullptr) return bad_field(field, "missing");
    return node;
  };

  auto relay_node = required("relay");
  if (!relay_node) return fail(relay_node.error());
  auto relay_text = string_field(**relay_node, "relay");
  if (!relay_text) return fail(relay_text.error());
  auto relay = parse_endpoint(*relay_text);
  if (!relay) return bad_field("relay", relay.error().message);
  config.relay = *relay;

  auto pin_node = required("ca_pin");
  if (!pin_node) return fail(pin_node.error());
  auto pin = string_field(**pin_node, "ca_pin");
  if (!pin) return fail(pin.error());
  if (pin->size() != 71 || pin->rfind("SHA256:", 0) != 0 ||
      pin->find_first_not_of("0123456789abcdef", 7) != std::string::npos) {
    return bad_field("ca_pin", "expected SHA256: followed by 64 lowercase hex digits");
  }
  config.ca_pin = *pin;

  auto id_node = required("device_id");
  if (!id_node) return fail(id_node.error());
  auto id = string_field(**id_node, "device_id");
  if (!id) return fail(id.error());
  if (!is_device_id(*id)) {
    return bad_field("device_id", "expected letters, digits, '-', '_' or '.', at most 128");
  }
  config.device_id = *id;

  if (const toml::node* node = table.get("group"); node != nullptr) {
    auto group = string_field(*node, "group");
    if (!group) return fail(group.error());
    if (group->size() > kMaxIdLength || !is_printable(*group)) {
      return bad_field("group", "expected printable text, at most 128 characters");
    }
    config.group = *group;
  }

  auto enrolled_node = required("enrolled_at");
  if (!enrolled_node) return fail(enrolled_node.error());
  auto enrolled = time_field(**enrolled_node, "enrolled_at");
  if (!enrolled) return fail(enrolled.error());
  config.enrolled_at = *enrolled;

  if (const toml::node* node = table.get("heartbeat"); node != nullptr) {
    auto heartbeat = heartbeat_field(*node);
    if (!heartbeat) return fail(heartbeat.error());
    config.heartbeat = *heartbeat;
  }

  if (const toml::node* node = table.get("proxy"); node != nullptr) {
    auto proxy = string_field(*node, "proxy");
    if (!proxy) return fail(proxy.error());
    if (proxy->empty() || proxy->size() > kMaxProxyLength || !is_printable(*proxy)) {
      return bad_field("proxy", "expected \"http://host:port\" or \"none\"");
    }
    config.proxy = *proxy;
  }

  if (const toml::node* node = table.get("collect"); node != nullptr) {
    auto collect = detail::parse_collect_table(*node);
    if (!collect) return fail(collect.error());
    config.collect = std::move(*collect);
  }
  if (const toml::node* node = table.get("sessions"); node != nullptr) {
    auto sessions = detail::parse_sessions_table(*node);
    if (!sessions) return fail(sessions.error());
    config.sessions = std::move(*sessions);
  }
  return config;
}

std::string render_agent_config(const AgentConfig& config) {
  std::string out =
      "# helpline-agent state, written by `helpline-agent enroll`.\n"
      "# relay, ca_pin and device_id come from enrollment; heartbeat and proxy may be edited.\n";
  out += "relay = " + toml_string(config.relay.to_string()) + "\n";
  out += "ca_pin = " + toml_string(config.ca_pin) + "\n";
  out += "device_id = " + toml_string(config.device_id) + "\n";
  out += "group = " + toml_string(config.group) + "\n";
  // format_rfc3339 writes "" for 0, which would not be TOML.
  out += "enrolled_at = " +
         (config.enrolled_at == 0 ? std::string("1970-01-01T00:00:00Z")
                                  : format_rfc3339(config.enrolled_at)) +
         "\n";
  out += "heartbeat = " + toml_string(format_duration(config.heartbeat)) + "\n";
  if (config.proxy) out += "proxy = " + toml_string(*config.proxy) + "\n";
  // A table comes after every top-level key.
  out += detail::render_collect_table(config.collect);
  out += detail::render_sessions_table(config.sessions);
  return out;
}

}  // namespace helpline::agent
