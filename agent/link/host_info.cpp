#include "agent/link/host_info.h"

#include <sys/utsname.h>

#include "common/core/files.h"

namespace helpline::agent {
namespace {

constexpr std::size_t kMaxOsReleaseSize = 64u * 1024;
constexpr std::size_t kMaxPrettyName = 200;

[[nodiscard]] std::string clean(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, kMaxPrettyName)) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u != 0x7f) out.push_back(c);
  }
  return out;
}

}  // namespace

std::string pretty_name_from_os_release(std::string_view text) {
  constexpr std::string_view kKey = "PRETTY_NAME=";
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.substr(0, kKey.size()) != kKey) continue;
    std::string_view value = line.substr(kKey.size());
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    // os-release(5) uses shell-style backslash escapes inside quotes.
    std::string out;
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (value[i] == '\\' && i + 1 < value.size()) ++i;
      out.push_back(value[i]);
    }
    return clean(out);
  }
  return {};
}

HostInfo read_host_info() {
  HostInfo info{"localhost", "linux-unknown", ""};
  struct utsname uts {};
  if (::uname(&uts) == 0) {
    if (uts.nodename[0] != '\0') info.hostname = clean(uts.nodename);
    info.platform = "linux-" + clean(uts.machine);
  }
  for (const char* path : {"/etc/os-release", "/usr/lib/os-release"}) {
    auto text = files::read(path, kMaxOsReleaseSize);
    if (!text) continue;
    info.os_release = pretty_name_from_os_release(*text);
    break;
  }
  return info;
}

}  // namespace helpline::agent
