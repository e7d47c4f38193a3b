// Clock, DNS, default route, failed units and error-log bursts.
#include "tests/unit/common/findings/bundle_builder.h"

namespace helpline::findings::testing {
namespace {

void remove_status(v1::DiagnosticBundle& b, std::string_view name) {
  auto* list = b.mutable_collectors();
  for (int i = 0; i < list->size(); ++i) {
    if (list->Get(i).name() == name) {
      list->DeleteSubrange(i, 1);
      return;
    }
  }
}

TEST(ClockFindings, UnsynchronisedClockIsAWarning) {
  auto b = healthy_bundle();
  b.mutable_system()->set_clock_synchronized(false);
  b.mutable_system()->set_ntp_service("");
  Finding f = only(evaluate(b), "time.clock_unsynchronized");
  EXPECT_EQ(f.severity, Severity::kWarning);
  EXPECT_EQ(f.evidence, "synchronised: no (read from timedated); time service: none running");
  EXPECT_EQ(f.suggested_action, "time.sync");
}

TEST(ClockFindings, UnknownSyncStateIsNoFinding) {
  auto b = healthy_bundle();
  b.mutable_system()->clear_clock_synchronized();
  EXPECT_TRUE(evaluate(b).empty());
}

TEST(NetworkFindings, NoNameserverIsCritical) {
  auto b = healthy_bundle();
  b.mutable_network()->clear_dns_servers();
  Finding f = only(evaluate(b), "network.no_dns");
  EXPECT_EQ(f.severity, Severity::kCritical);
  EXPECT_EQ(f.evidence, "resolv.conf lists no nameserver");
  EXPECT_EQ(f.suggested_action, "dns.restart_resolver");
}

TEST(NetworkFindings, MissingResolvConfIsNoDnsWithTheCollectorsReason) {
  auto b = healthy_bundle();
  b.mutable_network()->clear_dns_servers();
  b.mutable_network()->clear_resolver();
  for (v1::CollectorStatus& s : *b.mutable_collectors()) {
    if (s.name() != "network.dns") continue;
    s.set_state(v1::CollectorStatus::STATE_PARTIAL);
    s.add_errors("resolv.conf: cannot read /etc/resolv.conf: No such file or directory");
  }
  Finding f = only(evaluate(b), "network.no_dns");
  EXPECT_EQ(f.evidence,
            "resolv.conf lists no nameserver; resolv.conf: cannot read /etc/resolv.conf: No such "
            "file or directory");
}

TEST(NetworkFindings, NetworkNotCollectedIsNoFinding) {
  auto b = healthy_bundle();
  b.clear_network();
  remove_status(b, "network.dns");
  remove_status(b, "network.routes");
  EXPECT_TRUE(evaluate(b).empty());
  // Collected but failed: nothing is known either.
  add_status(b, "network.dns", v1::CollectorStatus::STATE_FAILED);
  add_status(b, "network.routes", v1::CollectorStatus::STATE_TIMED_OUT);
  EXPECT_TRUE(evaluate(b).empty());
}

TEST(NetworkFindings, NoDefaultRouteIsAWarning) {
  auto b = healthy_bundle();
  v1::NetworkInfo& net = *b.mutable_network();
  net.clear_default_gateway();
  net.mutable_routes(0)->set_destination("192.0.2.0/24");
  net.mutable_routes(0)->clear_gateway();
  Finding f = only(evaluate(b), "network.no_default_route");
  EXPECT_EQ(f.evidence, "1 routes, none to 0.0.0.0/0 or ::/0; interfaces up: enp0s31f6");
  EXPECT_EQ(f.suggested_action, "network.renew_dhcp");
}

TEST(NetworkFindings, OnLinkDefaultRouteCounts) {
  // A VPN's default route has no gateway.
  auto b = healthy_bundle();
  v1::NetworkInfo& net = *b.mutable_network();
  net.clear_default_gateway();
  net.mutable_routes(0)->clear_gateway();
  net.mutable_routes(0)->set_interface_name("tun0");
  EXPECT_TRUE(evaluate(b).empty());
  net.mutable_routes(0)->set_destination("::/0");
  EXPECT_TRUE(evaluate(b).empty());
}

TEST(ServiceFindings, EachFailedUnitIsAWarning) {
  auto b = healthy_bundle();
  v1::Unit& cups = add_unit(b, "cups.service", "failed");
  cups.add_last_log_lines("cupsd: Unable to open listen socket");
  cups.add_last_log_lines("cups.service: Main process exited, code=exited, status=1/FAILURE");
  add_unit(b, "backup.timer", "failed");
  auto found = of_rule(evaluate(b), "services.unit_failed");
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].subject, "cups.service");
  EXPECT_EQ(found[0].title, "unit cups.service failed");
  EXPECT_EQ(found[0].evidence,
            "Test cups.service: failed/failed, result exit-code, since 2023-11-14T21:43:20Z; last "
            "log: cups.service: Main process exited, code=exited, status=1/FAILURE");
  EXPECT_EQ(found[0].suggested_action, "systemd.restart_unit");
  EXPECT_EQ(found[1].subject, "backup.timer");
  EXPECT_NE(found[1].evidence.find("last log: none"), std::string::npos);
}

