// network.interfaces: link facts from /sys/class/net/<if>/ (MAC, MTU,
// operstate, carrier) and, on the live machine, addresses from getifaddrs.
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <bit>
#include <map>

#include "agent/collect/linux/collectors.h"
#include "agent/collect/linux/source_files.h"
#include "agent/collect/text.h"

namespace helpline::agent::collect::linux_impl {
namespace {

constexpr int kMaxInterfaces = 1000;

[[nodiscard]] int prefix_length(const sockaddr* mask) {
  if (mask == nullptr) return -1;
  int bits = 0;
  if (mask->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(mask);
    bits = std::popcount(static_cast<std::uint32_t>(in->sin_addr.s_addr));
  } else if (mask->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(mask);
    for (unsigned char byte : in6->sin6_addr.s6_addr) bits += std::popcount(byte);
  } else {
    return -1;
  }
  return bits;
}

// Interface name -> "address/prefix" list, in getifaddrs order.
[[nodiscard]] std::map<std::string, std::vector<std::string>> addresses(Context& context) {
  std::map<std::string, std::vector<std::string>> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) {
    context.add_error("getifaddrs failed: addresses not listed");
    return out;
  }
  for (ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_name == nullptr) continue;
    char text[INET6_ADDRSTRLEN] = {};
    const void* raw = nullptr;
    int family = a->ifa_addr->sa_family;
    if (family == AF_INET) {
      raw = &reinterpret_cast<const sockaddr_in*>(a->ifa_addr)->sin_addr;
    } else if (family == AF_INET6) {
      raw = &reinterpret_cast<const sockaddr_in6*>(a->ifa_addr)->sin6_addr;
    } else {
      continue;
    }
    if (::inet_ntop(family, raw, text, sizeof text) == nullptr) continue;
    std::string address = text;
    int prefix = prefix_length(a->ifa_netmask);
    if (prefix >= 0) address += "/" + std::to_string(prefix);
    out[a->ifa_name].push_back(std::move(address));
  }
  ::freeifaddrs(list);
  return out;
}

}  // namespace

Result<void> collect_network_interfaces(Context& context, pb::DiagnosticBundle& out) {
  if (!exists(context, "/sys/class/net")) return fail("read_failed", "/sys/class/net is missing");
  std::map<std::string, std::vector<std::string>> addrs;
  if (context.live()) addrs = addresses(context);
  pb::NetworkInfo& net = *out.mutable_network();
  for (const std::string& name : list_dir(context, "/sys/class/net")) {
    std::string dir = "/sys/class/net/" + name + "/";
    if (!exists(context, dir + "operstate")) continue;  // bonding_masters and other files
    if (net.interfaces_size() >= kMaxInterfaces) {
      context.add_error("more than " + std::to_string(kMaxInterfaces) + " interfaces");
      break;
    }
    pb::Interface& i = *net.add_interfaces();
    i.set_name(clean(name, 64));
    i.set_mac(read_value(context, dir + "address"));
    auto mtu = read_int(context, dir + "mtu");
    if (mtu && *mtu > 0 && *mtu <= UINT32_MAX) i.set_mtu(static_cast<std::uint32_t>(*mtu));
    i.set_oper_state(read_value(context, dir + "operstate"));
    // Reading carrier of a down interface fails with EINVAL: no carrier.
    i.set_carrier(read_value(context, dir + "carrier") == "1");
    i.set_wireless(exists(context, dir + "wireless") || exists(context, dir + "phy80211"));
    i.set_virtual_device(!exists(context, dir + "device"));
    auto it = addrs.find(name);
    if (it != addrs.end()) {
      for (const std::string& a : it->second) i.add_addresses(a);
    }
  }
  return {};
}

}  // namespace helpline::agent::collect::linux_impl
