// Recorded bundles for the findings tests, built in C++ (the lite runtime has
// no text format): healthy_bundle() is a plausible workstation on which no
// rule fires; each test breaks one fact. broken_bundle() breaks all of them.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/findings/findings.h"

namespace helpline::findings::testing {

inline constexpr std::uint64_t kGiB = 1024ull * 1024 * 1024;
inline constexpr std::int64_t kCollectedAt = 1'700'000'000'000;  // 2023-11-14T22:13:20Z
inline constexpr std::int64_t kMinute = 60'000;

inline void add_status(v1::DiagnosticBundle& b, std::string_view name,
                       v1::CollectorStatus::State state = v1::CollectorStatus::STATE_OK) {
  v1::CollectorStatus& s = *b.add_collectors();
  s.set_name(std::string(name));
  s.set_section(std::string(name.substr(0, name.find('.'))));
  s.set_state(state);
}

// A filesystem with `used_percent` of its usable space used (df's formula).
inline v1::Filesystem& add_fs(v1::DiagnosticBundle& b, std::string_view mount,
                              std::string_view fstype, std::string_view device, double used_percent,
                              bool read_only = false) {
  v1::Filesystem& fs = *b.mutable_storage()->add_filesystems();
  fs.set_mountpoint(std::string(mount));
  fs.set_fstype(std::string(fstype));
  fs.set_device(std::string(device));
  fs.set_read_only(read_only);
  fs.set_options(read_only ? "ro,relatime" : "rw,relatime");
  const std::uint64_t usable = 100 * kGiB;
  auto used = static_cast<std::uint64_t>(static_cast<double>(usable) * used_percent / 100.0);
  fs.set_size_bytes(usable + 5 * kGiB);  // the root reserve
  fs.set_used_bytes(used);
  fs.set_avail_bytes(usable - used);
  fs.set_inodes_total(1'000'000);
  fs.set_inodes_used(100'000);
  return fs;
}

inline v1::LogEntry& add_log(v1::DiagnosticBundle& b, std::int64_t time_ms, unsigned priority,
                             std::string_view unit, std::string_view message) {
  v1::LogEntry& e = *b.mutable_logs()->add_entries();
  e.set_time_ms(time_ms);
  e.set_priority(priority);
  e.set_unit(std::string(unit));
  e.set_identifier(std::string(unit.substr(0, unit.find('.'))));
  e.set_message(std::string(message));
  e.set_pid(321);
  return e;
}

inline v1::LogEntry& add_kernel_log(v1::DiagnosticBundle& b, std::int64_t time_ms,
                                    unsigned priority, std::string_view message) {
  v1::LogEntry& e = *b.mutable_logs()->add_kernel();
  e.set_time_ms(time_ms);
  e.set_priority(priority);
  e.set_identifier("kernel");
  e.set_message(std::string(message));
  return e;
}

// `count` entries of `priority` from `unit`, `spacing_ms` apart, ending at
// kCollectedAt.
inline void add_log_run(v1::DiagnosticBundle& b, std::string_view unit, int count,
                        std::int64_t spacing_ms, unsigned priority = 3) {
  for (int i = 0; i < count; ++i) {
    add_log(b, kCollectedAt - (count - 1 - i) * spacing_ms, priority, unit,
            "request " + std::to_string(i) + " failed: connection refused");
  }
}

inline v1::Unit& add_unit(v1::DiagnosticBundle& b, std::string_view name,
                          std::string_view active_state) {
  v1::Unit& u = *b.mutable_services()->add_units();
  u.set_name(std::string(name));
  u.set_description("Test " + std::string(name));
  u.set_load_state("loaded");
  u.set_active_state(std::string(active_state));
  u.set_sub_state(active_state == "failed" ? "failed" : "start");
  u.set_result(active_state == "failed" ? "exit-code" : "");
  u.set_since_ms(kCollectedAt - 30 * kMinute);
  return u;
}

inline v1::DiagnosticBundle healthy_bundle() {
  v1::DiagnosticBundle b;
  b.set_format_version(1);
  b.set_hostname("ws-0142");
  b.set_collected_at_ms(kCollectedAt);
  for (std::string_view name :
       {"system.os", "system.clock", "hardware.cpu", "hardware.memory", "hardware.thermal",
        "hardware.battery", "hardware.smart", "storage.filesystems", "network.interfaces",
        "network.routes", "network.dns", "services.units", "processes.table", "processes.oom",
        "logs.journal", "logs.kernel"}) {
    add_status(b, name);
  }

  v1::SystemInfo& sys = *b.mutable_system();
  sys.set_hostname("ws-0142");
  sys.set_clock_synchronized(true);
  sys.set_clock_sync_source("timedated");
  sys.set_ntp_service("systemd-timesyncd");

  v1::HardwareInfo& hw = *b.mutable_hardware();
  hw.mutable_memory()->set_total_bytes(16 * kGiB);
  hw.mutable_memory()->set_available_bytes(8 * kGiB);
  hw.mutable_memory()->set_swap_total_bytes(2 * kGiB);
  hw.mutable_memory()->set_swap_free_bytes(2 * kGiB);
  v1::SmartDevice& sda = *hw.add_smart();
  sda.set_device("/dev/sda");
  sda.set_model("Samsung SSD 860 EVO 500GB");
  sda.set_available(true);
  sda.set_passed(true);
  sda.set_protocol("ATA");
  sda.set_power_on_hours(12000);
  v1::SmartDevice& nvme = *hw.add_smart();
  nvme.set_device("/dev/nvme0");
  nvme.set_model("WDC PC SN730");
  nvme.set_available(true);
  nvme.set_passed(true);
  nvme.set_protocol("NVMe");
  nvme.set_percentage_used(3);
  v1::SmartDevice& usb = *hw.add_smart();  // behind a USB bridge: no health, no finding
  usb.set_device("/dev/sdb");
  usb.set_available(false);
  usb.set_reason("Unknown USB bridge");
  v1::Temperature& pkg = *hw.add_temperatures();
  pkg.set_sensor("thermal_zone1");
  pkg.set_label("x86_pkg_temp");
  pkg.set_celsius(55);
  pkg.set_critical_celsius(100);
  v1::Temperature& acpi = *hw.add_temperatures();  // no trip point
  acpi.set_sensor("thermal_zone0");
  acpi.set_label("acpitz");
  acpi.set_celsius(45);
  v1::Battery& bat = *hw.add_batteries();
  bat.set_name("BAT0");
  bat.set_capacity_percent(80);
  bat.set_energy_full(50'000'000);
  bat.set_energy_full_design(57'000'000);
  bat.set_wear_percent(12.3);
  bat.set_cycle_count(410);
  bat.set_manufacturer("SMP");
  bat.set_model("01AV430");

  add_fs(b, "/", "ext4", "/dev/nvme0n1p2", 52);
  add_fs(b, "/boot/efi", "vfat", "/dev/nvme0n1p1", 8).set_inodes_total(0);
  add_fs(b, "/home", "ext4", "/dev/nvme0n1p3", 61);
  add_fs(b, "/snap/core22/864", "squashfs", "/dev/loop3", 100, true);
  add_fs(b, "/mnt/archive", "ext4", "/dev/sdc1", 99.5, true);  // read-only on purpose
  v1::Filesystem& nfs = add_fs(b, "/net/share", "nfs4", "server:/export", 0);
  nfs.set_size_bytes(0);
  nfs.set_used_bytes(0);
  nfs.set_avail_bytes(0);
  nfs.set_inodes_total(0);
  nfs.set_inodes_used(0);

  v1::NetworkInfo& net = *b.mutable_network();
  v1::Interface& eth = *net.add_interfaces();
  eth.set_name("enp0s31f6");
  eth.set_oper_state("up");
  eth.add_addresses("192.0.2.10/24");
  v1::Route& def = *net.add_routes();
  def.set_destination("0.0.0.0/0");
  def.set_gateway("192.0.2.1");
  def.set_interface_name("enp0s31f6");
  net.set_default_gateway("192.0.2.1");
  net.add_dns_servers("192.0.2.53");
  net.set_resolver("resolv.conf");

  b.mutable_services()->set_system_state("running");
  add_unit(b, "packagekit.service", "activating");

  b.mutable_processes()->set_process_count(312);
  add_log_run(b, "cups.service", 10, kMinute);                 // a few errors, no burst
  add_log_run(b, "NetworkManager.service", 80, 10 * 1000, 4);  // warnings only
  add_kernel_log(b, kCollectedAt - 5 * kMinute, 3, "usb 1-2: device descriptor read/64, error -71");
  return b;
}

// The rule ids of `findings`, in order.
inline std::vector<std::string> rule_ids(const std::vector<Finding>& findings) {
  std::vector<std::string> out;
  for (const Finding& f : findings) out.push_back(f.rule_id);
  return out;
}

inline std::vector<Finding> of_rule(const std::vector<Finding>& findings, std::string_view id) {
  std::vector<Finding> out;
  std::copy_if(findings.begin(), findings.end(), std::back_inserter(out),
               [&](const Finding& f) { return f.rule_id == id; });
  return out;
}

// "rule subject: title" per finding, for assertion messages.
inline std::string describe(const std::vector<Finding>& findings) {
  std::string out;
  for (const Finding& f : findings) {
    out += f.rule_id + " [" + f.subject + "]: " + f.title + " | " + f.evidence + "\n";
  }
  return out;
}

// Exactly one finding of `id`; fails the test otherwise.
inline Finding only(const std::vector<Finding>& findings, std::string_view id) {
  std::vector<Finding> matching = of_rule(findings, id);
  EXPECT_EQ(matching.size(), 1u) << "rule " << id << " in:\n" << describe(findings);
  return matching.empty() ? Finding{} : matching.front();
}

}  // namespace helpline::findings::testing
