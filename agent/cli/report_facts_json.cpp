// Key facts per section as JSON: the same selection as the text form, with
// numbers as numbers.
#include "agent/cli/report_facts.h"
#include "agent/cli/report_format.h"
#include "common/core/time_format.h"

namespace helpline::agent::report {
namespace {

constexpr int kTop = 3;  // processes per top list

void system_json(JsonWriter& json, const v1::SystemInfo& s) {
  json.key("system").begin_object();
  json.field("os", s.os_pretty_name())
      .field("os_id", s.os_id())
      .field("os_version_id", s.os_version_id())
      .field("kernel", s.kernel_release())
      .field("architecture", s.architecture())
      .field("hostname", s.hostname());
  json_uint(json, "uptime_s", s.uptime_s());
  json.field("boot_time", format_rfc3339(s.boot_time_ms())).field("timezone", s.timezone());
  json.key("clock_synchronized");
  if (s.has_clock_synchronized()) {
    json.value(s.clock_synchronized());
  } else {
    json.null();
  }
  json.field("clock_sync_source", s.clock_sync_source())
      .field("ntp_service", s.ntp_service())
      .field("locale", s.locale())
      .field("virtualization", s.virtualization())
      .field("container", s.container());
  json.key("users").begin_array();
  for (const v1::LoggedInUser& u : s.users()) {
    json.begin_object()
        .field("user", u.user())
        .field("tty", u.tty())
        .field("host", u.host())
        .field("since", format_rfc3339(u.since_ms()))
        .end_object();
  }
  json.end_array().end_object();
}

void hardware_json(JsonWriter& json, const v1::HardwareInfo& h) {
  json.key("hardware").begin_object();
  const v1::Cpu& c = h.cpu();
  json.key("cpu").begin_object().field("model", c.model());
  json_uint(json, "sockets", c.sockets());
  json_uint(json, "cores", c.cores());
  json_uint(json, "threads", c.threads());
  json.field("mhz", c.mhz()).end_object();
  json.key("load").begin_array();
  json.value(h.load().load1()).value(h.load().load5()).value(h.load().load15()).end_array();
  const v1::Memory& m = h.memory();
  json.key("memory").begin_object();
  json_uint(json, "total_bytes", m.total_bytes());
  json_uint(json, "available_bytes", m.available_bytes());
  json_uint(json, "swap_total_bytes", m.swap_total_bytes());
  json_uint(json, "swap_free_bytes", m.swap_free_bytes());
  json.end_object();
  const v1::Dmi& d = h.dmi();
  json.key("dmi")
      .begin_object()
      .field("sys_vendor", d.sys_vendor())
      .field("product_name", d.product_name())
      .field("product_version", d.product_version())
      .field("product_serial", d.product_serial())
      .field("bios_vendor", d.bios_vendor())
      .field("bios_version", d.bios_version())
      .field("bios_date", d.bios_date())
      .end_object();
  json.key("temperatures").begin_array();
  for (const v1::Temperature& t : h.temperatures()) {
    json.begin_object()
        .field("sensor", t.sensor())
        .field("label", t.label())
        .field("celsius", t.celsius())
        .field("critical_celsius", t.critical_celsius())
        .end_object();
  }
  json.end_array().key("batteries").begin_array();
  for (const v1::Battery& b : h.batteries()) {
    json.begin_object().field("name", b.name()).field("status", b.status());
    json_uint(json, "capacity_percent", b.capacity_percent());
    json.field("wear_percent", b.wear_percent());
    json_uint(json, "cycle_count", b.cycle_count());
    json.end_object();
  }
  json.end_array().key("smart").begin_array();
  for (const v1::SmartDevice& s : h.smart()) {
    json.begin_object()
        .field("device", s.device())
        .field("model", s.model())
        .field("available", s.available())
        .field("reason", s.reason())
        .field("passed", s.passed());
    json_uint(json, "reallocated_sectors", s.reallocated_sectors());
    json_uint(json, "pending_sectors", s.pending_sectors());
    json_uint(json, "media_errors", s.media_errors());
    json_uint(json, "power_on_hours", s.power_on_hours());
    json.field("temperature_celsius", std::int64_t{s.temperature_celsius()}).end_object();
  }
  json.end_array().end_object();
}

void storage_json(JsonWriter& json, const v1::StorageInfo& st) {
  json.key("storage").begin_object();
  json_uint(json, "block_devices", static_cast<std::uint64_t>(st.block_devices_size()));
  json.key("filesystems").begin_array();
  for (const v1::Filesystem& fs : st.filesystems()) {
    json.begin_object()
        .field("mountpoint", fs.mountpoint())
        .field("device", fs.device())
        .field("fstype", fs.fstype())
        .field("read_only", fs.read_only());
    json_uint(json, "size_bytes", fs.size_bytes());
    json_uint(json, "used_bytes", fs.used_bytes());
    json_uint(json, "avail_bytes", fs.avail_bytes());
    json.field("used_percent", percent_of(fs.used_bytes(), fs.used_bytes() + fs.avail_bytes()))
        .field("inodes_used_percent", percent_of(fs.inodes_used(), fs.inodes_total()))
        .end_object();
  }
  json.end_array().end_object();
}

void network_json(JsonWriter& json, const v1::NetworkInfo& n) {
  json.key("network").begin_object().key("interfaces").begin_array();
  for (const v1::Interface& i : n.interfaces()) {
    json.begin_object()
        .field("name", i.name())
        .field("oper_state", i.oper_state())
        .field("mac", i.mac());
    json_uint(json, "mtu", i.mtu());
    json_strings(json, "addresses", i.addresses());
    json.end_object();
  }
  json.end_array();
  json_uint(json, "routes", static_cast<std::uint64_t>(n.routes_size()));
  json.field("default_gateway", n.default_gateway()).field("resolver", n.resolver());
  json_strings(json, "dns_servers", n.dns_servers());
  json_strings(json, "search_domains", n.search_domains());
  json.key("proxies").begin_array();
  for (const v1::ProxySetting& p : n.proxies()) {
    json.begin_object()
        .field("variable", p.variable())
        .field("value", p.value())
        .field("source", p.source())
        .end_object();
  }
  json.end_array().end_object();
}

void software_json(JsonWriter& json, const v1::SoftwareInfo& s) {
  json.key("software").begin_object().field("package_manager", s.package_manager());
  json_uint(json, "package_count", s.package_count());
  json_uint(json, "kernel_module_count", static_cast<std::uint64_t>(s.kernel_modules_size()));
  json.end_object();
}

void services_json(JsonWriter& json, const v1::ServicesInfo& s) {
  std::vector<std::string> failed;
  std::vector<std::string> activating;
  for (const v1::Unit& u : s.units()) {
    (u.active_state() == "failed" ? failed : activating).push_back(u.name());
  }
  json.key("services").begin_object().field("system_state", s.system_state());
  json_strings(json, "failed", failed);
  json_strings(json, "activating", activating);
  json.end_object();
}

void top_json(JsonWriter& json, std::string_view key,
              const google::protobuf::RepeatedPtrField<v1::Process>& list) {
  json.key(key).begin_array();
  for (int i = 0; i < list.size() && i < kTop; ++i) {
    const v1::Process& p = list.Get(i);
    json.begin_object().field("name", p.name()).field("user", p.user());
    json_uint(json, "pid", p.pid());
    json.field("cpu_percent", p.cpu_percent());
    json_uint(json, "rss_bytes", p.rss_bytes());
    json.end_object();
  }
  json.end_array();
}

void processes_json(JsonWriter& json, const v1::ProcessesInfo& p) {
  json.key("processes").begin_object();
  json_uint(json, "process_count", p.process_count());
  json_uint(json, "zombie_count", p.zombie_count());
  json_uint(json, "oom_kills", static_cast<std::uint64_t>(p.oom_kills_size()));
  top_json(json, "top_by_cpu", p.top_by_cpu());
  top_json(json, "top_by_memory", p.top_by_memory());
  json.end_object();
}

void logs_json(JsonWriter& json, const v1::LogsInfo& l) {
  std::uint64_t errors = 0;
  for (const v1::LogEntry& e : l.entries()) errors += e.priority() <= 3 ? 1u : 0u;
  json.key("logs").begin_object();
  json_uint(json, "journal_entries", static_cast<std::uint64_t>(l.entries_size()));
  json_uint(json, "journal_errors", errors);
  json_uint(json, "kernel_entries", static_cast<std::uint64_t>(l.kernel_size()));
  json.key("files").begin_array();
  for (const v1::LogFile& f : l.files()) {
    json.begin_object().field("path", f.path());
    json_uint(json, "lines", static_cast<std::uint64_t>(f.lines_size()));
    json.field("truncated", f.truncated()).field("error", f.error());
    json_uint(json, "size_bytes", f.size_bytes());
    json.end_object();
  }
  json.end_array().end_object();
}

}  // namespace

void facts_json(JsonWriter& json, const v1::DiagnosticBundle& b) {
  json.key("facts").begin_object();
  if (section_has_data(b, "system")) system_json(json, b.system());
  if (section_has_data(b, "hardware")) hardware_json(json, b.hardware());
  if (section_has_data(b, "storage")) storage_json(json, b.storage());
  if (section_has_data(b, "network")) network_json(json, b.network());
  if (section_has_data(b, "software")) software_json(json, b.software());
  if (section_has_data(b, "services")) services_json(json, b.services());
  if (section_has_data(b, "processes")) processes_json(json, b.processes());
  if (section_has_data(b, "logs")) logs_json(json, b.logs());
  json.end_object();
}

}  // namespace helpline::agent::report
