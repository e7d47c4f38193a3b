// network.dns: resolvers and search domains from /etc/resolv.conf. When it
// points at systemd-resolved's local stub (127.0.0.53), the real upstream
// servers are in /run/systemd/resolve/resolv.conf.
#include "agent/collect/linux/collectors.h"
#include "agent/collect/linux/source_files.h"
#include "agent/collect/text.h"

namespace helpline::agent::collect::linux_impl {
namespace {

constexpr int kMaxEntries = 64;

struct ResolvConf {
  std::vector<std::string> servers;
  std::vector<std::string> search;
};

[[nodiscard]] ResolvConf parse_resolv_conf(std::string_view text) {
  ResolvConf rc;
  for (std::string_view line : split_lines(text)) {
    auto f = split_fields(line);
    if (f.size() < 2 || f[0].front() == '#' || f[0].front() == ';') continue;
    if (f[0] == "nameserver" && rc.servers.size() < kMaxEntries) {
      rc.servers.push_back(clean(f[1], 64));
    } else if (f[0] == "search" || f[0] == "domain") {
      // The last search/domain line wins (resolv.conf(5)).
      rc.search.clear();
      for (std::size_t i = 1; i < f.size() && rc.search.size() < kMaxEntries; ++i) {
        rc.search.push_back(clean(f[i], 256));
      }
    }
  }
  return rc;
}

[[nodiscard]] bool only_stub(const ResolvConf& rc) {
  if (rc.servers.empty()) return false;
  for (const std::string& s : rc.servers) {
    if (s != "127.0.0.53" && s != "127.0.0.54") return false;
  }
  return true;
}

}  // namespace

Result<void> collect_network_dns(Context& context, pb::DiagnosticBundle& out) {
  auto text = read_source(context, "/etc/resolv.conf", 256 * 1024);
  if (!text) {
    // No resolv.conf means no resolver: a finding, not a collector failure.
    context.add_error("resolv.conf: " + text.error().message);
    return {};
  }
  pb::NetworkInfo& net = *out.mutable_network();
  ResolvConf rc = parse_resolv_conf(*text);
  net.set_resolver("resolv.conf");
  if (only_stub(rc)) {
    auto upstream = read_source(context, "/run/systemd/resolve/resolv.conf", 256 * 1024);
    if (upstream) {
      ResolvConf real = parse_resolv_conf(*upstream);
      rc.servers = real.servers;
      if (rc.search.empty()) rc.search = real.search;
      net.set_resolver("systemd-resolved");
    } else {
      context.add_error("systemd-resolved stub in use but its upstream list is unreadable: " +
                        upstream.error().message);
    }
  }
  for (const std::string& s : rc.servers) net.add_dns_servers(s);
  for (const std::string& s : rc.search) net.add_search_domains(s);
  return {};
}

}  // namespace helpline::agent::collect::linux_impl
