#include "agent/link/host_info.h"

#include <gtest/gtest.h>

namespace helpline::agent {
namespace {

TEST(HostInfo, PrettyNameIsUnquotedAndUnescaped) {
  EXPECT_EQ(pretty_name_from_os_release("NAME=\"Debian GNU/Linux\"\n"
                                        "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"
                                        "ID=debian\n"),
            "Debian GNU/Linux 12 (bookworm)");
  EXPECT_EQ(pretty_name_from_os_release("PRETTY_NAME='Say \\\"hi\\\"'"), "Say \"hi\"");
  EXPECT_EQ(pretty_name_from_os_release("PRETTY_NAME=Plain"), "Plain");
  EXPECT_EQ(pretty_name_from_os_release("NAME=x\n"), "");
  EXPECT_EQ(pretty_name_from_os_release("PRETTY_NAME=\"a\x01"
                                        "b\""),
            "ab");
}

TEST(HostInfo, ReadsThisMachine) {
  HostInfo info = read_host_info();
  EXPECT_FALSE(info.hostname.empty());
  EXPECT_EQ(info.platform.rfind("linux-", 0), 0u);
}

}  // namespace
}  // namespace helpline::agent
