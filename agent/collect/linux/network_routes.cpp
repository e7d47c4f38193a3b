// network.routes: the main routing table from /proc/net/route (IPv4) and
// /proc/net/ipv6_route, and the default gateway. Local, reject and
// multicast IPv6 entries (the kernel's own bookkeeping) are left out.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <bit>

#include "agent/collect/linux/collectors.h"
#include "agent/collect/linux/source_files.h"
#include "agent/collect/text.h"

namespace helpline::agent::collect::linux_impl {
namespace {

constexpr int kMaxRoutes = 5000;
constexpr std::uint64_t kRouteUp = 0x1;
constexpr std::uint64_t kRouteReject = 0x200;
constexpr std::uint64_t kRouteLocal = 0x80000000;

// /proc/net/route prints each address as the hex of its in-memory (network
// order) 32-bit value read as a native integer: storing it back as
// s_addr restores the bytes.
[[nodiscard]] std::optional<std::string> ipv4(std::string_view hex) {
  auto value = to_u64(hex, 16);
  if (!value || *value > UINT32_MAX) return std::nullopt;
  in_addr a{};
  a.s_addr = static_cast<std::uint32_t>(*value);
  char text[INET_ADDRSTRLEN] = {};
  if (::inet_ntop(AF_INET, &a, text, sizeof text) == nullptr) return std::nullopt;
  return std::string(text);
}

// 32 hex digits, network order.
[[nodiscard]] std::optional<std::string> ipv6(std::string_view hex) {
  if (hex.size() != 32) return std::nullopt;
  in6_addr a{};
  for (std::size_t i = 0; i < 16; ++i) {
    auto byte = to_u64(hex.substr(2 * i, 2), 16);
    if (!byte) return std::nullopt;
    a.s6_addr[i] = static_cast<unsigned char>(*byte);
  }
  char text[INET6_ADDRSTRLEN] = {};
  if (::inet_ntop(AF_INET6, &a, text, sizeof text) == nullptr) return std::nullopt;
  return std::string(text);
}

[[nodiscard]] std::uint32_t metric_of(std::string_view text, int base) {
  auto v = to_u64(text, base);
  return v && *v <= UINT32_MAX ? static_cast<std::uint32_t>(*v) : 0;
}

void ipv4_routes(Context& context, pb::NetworkInfo& net) {
  auto text = read_source(context, "/proc/net/route");
  if (!text) {
    context.add_error("IPv4 routes: " + text.error().message);
    return;
  }
  auto lines = split_lines(*text);
  for (std::size_t n = 1; n < lines.size() && net.routes_size() < kMaxRoutes; ++n) {
    auto f = split_fields(lines[n]);  // Iface Destination Gateway Flags RefCnt Use Metric Mask
    if (f.size() < 8) continue;
    auto flags = to_u64(f[3], 16);
    auto dest = ipv4(f[1]);
    auto gateway = ipv4(f[2]);
    auto mask = to_u64(f[7], 16);
    if (!flags || (*flags & kRouteUp) == 0 || !dest || !gateway || !mask) continue;
    pb::Route& r = *net.add_routes();
    r.set_destination(*dest + "/" + std::to_string(std::popcount(*mask)));
    r.set_gateway(*gateway == "0.0.0.0" ? std::string() : *gateway);
    r.set_interface_name(clean(f[0], 64));
    r.set_metric(metric_of(f[6], 10));
  }
}

void ipv6_routes(Context& context, pb::NetworkInfo& net) {
  auto text = read_source(context, "/proc/net/ipv6_route");
  if (!text) {
    // IPv6 disabled at boot removes the file: nothing to report.
    return;
  }
  for (std::string_view line : split_lines(*text)) {
    if (net.routes_size() >= kMaxRoutes) break;
    // dest plen src plen nexthop metric refcnt use flags iface
    auto f = split_fields(line);
    if (f.size() < 10) continue;
    auto flags = to_u64(f[8], 16);
    auto dest = ipv6(f[0]);
    auto plen = to_u64(f[1], 16);
    auto next = ipv6(f[4]);
    if (!flags || !dest || !plen || !next) continue;
    if ((*flags & kRouteUp) == 0 || (*flags & (kRouteReject | kRouteLocal)) != 0) continue;
    if (starts_with(*dest, "ff")) continue;  // multicast
    pb::Route& r = *net.add_routes();
    r.set_destination(*dest + "/" + std::to_string(*plen));
    r.set_gateway(*next == "::" ? std::string() : *next);
    r.set_interface_name(clean(f[9], 64));
    r.set_metric(metric_of(f[5], 16));
  }
}

// The lowest-metric IPv4 default route's gateway, else IPv6's.
[[nodiscard]] std::string default_gateway(const pb::NetworkInfo& net) {
  for (std::string_view any : {"0.0.0.0/0", "::/0"}) {
    const pb::Route* best = nullptr;
    for (const pb::Route& r : net.routes()) {
      if (r.destination() != any || r.gateway().empty()) continue;
      if (best == nullptr || r.metric() < best->metric()) best = &r;
    }
    if (best != nullptr) return best->gateway();
  }
  return {};
}

}  // namespace

Result<void> collect_network_routes(Context& context, pb::DiagnosticBundle& out) {
  pb::NetworkInfo& net = *out.mutable_network();
  ipv4_routes(context, net);
  ipv6_routes(context, net);
  net.set_default_gateway(default_gateway(net));
  return {};
}

}  // namespace helpline::agent::collect::linux_impl