TEST(ServiceFindings, ActivatingUnitIsNoFinding) {
  auto b = healthy_bundle();  // packagekit.service is activating
  add_unit(b, "slow.service", "activating");
  EXPECT_TRUE(evaluate(b).empty());
}

TEST(LogFindings, ManyErrorsFromOneUnitInTheWindowAreABurst) {
  auto b = healthy_bundle();
  add_log_run(b, "nginx.service", 60, 5 * 1000);  // 60 errors in 5 minutes
  Finding f = only(evaluate(b), "logs.error_burst");
  EXPECT_EQ(f.severity, Severity::kWarning);
  EXPECT_EQ(f.subject, "nginx.service");
  EXPECT_EQ(f.title, "60 errors from nginx.service within 10 min");
  EXPECT_EQ(f.evidence,
            "60 entries of priority err or worse between 2023-11-14T22:08:25Z and "
            "2023-11-14T22:13:20Z (warning at 50 per 10 min); last: request 59 failed: "
            "connection refused");
}

TEST(LogFindings, TheSameErrorsSpreadOverHoursAreNoBurst) {
  auto b = healthy_bundle();
  add_log_run(b, "nginx.service", 60, 2 * kMinute);  // 5 per 10 minutes
  EXPECT_TRUE(evaluate(b).empty());
}

TEST(LogFindings, BurstsAreCountedPerUnit) {
  auto b = healthy_bundle();
  add_log_run(b, "a.service", 30, 1000);
  add_log_run(b, "b.service", 30, 1000);
  EXPECT_TRUE(evaluate(b).empty());
}

TEST(LogFindings, WarningsDoNotCountUnlessConfigured) {
  auto b = healthy_bundle();  // NetworkManager: 80 warnings in ~13 minutes
  FindingsConfig config;
  config.error_burst_priority = 4;
  Finding f = only(evaluate(b, config), "logs.error_burst");
  EXPECT_EQ(f.subject, "NetworkManager.service");
  EXPECT_EQ(f.title, "60 errors from NetworkManager.service within 10 min");
  EXPECT_NE(f.evidence.find("priority warning or worse"), std::string::npos) << f.evidence;
}

TEST(LogFindings, CountAndWindowComeFromConfig) {
  auto b = healthy_bundle();  // cups: 10 errors, one a minute
  FindingsConfig config;
  config.error_burst_count = 10;
  config.error_burst_window = std::chrono::minutes(5);
  EXPECT_TRUE(evaluate(b, config).empty());  // at most 5 of them within 5 minutes
  config.error_burst_window = std::chrono::minutes(15);
  Finding f = only(evaluate(b, config), "logs.error_burst");
  EXPECT_EQ(f.subject, "cups.service");
  EXPECT_EQ(f.title, "10 errors from cups.service within 15 min");
}

TEST(LogFindings, KernelRingBufferCountsAsOneSource) {
  auto b = healthy_bundle();
  for (int i = 0; i < 55; ++i) {
    add_kernel_log(b, kCollectedAt - i * 1000, 3, "ata1.00: failed command: READ FPDMA QUEUED");
  }
  Finding f = only(evaluate(b), "logs.error_burst");
  EXPECT_EQ(f.subject, "kernel");
  EXPECT_EQ(f.title, "56 errors from kernel within 10 min");  // with the usb error
}

TEST(LogFindings, KernelEntriesInTheJournalAreNotCountedTwice) {
  auto b = healthy_bundle();
  for (int i = 0; i < 30; ++i) {
    add_kernel_log(b, kCollectedAt - i * 1000, 3, "ata1.00: failed command: READ FPDMA QUEUED");
    add_log(b, kCollectedAt - i * 1000, 3, "", "ata1.00: failed command: READ FPDMA QUEUED")
        .set_identifier("kernel");
  }
  EXPECT_TRUE(evaluate(b).empty());
}

}  // namespace
}  // namespace helpline::findings::testing
