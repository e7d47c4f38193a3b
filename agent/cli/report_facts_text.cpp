// Key facts per section as text: what a technician looks at first, not every
// field (the bundle has those).
#include <cstdio>

#include "agent/cli/report_facts.h"
#include "agent/cli/report_format.h"
#include "common/core/time_format.h"

namespace helpline::agent::report {
namespace {

constexpr std::size_t kTop = 3;  // processes per top list

[[nodiscard]] std::string or_dash(const std::string& text) { return text.empty() ? "-" : text; }

[[nodiscard]] std::string fixed(double value, int decimals = 1) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

[[nodiscard]] std::string system_text(const v1::DiagnosticBundle& b) {
  const v1::SystemInfo& s = b.system();
  std::string out = "system\n";
  if (collector_has_data(b, "system.os")) {
    out += line("os", or_dash(s.os_pretty_name()) + ", kernel " + or_dash(s.kernel_release()) +
                          " " + s.architecture());
  }
  if (s.uptime_s() > 0) {
    out +=
        line("uptime", human_duration(s.uptime_s()) + " (booted " +
                           (s.boot_time_ms() != 0 ? format_rfc3339(s.boot_time_ms()) : "?") + ")");
  }
  std::string clock = !s.has_clock_synchronized() ? "sync unknown"
                      : s.clock_synchronized()    ? "synchronised"
                                                  : "NOT synchronised";
  if (!s.ntp_service().empty()) clock += " (" + s.ntp_service() + ")";
  out += line("time", or_dash(s.timezone()) + ", clock " + clock);
  out += line("locale", or_dash(s.locale()));
  if (collector_has_data(b, "system.virt")) {
    std::string virt = or_dash(s.virtualization());
    if (!s.container().empty()) virt += ", container " + s.container();
    out += line("virtual", virt);
  }
  if (collector_has_data(b, "system.users")) {
    std::vector<std::string> users;
    for (const v1::LoggedInUser& u : s.users()) {
      users.push_back(u.user() + " (" + u.tty() + (u.host().empty() ? "" : " from " + u.host()) +
                      ")");
    }
    out += line("users", join(users, ", ", "none"));
  }
  return out;
}

[[nodiscard]] std::string hardware_text(const v1::DiagnosticBundle& b) {
  const v1::HardwareInfo& h = b.hardware();
  std::string out = "hardware\n";
  const v1::Cpu& c = h.cpu();
  if (collector_has_data(b, "hardware.cpu")) {
    out += line("cpu", or_dash(c.model()) + ", " + std::to_string(c.sockets()) + " socket(s), " +
                           std::to_string(c.cores()) + " cores, " + std::to_string(c.threads()) +
                           " threads, " + fixed(c.mhz(), 0) + " MHz");
    out += line("load", fixed(h.load().load1(), 2) + " " + fixed(h.load().load5(), 2) + " " +
                            fixed(h.load().load15(), 2));
  }
  const v1::Memory& m = h.memory();
  std::uint64_t swap_used =
      m.swap_total_bytes() > m.swap_free_bytes() ? m.swap_total_bytes() - m.swap_free_bytes() : 0;
  if (collector_has_data(b, "hardware.memory")) {
    out += line("memory", format_bytes(m.available_bytes()) + " available of " +
                              format_bytes(m.total_bytes()) + "; swap " + format_bytes(swap_used) +
                              " used of " + format_bytes(m.swap_total_bytes()));
  }
  const v1::Dmi& d = h.dmi();
  if (collector_has_data(b, "hardware.dmi")) {
    out += line("model", or_dash(d.sys_vendor()) + " " + d.product_name() +
                             (d.product_serial().empty() ? "" : ", serial " + d.product_serial()) +
                             "; BIOS " + or_dash(d.bios_version()) + " " + d.bios_date());
  }
  const v1::Temperature* hottest = nullptr;
  for (const v1::Temperature& t : h.temperatures()) {
    if (hottest == nullptr || t.celsius() > hottest->celsius()) hottest = &t;
  }
  if (hottest != nullptr) {
    std::string crit = hottest->critical_celsius() > 0
                           ? ", critical " + fixed(hottest->critical_celsius()) + " C"
                           : "";
    out +=
        line("temperature", std::to_string(h.temperatures_size()) + " sensor(s), hottest " +
                                (hottest->label().empty() ? hottest->sensor() : hottest->label()) +
                                " " + fixed(hottest->celsius()) + " C" + crit);
  }
  for (const v1::Battery& bat : h.batteries()) {
    out +=
        line("battery", bat.name() + " " + std::to_string(bat.capacity_percent()) + "% " +
                            or_dash(bat.status()) + ", wear " + format_percent(bat.wear_percent()) +
                            ", " + std::to_string(bat.cycle_count()) + " cycles");
  }
  for (const v1::SmartDevice& s : h.smart()) {
    std::string health = !s.available()
                             ? "unreadable: " + or_dash(s.reason())
                             : std::string(s.passed() ? "PASSED" : "FAILED") + ", " +
                                   std::to_string(s.reallocated_sectors()) + " reallocated, " +
                                   std::to_string(s.pending_sectors()) + " pending, " +
                                   std::to_string(s.media_errors()) + " media errors";
    out += line("smart", s.device() + " " + s.model() + ": " + health);
  }
  return out;
}

[[nodiscard]] std::string storage_text(const v1::DiagnosticBundle& b) {
  const v1::StorageInfo& st = b.storage();
  std::string out = "storage\n";
  if (collector_has_data(b, "storage.block")) {
    out += line("block devices", std::to_string(st.block_devices_size()));
  }
  for (const v1::Filesystem& fs : st.filesystems()) {
    std::string usage = "no usage";
    std::uint64_t usable = fs.used_bytes() + fs.avail_bytes();
    if (usable > 0) {
      usage = format_percent(percent_of(fs.used_bytes(), usable)) + " used (" +
              format_bytes(fs.used_bytes()) + " of " + format_bytes(fs.size_bytes()) + ")";
      if (fs.inodes_total() > 0) {
        usage += ", inodes " + format_percent(percent_of(fs.inodes_used(), fs.inodes_total()));
      }
    }
    out += line(fs.mountpoint(), fs.fstype() + " " + fs.device() + ", " + usage +
                                     (fs.read_only() ? ", READ-ONLY" : ""));
  }
  return out;
}

[[nodiscard]] std::string network_text(const v1::DiagnosticBundle& b) {
  const v1::NetworkInfo& n = b.network();
  std::string out = "network\n";
  for (const v1::Interface& i : n.interfaces()) {
    std::vector<std::string> addresses(i.addresses().begin(), i.addresses().end());
    out += line(i.name(), or_dash(i.oper_state()) + ", mtu " + std::to_string(i.mtu()) + ", " +
                              join(addresses, " ", "no address"));
  }
  if (collector_has_data(b, "network.routes")) {
    out += line("gateway", n.default_gateway().empty() ? "none" : n.default_gateway());
  }
  if (collector_has_data(b, "network.dns")) {
    std::vector<std::string> dns(n.dns_servers().begin(), n.dns_servers().end());
    std::vector<std::string> search(n.search_domains().begin(), n.search_domains().end());
    out += line("dns", join(dns, " ", "none") + " (" + or_dash(n.resolver()) + ")" +
                           (search.empty() ? "" : ", search " + join(search, " ")));
  }
  for (const v1::ProxySetting& p : n.proxies()) {
    out += line("proxy", p.variable() + "=" + p.value() + " (" + p.source() + ")");
  }
  return out;
}

[[nodiscard]] std::string software_text(const v1::DiagnosticBundle& b) {
  const v1::SoftwareInfo& s = b.software();
  std::string out = "software\n";
  if (collector_has_data(b, "software.packages")) {
    out += line("packages",
                std::to_string(s.package_count()) + " (" + or_dash(s.package_manager()) + ")");
  }
  if (collector_has_data(b, "software.modules")) {
    out += line("modules", std::to_string(s.kernel_modules_size()) + " kernel modules loaded");
  }
  return out;
}

[[nodiscard]] std::string services_text(const v1::DiagnosticBundle& b) {
  const v1::ServicesInfo& s = b.services();
  std::vector<std::string> failed;
  std::vector<std::string> activating;
  for (const v1::Unit& u : s.units()) {
    (u.active_state() == "failed" ? failed : activating).push_back(u.name());
  }
  return "services\n" + line("systemd", or_dash(s.system_state())) +
         line("failed", join(failed, ", ", "none")) +
         line("activating", join(activating, ", ", "none"));
}

[[nodiscard]] std::string processes_text(const v1::DiagnosticBundle& b) {
  const v1::ProcessesInfo& p = b.processes();
  std::string out = "processes\n";
  if (collector_has_data(b, "processes.table")) {
    out += line("count", std::to_string(p.process_count()) + ", " +
                             std::to_string(p.zombie_count()) + " zombie(s)");
  }
  if (collector_has_data(b, "processes.oom")) {
    out += line("oom kills", std::to_string(p.oom_kills_size()) + " since boot");
  }
  std::vector<std::string> cpu;
  for (int i = 0; i < p.top_by_cpu_size() && cpu.size() < kTop; ++i) {
    const v1::Process& x = p.top_by_cpu(i);
    cpu.push_back(x.name() + " (" + std::to_string(x.pid()) + ") " + fixed(x.cpu_percent()) + "%");
  }
  out += line("top cpu", join(cpu, ", ", "-"));
  std::vector<std::string> mem;
  for (int i = 0; i < p.top_by_memory_size() && mem.size() < kTop; ++i) {
    const v1::Process& x = p.top_by_memory(i);
    mem.push_back(x.name() + " (" + std::to_string(x.pid()) + ") " + format_bytes(x.rss_bytes()));
  }
  out += line("top memory", join(mem, ", ", "-"));
  return out;
}

[[nodiscard]] std::string logs_text(const v1::DiagnosticBundle& b) {
  const v1::LogsInfo& l = b.logs();
  int errors = 0;
  for (const v1::LogEntry& e : l.entries()) errors += e.priority() <= 3 ? 1 : 0;
  std::string out = "logs\n";
  if (collector_has_data(b, "logs.journal")) {
    out += line("journal", std::to_string(l.entries_size()) + " entries, " +
                               std::to_string(errors) + " of priority err or worse");
  }
  if (collector_has_data(b, "logs.kernel")) {
    out += line("kernel", std::to_string(l.kernel_size()) + " entries");
  }
  for (const v1::LogFile& f : l.files()) {
    std::string what = f.error().empty() ? std::to_string(f.lines_size()) + " lines" +
                                               (f.truncated() ? " (tail)" : "")
                                         : "error: " + f.error();
    out += line("file", f.path() + ": " + what);
  }
  return out;
}

}  // namespace

std::string facts_text(const v1::DiagnosticBundle& b) {
  using Section = std::string (*)(const v1::DiagnosticBundle&);
  static constexpr std::pair<std::string_view, Section> kSections[] = {
      {"system", system_text},       {"hardware", hardware_text}, {"storage", storage_text},
      {"network", network_text},     {"software", software_text}, {"services", services_text},
      {"processes", processes_text}, {"logs", logs_text}};
  std::string out;
  for (const auto& [name, render] : kSections) {
    if (section_has_data(b, name)) {
      out += render(b);
    } else if (section_collected(b, name)) {
      out += std::string(name) + "\n" + line("", "nothing collected (see collectors)");
    }
  }
  return out;
}

}  // namespace helpline::agent::report
