// Facts about this machine that the agent reports in Hello and
// EnrollRequest: host name, platform, OS release.
#pragma once

#include <string>
#include <string_view>

namespace helpline::agent {

struct HostInfo {
  std::string hostname;    // uname's nodename; "localhost" if unknown
  std::string platform;    // "linux-<machine>", e.g. "linux-x86_64"
  std::string os_release;  // PRETTY_NAME from os-release, "" if unknown
};

// Reads uname(2) and /etc/os-release (or /usr/lib/os-release). Never fails:
// what cannot be read is left at its fallback.
[[nodiscard]] HostInfo read_host_info();

// PRETTY_NAME from os-release text, unquoted; "" when absent.
[[nodiscard]] std::string pretty_name_from_os_release(std::string_view text);

}  // namespace helpline::agent
