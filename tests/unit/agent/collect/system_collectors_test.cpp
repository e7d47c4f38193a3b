// system.* collectors against tests/data/fake-root (and a generated utmp).
#include <utmpx.h>

#include <algorithm>
#include <cstring>
#include <fstream>

#include "tests/support/temp_dir.h"
#include "tests/unit/agent/collect/collect_test_util.h"

namespace helpline::agent::collect::testing {
namespace {

TEST(SystemOsCollector, ReadsReleaseKernelUptimeTimezoneAndLocale) {
  auto bundle = collect_from(fake_root(), {"system.os"});
  auto status = status_of(bundle, "system.os");
  EXPECT_EQ(status.state(), pb::CollectorStatus::STATE_OK) << errors_of(status);
  const pb::SystemInfo& s = bundle.system();
  EXPECT_EQ(s.os_pretty_name(), "Helpline Test Linux 12 (fake)");
  EXPECT_EQ(s.os_id(), "helplinetest");
  EXPECT_EQ(s.os_version_id(), "12");
  EXPECT_EQ(s.kernel_release(), "6.1.0-18-amd64");
  EXPECT_EQ(s.kernel_version(), "#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)");
  EXPECT_EQ(s.hostname(), "ws-042");
  EXPECT_EQ(bundle.hostname(), "ws-042");
  EXPECT_EQ(s.uptime_s(), 12345u);
  EXPECT_EQ(s.boot_time_ms(), 1'700'000'000'000);
  EXPECT_EQ(s.timezone(), "Europe/Paris");
  EXPECT_EQ(s.locale(), "fr_FR.UTF-8");
  EXPECT_EQ(s.architecture(), "");  // uname is not asked under a fake root
}

TEST(SystemClockCollector, NamesTheRunningTimeDaemonAndLeavesSyncUnknownUnderFakeRoot) {
  auto bundle = collect_from(fake_root(), {"system.clock"});
  EXPECT_EQ(status_of(bundle, "system.clock").state(), pb::CollectorStatus::STATE_OK);
  EXPECT_EQ(bundle.system().ntp_service(), "chronyd");
  EXPECT_FALSE(bundle.system().has_clock_synchronized());
}

TEST(SystemVirtCollector, DetectsBareMetalInADockerContainer) {
  auto bundle = collect_from(fake_root(), {"system.virt"});
  EXPECT_EQ(status_of(bundle, "system.virt").state(), pb::CollectorStatus::STATE_OK);
  EXPECT_EQ(bundle.system().virtualization(), "none");
  EXPECT_EQ(bundle.system().container(), "docker");
}

TEST(SystemVirtCollector, DetectsQemuFromDmiAndPodmanFromItsMarker) {
  helpline::testing::TempDir root("collect-virt");
  std::filesystem::create_directories(root / "sys/class/dmi/id");
  std::filesystem::create_directories(root / "run");
  std::ofstream(root / "sys/class/dmi/id/sys_vendor") << "QEMU\n";
  std::ofstream(root / "sys/class/dmi/id/product_name") << "Standard PC (Q35 + ICH9, 2009)\n";
  std::ofstream(root / "run/.containerenv") << "";
  auto bundle = collect_from(root.path(), {"system.virt"});
  EXPECT_EQ(bundle.system().virtualization(), "qemu");
  EXPECT_EQ(bundle.system().container(), "podman");
}

template <std::size_t N>
void copy_field(char (&field)[N], const char* value) {
  std::memcpy(field, value, std::min(std::strlen(value), N));
}

[[nodiscard]] utmpx session(short type, const char* user, const char* line, const char* host,
                            int pid, std::int32_t seconds) {
  utmpx u{};
  u.ut_type = type;
  u.ut_pid = pid;
  copy_field(u.ut_user, user);
  copy_field(u.ut_line, line);
  copy_field(u.ut_host, host);
  u.ut_tv.tv_sec = seconds;
  u.ut_tv.tv_usec = 250000;
  return u;
}

TEST(SystemUsersCollector, ListsUserProcessRecordsFromUtmp) {
  helpline::testing::TempDir root("collect-users");
  std::filesystem::create_directories(root / "run");
  {
    std::ofstream utmp(root / "run/utmp", std::ios::binary);
    const utmpx records[] = {
        session(BOOT_TIME, "reboot", "~", "", 0, 1'700'000'000),
        session(USER_PROCESS, "alice", "tty2", "", 1500, 1'700'000'100),
        session(DEAD_PROCESS, "", "pts/1", "", 1600, 1'700'000'200),
        session(USER_PROCESS, "bob", "pts/0", "203.0.113.7", 1700, 1'700'000'300),
    };
    utmp.write(reinterpret_cast<const char*>(records), sizeof records);
  }
  auto bundle = collect_from(root.path(), {"system.users"});
  EXPECT_EQ(status_of(bundle, "system.users").state(), pb::CollectorStatus::STATE_OK);
  ASSERT_EQ(bundle.system().users_size(), 2);
  const pb::LoggedInUser& alice = bundle.system().users(0);
  EXPECT_EQ(alice.user(), "alice");
  EXPECT_EQ(alice.tty(), "tty2");
  EXPECT_EQ(alice.host(), "");
  EXPECT_EQ(alice.since_ms(), 1'700'000'100'250);
  EXPECT_EQ(alice.pid(), 1500u);
  EXPECT_EQ(bundle.system().users(1).user(), "bob");
  EXPECT_EQ(bundle.system().users(1).host(), "203.0.113.7");
}

TEST(SystemUsersCollector, ReportsUnavailableWithoutUtmp) {
  auto bundle = collect_from(fake_root(), {"system.users"});
  auto status = status_of(bundle, "system.users");
  EXPECT_EQ(status.state(), pb::CollectorStatus::STATE_UNAVAILABLE);
  ASSERT_EQ(status.errors_size(), 1);
  EXPECT_NE(status.errors(0).find("utmp"), std::string::npos);
}

}  // namespace
}  // namespace helpline::agent::collect::testing
