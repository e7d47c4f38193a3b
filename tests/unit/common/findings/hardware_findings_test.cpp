// SMART, memory and OOM kills, temperatures, batteries.
#include "tests/unit/common/findings/bundle_builder.h"

namespace helpline::findings::testing {
namespace {

v1::SmartDevice& sda(v1::DiagnosticBundle& b) { return *b.mutable_hardware()->mutable_smart(0); }
v1::SmartDevice& nvme(v1::DiagnosticBundle& b) { return *b.mutable_hardware()->mutable_smart(1); }
v1::Temperature& package(v1::DiagnosticBundle& b) {
  return *b.mutable_hardware()->mutable_temperatures(0);
}
v1::Battery& battery(v1::DiagnosticBundle& b) {
  return *b.mutable_hardware()->mutable_batteries(0);
}

TEST(SmartFindings, FailedHealthCheckIsCriticalAndSaysItAll) {
  auto b = healthy_bundle();
  sda(b).set_passed(false);
  sda(b).set_reallocated_sectors(120);
  sda(b).set_pending_sectors(8);
  auto found = evaluate(b);
  Finding f = only(found, "hardware.smart_failing");
  EXPECT_EQ(f.severity, Severity::kCritical);
  EXPECT_EQ(f.subject, "/dev/sda");
  EXPECT_EQ(f.title, "disk /dev/sda fails its SMART health check");
  EXPECT_NE(f.evidence.find("120 reallocated and 8 pending sectors, 12000 power-on hours"),
            std::string::npos)
      << f.evidence;
  EXPECT_EQ(found.size(), 1u) << describe(found);
}

TEST(SmartFindings, UnreadableSmartIsNoFinding) {
  auto b = healthy_bundle();
  v1::SmartDevice& usb = *b.mutable_hardware()->mutable_smart(2);
  EXPECT_FALSE(usb.passed());  // unknown, not failed
  usb.set_reallocated_sectors(9);
  auto found = evaluate(b);
  EXPECT_TRUE(found.empty()) << describe(found);
}

TEST(SmartFindings, PendingAndReallocatedSectorsAreWarnings) {
  auto b = healthy_bundle();
  sda(b).set_pending_sectors(2);
  sda(b).set_reallocated_sectors(16);
  auto found = evaluate(b);
  Finding pending = only(found, "hardware.smart_pending_sectors");
  EXPECT_EQ(pending.severity, Severity::kWarning);
  EXPECT_EQ(pending.title, "disk /dev/sda has 2 unreadable (pending) sectors");
  EXPECT_EQ(pending.suggested_action, "smart.run_selftest");
  Finding realloc = only(found, "hardware.smart_reallocated_sectors");
  EXPECT_NE(realloc.evidence.find("Reallocated_Sector_Ct (ATA 5) = 16"), std::string::npos);
  // Pending sectors (unreadable now) rank above reallocated ones.
  EXPECT_EQ(rule_ids(found), (std::vector<std::string>{"hardware.smart_pending_sectors",
                                                       "hardware.smart_reallocated_sectors"}));
}

TEST(SmartFindings, SectorThresholdsComeFromConfig) {
  auto b = healthy_bundle();
  sda(b).set_reallocated_sectors(5);
  FindingsConfig config;
  config.smart_reallocated_sectors = 10;
  EXPECT_TRUE(evaluate(b, config).empty());
  config.smart_reallocated_sectors = 5;
  Finding f = only(evaluate(b, config), "hardware.smart_reallocated_sectors");
  EXPECT_NE(f.evidence.find("warning at 5"), std::string::npos) << f.evidence;
}

TEST(SmartFindings, NvmeMediaErrorsAreAWarning) {
  auto b = healthy_bundle();
  nvme(b).set_media_errors(3);
  Finding f = only(evaluate(b), "hardware.smart_media_errors");
  EXPECT_EQ(f.subject, "/dev/nvme0");
  EXPECT_EQ(f.title, "disk /dev/nvme0 reports 3 media errors");
  EXPECT_NE(f.evidence.find("3% of its rated endurance used"), std::string::npos) << f.evidence;
}

TEST(MemoryFindings, LowAvailableMemoryIsAWarning) {
  auto b = healthy_bundle();
  v1::Memory& m = *b.mutable_hardware()->mutable_memory();
  m.set_available_bytes(kGiB);  // 6.25% of 16 GiB
  m.set_swap_free_bytes(kGiB / 2);
  Finding f = only(evaluate(b), "memory.low_available");
  EXPECT_EQ(f.severity, Severity::kWarning);
  EXPECT_EQ(f.title, "memory is low: 6.2% available");
  EXPECT_EQ(f.evidence,
            "1.0 GiB of 16.0 GiB available; swap 1.5 GiB of 2.0 GiB used; warning below 10%");
  EXPECT_EQ(f.subject, "");
}

TEST(MemoryFindings, AvailableMemoryAboveThresholdIsNoFinding) {
  auto b = healthy_bundle();
  b.mutable_hardware()->mutable_memory()->set_available_bytes(2 * kGiB);  // 12.5%
  EXPECT_TRUE(evaluate(b).empty());
  FindingsConfig config;
  config.memory_available_percent = 15;
  EXPECT_EQ(of_rule(evaluate(b, config), "memory.low_available").size(), 1u);
}

TEST(MemoryFindings, MissingMemAvailableIsNoFinding) {
  auto b = healthy_bundle();
  b.mutable_hardware()->mutable_memory()->set_available_bytes(0);
  EXPECT_TRUE(evaluate(b).empty());
}

TEST(MemoryFindings, OomKillsNameTheLastVictim) {
  auto b = healthy_bundle();
  v1::OomKill& first = *b.mutable_processes()->add_oom_kills();
  first.set_time_ms(kCollectedAt - 90 * kMinute);
  first.set_process("java");
  first.set_pid(4242);
  v1::OomKill& last = *b.mutable_processes()->add_oom_kills();
  last.set_time_ms(kCollectedAt - 10 * kMinute);
  last.set_process("chrome");
  last.set_pid(5151);
  Finding f = only(evaluate(b), "memory.oom_kills");
  EXPECT_EQ(f.title, "2 out-of-memory kill(s) since boot");
  EXPECT_EQ(f.evidence, "last: chrome (pid 5151) at 2023-11-14T22:03:20Z; warning at 1");

  FindingsConfig config;
  config.oom_kills = 3;
  EXPECT_TRUE(evaluate(b, config).empty());
}

TEST(ThermalFindings, AtTheTripPointIsCritical) {
  auto b = healthy_bundle();
  package(b).set_celsius(100);
  Finding f = only(evaluate(b), "hardware.temperature_critical");
  EXPECT_EQ(f.severity, Severity::kCritical);
  EXPECT_EQ(f.subject, "x86_pkg_temp");
  EXPECT_EQ(f.title, "x86_pkg_temp is at 100.0 C, at or above its critical 100.0 C");
  EXPECT_EQ(f.evidence,
            "sensor thermal_zone1 (x86_pkg_temp): 100.0 C now, critical trip point 100.0 C");
}

TEST(ThermalFindings, WithinTheMarginIsAWarning) {
  auto b = healthy_bundle();
  package(b).set_celsius(96.5);
  auto found = evaluate(b);
  Finding f = only(found, "hardware.temperature_near_critical");
  EXPECT_EQ(f.title, "x86_pkg_temp is 3.5 C below its critical temperature");
  EXPECT_TRUE(of_rule(found, "hardware.temperature_critical").empty());

  package(b).set_celsius(94.9);
  EXPECT_TRUE(evaluate(b).empty());
  FindingsConfig config;
  config.temperature_margin_celsius = 10;
  Finding wide = only(evaluate(b, config), "hardware.temperature_near_critical");
  EXPECT_NE(wide.evidence.find("warning within 10 C"), std::string::npos) << wide.evidence;
}

TEST(ThermalFindings, SensorsWithoutAPlausibleTripPointAreSkipped) {
  auto b = healthy_bundle();
  b.mutable_hardware()->mutable_temperatures(1)->set_celsius(99);  // acpitz, no trip point
  v1::Temperature& bogus = *b.mutable_hardware()->add_temperatures();
  bogus.set_sensor("hwmon3/nvme");
  bogus.set_celsius(35);
  bogus.set_critical_celsius(20);  // firmware placeholder
  EXPECT_TRUE(evaluate(b).empty());
}

TEST(BatteryFindings, WornBatteryIsInfo) {
  auto b = healthy_bundle();
  battery(b).set_wear_percent(45.5);
  Finding f = only(evaluate(b), "hardware.battery_worn");
  EXPECT_EQ(f.severity, Severity::kInfo);
  EXPECT_EQ(f.subject, "BAT0");
  EXPECT_EQ(f.title, "battery BAT0 is 45.5% worn");
  EXPECT_EQ(f.evidence,
            "a full charge holds 54.5% of its design capacity; 410 charge cycles; SMP 01AV430; "
            "reported at 40%");
}

TEST(BatteryFindings, WearIsComputedWhenTheCollectorGaveNone) {
  auto b = healthy_bundle();
  battery(b).set_wear_percent(0);
  battery(b).set_energy_full(28'500'000);  // 50% of design
  Finding f = only(evaluate(b), "hardware.battery_worn");
  EXPECT_EQ(f.title, "battery BAT0 is 50.0% worn");
}

TEST(BatteryFindings, BelowThresholdIsNoFinding) {
  auto b = healthy_bundle();
  battery(b).set_wear_percent(39.9);
  EXPECT_TRUE(evaluate(b).empty());
  FindingsConfig config;
  config.battery_wear_percent = 30;
  EXPECT_EQ(of_rule(evaluate(b, config), "hardware.battery_worn").size(), 1u);
}

}  // namespace
}  // namespace helpline::findings::testing
