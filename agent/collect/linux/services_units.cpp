// services.units: systemd units that failed or are stuck activating, from
// the manager's ListUnitsFiltered over sd-bus, with their result, last
// state change, and last journal lines. UNAVAILABLE without systemd.
#include <string>

#include "agent/collect/linux/bus.h"
#include "agent/collect/linux/collectors.h"
#include "agent/collect/linux/journal.h"
#include "agent/collect/text.h"

namespace helpline::agent::collect::linux_impl {
namespace {

constexpr const char* kSystemd = "org.freedesktop.systemd1";
constexpr const char* kManagerPath = "/org/freedesktop/systemd1";
constexpr const char* kManager = "org.freedesktop.systemd1.Manager";
constexpr int kMaxUnits = 200;

struct UnitRow {
  pb::Unit unit;
  std::string path;  // D-Bus object path
};

[[nodiscard]] Result<std::vector<UnitRow>> list_units(sd_bus* bus) {
  BusError error;
  sd_bus_message* call = nullptr;
  int r = sd_bus_message_new_method_call(bus, &call, kSystemd, kManagerPath, kManager,
                                         "ListUnitsFiltered");
  if (r < 0) return fail("bus_error", "cannot build ListUnitsFiltered: " + error.describe(r));
  char failed[] = "failed";
  char activating[] = "activating";
  char* states[] = {failed, activating, nullptr};
  r = sd_bus_message_append_strv(call, states);
  sd_bus_message* reply = nullptr;
  if (r >= 0) r = sd_bus_call(bus, call, 0, error.get(), &reply);
  sd_bus_message_unref(call);
  if (r < 0) return fail("bus_error", "ListUnitsFiltered failed: " + error.describe(r));

  std::vector<UnitRow> rows;
  r = sd_bus_message_enter_container(reply, SD_BUS_TYPE_ARRAY, "(ssssssouso)");
  while (r >= 0) {
    const char* name = nullptr;
    const char* description = nullptr;
    const char* load = nullptr;
    const char* active = nullptr;
    const char* sub = nullptr;
    const char* following = nullptr;
    const char* path = nullptr;
    std::uint32_t job_id = 0;
    const char* job_type = nullptr;
    const char* job_path = nullptr;
    r = sd_bus_message_read(reply, "(ssssssouso)", &name, &description, &load, &active, &sub,
                            &following, &path, &job_id, &job_type, &job_path);
    if (r <= 0) break;
    if (static_cast<int>(rows.size()) >= kMaxUnits) continue;
    UnitRow& row = rows.emplace_back();
    row.unit.set_name(clean(name, 256));
    row.unit.set_description(clean(description, 512));
    row.unit.set_load_state(clean(load, 64));
    row.unit.set_active_state(clean(active, 64));
    row.unit.set_sub_state(clean(sub, 64));
    row.path = path;
  }
  sd_bus_message_unref(reply);
  if (r < 0) return fail("bus_error", "cannot read the unit list: " + error.describe(r));
  return rows;
}

// The unit type's interface carries Result ("exit-code", "timeout"...).
[[nodiscard]] std::string result_interface(std::string_view name) {
  constexpr std::string_view kTypes[] = {"service", "socket", "mount",    "swap",
                                         "timer",   "path",   "automount"};
  std::size_t dot = name.rfind('.');
  if (dot == std::string_view::npos) return {};
  std::string_view suffix = name.substr(dot + 1);
  for (std::string_view t : kTypes) {
    if (suffix == t) {
      std::string iface = "org.freedesktop.systemd1.";
      iface += static_cast<char>(t[0] - 'a' + 'A');
      iface += t.substr(1);
      return iface;
    }
  }
  return {};
}

void add_details(sd_bus* bus, UnitRow& row) {
  std::string iface = result_interface(row.unit.name());
  if (!iface.empty()) {
    row.unit.set_result(
        bus_string_property(bus, kSystemd, row.path.c_str(), iface.c_str(), "Result"));
  }
  BusError error;
  std::uint64_t usec = 0;
  if (sd_bus_get_property_trivial(bus, kSystemd, row.path.c_str(), "org.freedesktop.systemd1.Unit",
                                  "StateChangeTimestamp", error.get(), 't', &usec) >= 0) {
    row.unit.set_since_ms(static_cast<std::int64_t>(usec / 1000));
  }
}

void add_log_lines(Context& context, pb::Unit& unit) {
  if (context.options().unit_log_lines == 0) return;
  JournalQuery q;
  // Lines the unit wrote, and systemd's own lines about it.
  q.groups = {{"_SYSTEMD_UNIT=" + unit.name()}, {"UNIT=" + unit.name()}};
  q.max_entries = context.options().unit_log_lines;
  q.max_message_bytes = context.options().max_message_bytes;
  q.max_scanned = 10000;
  auto entries = read_journal(context, q);
  if (!entries) {
    if (entries.error().code != "unavailable") {
      context.add_error(unit.name() + " log lines: " + entries.error().message);
    }
    return;
  }
  for (const pb::LogEntry& e : *entries) unit.add_last_log_lines(format_log_line(e));
}

}  // namespace

Result<void> collect_services_units(Context& context, pb::DiagnosticBundle& out) {
  auto bus = open_system_bus(context, std::chrono::milliseconds(3000));
  if (!bus) return fail(bus.error());
  pb::ServicesInfo& services = *out.mutable_services();
  services.set_system_state(
      bus_string_property(bus->get(), kSystemd, kManagerPath, kManager, "SystemState"));
  auto rows = list_units(bus->get());
  if (!rows) return fail(rows.error());
  for (UnitRow& row : *rows) {
    if (context.expired()) return fail("timed_out", "unit details did not finish in time");
    add_details(bus->get(), row);
    add_log_lines(context, row.unit);
    *services.add_units() = std::move(row.unit);
  }
  return {};
}

}  // namespace helpline::agent::collect::linux_impl
