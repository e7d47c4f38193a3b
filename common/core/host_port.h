// "host:port" as given on command lines and in config: "relay.example.org:8443",
// "127.0.0.1:0", "[::1]:8443". Port 0 means "any free port" where a listener
// takes it; a client needs a real port.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/core/result.h"

namespace helpline {

struct HostPort {
  std::string host;   // without brackets
  std::uint16_t port = 0;

  // Back to text, bracketing IPv6 literals.
  [[nodiscard]] std::string to_string() const;
};

// Errors: "bad_address" naming the text and what is wrong.
[[nodiscard]] Result<HostPort> parse_host_port(std::string_view text, bool allow_port_zero = false);

}  // namespace helpline
