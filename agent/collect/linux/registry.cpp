// THE table of Linux collectors. A new data source is one file in this
// folder plus one line here.
#include "agent/collect/registry.h"

#include <sys/utsname.h>
#include <unistd.h>

#include "agent/collect/linux/collectors.h"
#include "agent/collect/text.h"

namespace helpline::agent::collect {
namespace {

using namespace std::chrono_literals;
namespace lx = linux_impl;

struct Entry {
  std::string_view name;
  CollectFunction function;
  std::chrono::milliseconds time_budget;
  std::size_t size_budget;
};

constexpr std::size_t kKiB = 1024;
constexpr std::size_t kMiB = 1024 * kKiB;

// Budgets: what the source normally needs on a slow machine, times a margin.
// smartctl runs once per disk; journal and package reads scale with history.
const Entry kTable[] = {
    {"system.os", lx::collect_system_os, 2s, 64 * kKiB},
    {"system.clock", lx::collect_system_clock, 3s, 16 * kKiB},
    {"system.virt", lx::collect_system_virt, 2s, 16 * kKiB},
    {"system.users", lx::collect_system_users, 2s, 256 * kKiB},
    {"hardware.cpu", lx::collect_hardware_cpu, 2s, 64 * kKiB},
    {"hardware.memory", lx::collect_hardware_memory, 2s, 16 * kKiB},
    {"hardware.dmi", lx::collect_hardware_dmi, 2s, 16 * kKiB},
    {"hardware.thermal", lx::collect_hardware_thermal, 2s, 256 * kKiB},
    {"hardware.battery", lx::collect_hardware_battery, 2s, 64 * kKiB},
    {"hardware.smart", lx::collect_hardware_smart, 20s, 256 * kKiB},
    {"storage.block", lx::collect_storage_block, 2s, 256 * kKiB},
    {"storage.filesystems", lx::collect_storage_filesystems, 5s, 512 * kKiB},
    {"network.interfaces", lx::collect_network_interfaces, 2s, 256 * kKiB},
    {"network.routes", lx::collect_network_routes, 2s, 256 * kKiB},
    {"network.dns", lx::collect_network_dns, 2s, 64 * kKiB},
    {"network.proxy", lx::collect_network_proxy, 2s, 64 * kKiB},
    {"software.packages", lx::collect_software_packages, 10s, 2 * kMiB},
    {"software.modules", lx::collect_software_modules, 2s, 256 * kKiB},
    {"services.units", lx::collect_services_units, 8s, 1 * kMiB},
    {"processes.table", lx::collect_processes_table, 3s, 512 * kKiB},
    {"processes.oom", lx::collect_processes_oom, 5s, 256 * kKiB},
    {"logs.journal", lx::collect_logs_journal, 8s, 4 * kMiB},
    {"logs.kernel", lx::collect_logs_kernel, 5s, 2 * kMiB},
    {"logs.files", lx::collect_logs_files, 5s, 4 * kMiB},
};

[[nodiscard]] std::vector<CollectorPtr> build() {
  std::vector<CollectorPtr> out;
  for (const Entry& e : kTable) {
    std::string_view section = e.name.substr(0, e.name.find('.'));
    out.push_back(std::make_shared<FunctionCollector>(e.name, section, e.function, e.time_budget,
                                                      e.size_budget));
  }
  return out;
}

}  // namespace

const std::vector<CollectorPtr>& platform_collectors() {
  static const std::vector<CollectorPtr> collectors = build();
  return collectors;
}

std::string platform_name() {
  struct utsname uts {};
  if (::uname(&uts) != 0) return "linux-unknown";
  return "linux-" + clean(uts.machine, 64);
}

std::string local_hostname() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return {};
  return clean(name, 256);
}

}  // namespace helpline::agent::collect
