// storage.* and network.* collectors against tests/data/fake-root.
#include "tests/unit/agent/collect/collect_test_util.h"

namespace helpline::agent::collect::testing {
namespace {

TEST(StorageBlockCollector, ListsDevicesWithSizeModelAndFlagsSkippingUnusedLoops) {
  auto bundle = collect_from(fake_root(), {"storage.block"});
  EXPECT_EQ(status_of(bundle, "storage.block").state(), pb::CollectorStatus::STATE_OK);
  const auto& d = bundle.storage().block_devices();
  ASSERT_EQ(d.size(), 4);  // loop0 (size 0) left out
  EXPECT_EQ(d[0].name(), "loop1");
  EXPECT_EQ(d[0].type(), "loop");
  EXPECT_EQ(d[0].size_bytes(), 114440ull * 512);
  EXPECT_EQ(d[1].name(), "nvme0n1");
  EXPECT_EQ(d[1].type(), "disk");
  EXPECT_EQ(d[1].model(), "WDC PC SN720");
  EXPECT_EQ(d[2].name(), "sda");
  EXPECT_EQ(d[2].size_bytes(), 1953525168ull * 512);
  EXPECT_EQ(d[2].model(), "Samsung SSD 860");
  EXPECT_FALSE(d[2].rotational());
  EXPECT_FALSE(d[2].removable());
  EXPECT_EQ(d[3].name(), "sdb");
  EXPECT_TRUE(d[3].rotational());
  EXPECT_TRUE(d[3].removable());
  EXPECT_TRUE(d[3].read_only());
}

TEST(StorageFilesystemsCollector, ParsesMountinfoSkippingPseudoFilesystems) {
  auto bundle = collect_from(fake_root(), {"storage.filesystems"});
  EXPECT_EQ(status_of(bundle, "storage.filesystems").state(), pb::CollectorStatus::STATE_OK);
  const auto& fs = bundle.storage().filesystems();
  ASSERT_EQ(fs.size(), 5);  // proc, sysfs, cgroup2 and squashfs left out
  EXPECT_EQ(fs[0].mountpoint(), "/");
  EXPECT_EQ(fs[0].device(), "/dev/sda1");
  EXPECT_EQ(fs[0].fstype(), "ext4");
  EXPECT_EQ(fs[0].options(), "rw,relatime");
  EXPECT_FALSE(fs[0].read_only());
  EXPECT_EQ(fs[1].mountpoint(), "/home");
  EXPECT_EQ(fs[2].mountpoint(), "/mnt/backup disk");  // \040 unescaped
  EXPECT_EQ(fs[2].fstype(), "vfat");
  EXPECT_TRUE(fs[2].read_only());
  EXPECT_EQ(fs[3].mountpoint(), "/run");
  EXPECT_EQ(fs[3].fstype(), "tmpfs");
  EXPECT_EQ(fs[4].mountpoint(), "/srv/nfs");
  EXPECT_EQ(fs[4].device(), "server:/export");
  // No statvfs under a fake root.
  EXPECT_EQ(fs[0].size_bytes(), 0u);
}

TEST(NetworkInterfacesCollector, ReadsLinkFactsAndKindsFromSysfs) {
  auto bundle = collect_from(fake_root(), {"network.interfaces"});
  EXPECT_EQ(status_of(bundle, "network.interfaces").state(), pb::CollectorStatus::STATE_OK);
  const auto& i = bundle.network().interfaces();
  ASSERT_EQ(i.size(), 3);  // bonding_masters is a file, not an interface
  EXPECT_EQ(i[0].name(), "eth0");
  EXPECT_EQ(i[0].mac(), "8c:16:45:12:34:56");
  EXPECT_EQ(i[0].mtu(), 1500u);
  EXPECT_EQ(i[0].oper_state(), "up");
  EXPECT_TRUE(i[0].carrier());
  EXPECT_FALSE(i[0].wireless());
  EXPECT_FALSE(i[0].virtual_device());
  EXPECT_EQ(i[1].name(), "lo");
  EXPECT_EQ(i[1].mtu(), 65536u);
  EXPECT_TRUE(i[1].virtual_device());
  EXPECT_EQ(i[2].name(), "wlan0");
  EXPECT_EQ(i[2].oper_state(), "down");
  EXPECT_FALSE(i[2].carrier());
  EXPECT_TRUE(i[2].wireless());
  EXPECT_EQ(i[0].addresses_size(), 0);  // getifaddrs is not asked under a fake root
}

TEST(NetworkRoutesCollector, DecodesIpv4AndIpv6TablesAndPicksDefaultGateway) {
  auto bundle = collect_from(fake_root(), {"network.routes"});
  EXPECT_EQ(status_of(bundle, "network.routes").state(), pb::CollectorStatus::STATE_OK);
  const pb::NetworkInfo& net = bundle.network();
  ASSERT_EQ(net.routes_size(), 5);  // a down IPv4 route and 3 kernel IPv6 entries left out
  EXPECT_EQ(net.routes(0).destination(), "0.0.0.0/0");
  EXPECT_EQ(net.routes(0).gateway(), "192.168.1.1");
  EXPECT_EQ(net.routes(0).interface_name(), "eth0");
  EXPECT_EQ(net.routes(0).metric(), 100u);
  EXPECT_EQ(net.routes(1).destination(), "192.168.1.0/24");
  EXPECT_EQ(net.routes(1).gateway(), "");
  EXPECT_EQ(net.routes(2).destination(), "10.0.0.0/8");
  EXPECT_EQ(net.routes(2).gateway(), "192.168.1.254");
  EXPECT_EQ(net.routes(2).interface_name(), "wlan0");
  EXPECT_EQ(net.routes(3).destination(), "2001:db8::/64");
  EXPECT_EQ(net.routes(3).metric(), 256u);
  EXPECT_EQ(net.routes(4).destination(), "::/0");
  EXPECT_EQ(net.routes(4).gateway(), "fe80::1");
  EXPECT_EQ(net.routes(4).metric(), 1024u);
  EXPECT_EQ(net.default_gateway(), "192.168.1.1");
}

TEST(NetworkDnsCollector, FollowsTheResolvedStubToItsUpstreamServers) {
  auto bundle = collect_from(fake_root(), {"network.dns"});
  EXPECT_EQ(status_of(bundle, "network.dns").state(), pb::CollectorStatus::STATE_OK);
  const pb::NetworkInfo& net = bundle.network();
  EXPECT_EQ(net.resolver(), "systemd-resolved");
  ASSERT_EQ(net.dns_servers_size(), 2);
  EXPECT_EQ(net.dns_servers(0), "10.0.0.2");
  EXPECT_EQ(net.dns_servers(1), "10.0.0.3");
  ASSERT_EQ(net.search_domains_size(), 1);
  EXPECT_EQ(net.search_domains(0), "corp.example.com");
}

TEST(NetworkDnsCollector, MissingResolvConfIsPartialWithNoServers) {
  auto bundle = collect_from(fake_root() / "var", {"network.dns"});
  auto status = status_of(bundle, "network.dns");
  EXPECT_EQ(status.state(), pb::CollectorStatus::STATE_PARTIAL);
  EXPECT_EQ(bundle.network().dns_servers_size(), 0);
}

TEST(NetworkProxyCollector, ReadsProxyVariablesFromEtcEnvironment) {
  auto bundle = collect_from(fake_root(), {"network.proxy"});
  EXPECT_EQ(status_of(bundle, "network.proxy").state(), pb::CollectorStatus::STATE_OK);
  const auto& p = bundle.network().proxies();
  ASSERT_EQ(p.size(), 2);
  EXPECT_EQ(p[0].variable(), "https_proxy");
  EXPECT_EQ(p[0].value(), "http://proxy.corp.example.com:3128");
  EXPECT_EQ(p[0].source(), "/etc/environment");
  EXPECT_EQ(p[1].variable(), "no_proxy");
  EXPECT_EQ(p[1].value(), "localhost,127.0.0.1");
}

}  // namespace
}  // namespace helpline::agent::collect::testing
