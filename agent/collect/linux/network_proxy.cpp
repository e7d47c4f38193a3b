// network.proxy: proxy variables in the agent's environment and in
// /etc/environment. Values may hold credentials (http://user:pass@host);
// the redactor passed to collect_bundle removes them.
#include <cstdlib>

#include "agent/collect/linux/collectors.h"
#include "agent/collect/linux/source_files.h"
#include "agent/collect/text.h"

namespace helpline::agent::collect::linux_impl {
namespace {

constexpr std::string_view kVariables[] = {"http_proxy", "https_proxy", "ftp_proxy",   "all_proxy",
                                           "no_proxy",   "HTTP_PROXY",  "HTTPS_PROXY", "FTP_PROXY",
                                           "ALL_PROXY",  "NO_PROXY"};

void add(pb::NetworkInfo& net, std::string_view variable, std::string_view value,
         std::string_view source) {
  pb::ProxySetting& p = *net.add_proxies();
  p.set_variable(std::string(variable));
  p.set_value(clean(value, 2048));
  p.set_source(std::string(source));
}

}  // namespace

Result<void> collect_network_proxy(Context& context, pb::DiagnosticBundle& out) {
  pb::NetworkInfo& net = *out.mutable_network();
  if (context.live()) {
    for (std::string_view name : kVariables) {
      // getenv is safe here: the agent never calls setenv after start-up.
      const char* value = std::getenv(std::string(name).c_str());
      if (value != nullptr && *value != '\0') add(net, name, value, "environment");
    }
  }
  auto text = read_source(context, "/etc/environment", 256 * 1024);
  if (!text) return {};  // optional file
  for (std::string_view name : kVariables) {
    auto value = assignment_value(*text, name);
    if (value && !value->empty()) add(net, name, *value, "/etc/environment");
  }
  return {};
}

}  // namespace helpline::agent::collect::linux_impl
