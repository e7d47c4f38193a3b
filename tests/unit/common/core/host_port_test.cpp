#include "common/core/host_port.h"

#include <gtest/gtest.h>

namespace helpline {
namespace {

TEST(HostPort, ParsesNamesIpv4AndBracketedIpv6) {
  auto a = parse_host_port("relay.example.org:8443").value();
  EXPECT_EQ(a.host, "relay.example.org");
  EXPECT_EQ(a.port, 8443);
  auto b = parse_host_port("[::1]:9").value();
  EXPECT_EQ(b.host, "::1");
  EXPECT_EQ(b.to_string(), "[::1]:9");
  EXPECT_EQ(parse_host_port("127.0.0.1:0", true).value().port, 0);
}

TEST(HostPort, RefusesMalformedAddresses) {
  for (const char* text : {"", "host", ":80", "host:", "host:99999", "host:8x", "::1:80",
                           "[::1:80", "a b:80", "host:0"}) {
    auto r = parse_host_port(text);
    ASSERT_FALSE(r.has_value()) << text;
    EXPECT_EQ(r.error().code, "bad_address");
  }
}

}  // namespace
}  // namespace helpline
