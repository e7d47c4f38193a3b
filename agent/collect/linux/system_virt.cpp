// system.virt: virtual machine and container detection from files, in the
// spirit of systemd-detect-virt: DMI strings, /sys/hypervisor, the CPU's
// hypervisor flag; container marker files and PID 1's cgroup/environment.
#include <array>

#include "agent/collect/linux/collectors.h"
#include "agent/collect/linux/source_files.h"
#include "agent/collect/text.h"

namespace helpline::agent::collect::linux_impl {
namespace {

struct Pattern {
  std::string_view needle;
  std::string_view name;
};

// Checked against DMI vendor/product/board/BIOS strings, first match wins.
constexpr Pattern kVmVendors[] = {
    {"KVM", "kvm"},
    {"QEMU", "qemu"},
    {"VMware", "vmware"},
    {"VMW", "vmware"},
    {"innotek", "oracle"},
    {"VirtualBox", "oracle"},
    {"Xen", "xen"},
    {"Bochs", "bochs"},
    {"Parallels", "parallels"},
    {"BHYVE", "bhyve"},
    {"Amazon EC2", "amazon"},
    {"Google Compute Engine", "google"},
    {"OpenStack", "kvm"},
    {"Firecracker", "firecracker"},
};

constexpr Pattern kCgroupMarkers[] = {
    {"/docker/", "docker"}, {"/docker-", "docker"}, {"/kubepods", "kubernetes"},
    {"/lxc/", "lxc"},       {"/libpod-", "podman"}, {"/machine.slice/machine-", "systemd-nspawn"},
};

[[nodiscard]] std::string detect_vm(Context& context) {
  constexpr std::array<std::string_view, 4> kDmiFiles = {
      "/sys/class/dmi/id/sys_vendor", "/sys/class/dmi/id/product_name",
      "/sys/class/dmi/id/board_vendor", "/sys/class/dmi/id/bios_vendor"};
  for (std::string_view file : kDmiFiles) {
    std::string value = read_value(context, file);
    for (const Pattern& p : kVmVendors) {
      if (value.find(p.needle) != std::string::npos) return std::string(p.name);
    }
    // Hyper-V: the vendor is plain "Microsoft Corporation".
    if (value == "Microsoft Corporation" &&
        read_value(context, "/sys/class/dmi/id/product_name") == "Virtual Machine") {
      return "microsoft";
    }
  }
  std::string hypervisor = read_value(context, "/sys/hypervisor/type");
  if (hypervisor == "xen") return "xen";
  if (!hypervisor.empty()) return "vm-other";
  auto cpuinfo = read_source(context, "/proc/cpuinfo");
  if (cpuinfo) {
    auto flags = colon_value(*cpuinfo, "flags");
    if (flags) {
      for (std::string_view flag : split_fields(*flags)) {
        if (flag == "hypervisor") return "vm-other";
      }
    }
  }
  return "none";
}

[[nodiscard]] std::string detect_container(Context& context) {
  // systemd and most runtimes write this file for the payload.
  std::string marker = read_value(context, "/run/systemd/container");
  if (!marker.empty()) return marker;
  if (exists(context, "/run/.containerenv")) return "podman";
  if (exists(context, "/.dockerenv")) return "docker";
  auto environ = read_source(context, "/proc/1/environ", 256 * 1024);
  if (environ) {
    std::string_view rest = *environ;
    while (!rest.empty()) {
      std::string_view var = rest.substr(0, rest.find('\0'));
      if (starts_with(var, "container=") && var.size() > 10) return clean(var.substr(10), 64);
      if (var.size() >= rest.size()) break;
      rest.remove_prefix(var.size() + 1);
    }
  }
  auto cgroup = read_source(context, "/proc/1/cgroup", 256 * 1024);
  if (cgroup) {
    for (const Pattern& p : kCgroupMarkers) {
      if (cgroup->find(p.needle) != std::string::npos) return std::string(p.name);
    }
  }
  return {};
}

}  // namespace

Result<void> collect_system_virt(Context& context, pb::DiagnosticBundle& out) {
  pb::SystemInfo& s = *out.mutable_system();
  s.set_virtualization(detect_vm(context));
  s.set_container(detect_container(context));
  return {};
}

}  // namespace helpline::agent::collect::linux_impl
