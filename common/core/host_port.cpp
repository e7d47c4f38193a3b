#include "common/core/host_port.h"

#include <charconv>

namespace helpline {

std::string HostPort::to_string() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

Result<HostPort> parse_host_port(std::string_view text, bool allow_port_zero) {
  auto bad = [&](std::string_view why) {
    return fail("bad_address", "invalid address '" + std::string(text) + "': " + std::string(why) +
                                   " (expected HOST:PORT, e.g. relay.example.org:8443)");
  };
  if (text.empty() || text.size() > 300) return bad("empty or too long");
  HostPort out;
  std::string_view port_text;
  if (text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return bad("unbalanced brackets");
    }
    out.host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad("missing port");
    if (text.substr(0, colon).find(':') != std::string_view::npos) {
      return bad("IPv6 addresses need brackets");
    }
    out.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  }
  if (out.host.empty()) return bad("missing host");
  for (char c : out.host) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == ':' || c == '_' || c == '%';
    if (!ok) return bad("host has a character that is not allowed");
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
      value > 65535) {
    return bad("port must be a number from 1 to 65535");
  }
  if (value == 0 && !allow_port_zero) return bad("port 0 is only valid for a listener");
  out.port = static_cast<std::uint16_t>(value);
  return out;
}

}  // namespace helpline
