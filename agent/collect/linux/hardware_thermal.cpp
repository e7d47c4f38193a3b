// hardware.thermal: temperatures from thermal zones
// (/sys/class/thermal/thermal_zone*) and hwmon sensors
// (/sys/class/hwmon/hwmon*/temp*_input), in millidegrees Celsius there.
#include "agent/collect/linux/collectors.h"
#include "agent/collect/linux/source_files.h"
#include "agent/collect/text.h"

namespace helpline::agent::collect::linux_impl {
namespace {

constexpr int kMaxSensors = 500;

[[nodiscard]] std::optional<double> millidegrees(Context& context, const std::string& path) {
  auto value = read_int(context, path);
  if (!value) return std::nullopt;
  return static_cast<double>(*value) / 1000.0;
}

void thermal_zones(Context& context, pb::HardwareInfo& hw) {
  for (const std::string& zone : list_dir(context, "/sys/class/thermal")) {
    if (!starts_with(zone, "thermal_zone") || hw.temperatures_size() >= kMaxSensors) continue;
    std::string dir = "/sys/class/thermal/" + zone + "/";
    auto celsius = millidegrees(context, dir + "temp");
    if (!celsius) continue;  // disabled zones answer EINVAL/ENODATA
    pb::Temperature& t = *hw.add_temperatures();
    t.set_sensor(clean(zone, 64));
    t.set_label(read_value(context, dir + "type"));
    t.set_celsius(*celsius);
    for (const std::string& entry : list_dir(context, dir)) {
      // trip_point_<n>_type holding "critical" names the critical trip.
      if (!starts_with(entry, "trip_point_") || entry.size() < 5 ||
          entry.compare(entry.size() - 5, 5, "_type") != 0) {
        continue;
      }
      if (read_value(context, dir + entry) != "critical") continue;
      std::string temp = entry.substr(0, entry.size() - 5) + "_temp";
      if (auto crit = millidegrees(context, dir + temp)) t.set_critical_celsius(*crit);
      break;
    }
  }
}

void hwmon_sensors(Context& context, pb::HardwareInfo& hw) {
  for (const std::string& hwmon : list_dir(context, "/sys/class/hwmon")) {
    std::string dir = "/sys/class/hwmon/" + hwmon + "/";
    std::string chip = read_value(context, dir + "name");
    if (chip.empty()) chip = read_value(context, dir + "device/name");
    for (const std::string& entry : list_dir(context, dir)) {
      constexpr std::string_view kSuffix = "_input";
      if (!starts_with(entry, "temp") || entry.size() <= kSuffix.size() ||
          entry.compare(entry.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0) {
        continue;
      }
      if (hw.temperatures_size() >= kMaxSensors) return;
      std::string base = entry.substr(0, entry.size() - kSuffix.size());  // "temp1"
      auto celsius = millidegrees(context, dir + entry);
      if (!celsius) continue;
      pb::Temperature& t = *hw.add_temperatures();
      t.set_sensor(clean(chip.empty() ? hwmon : hwmon + "/" + chip, 128));
      std::string label = read_value(context, dir + base + "_label");
      t.set_label(label.empty() ? clean(base, 64) : label);
      t.set_celsius(*celsius);
      if (auto crit = millidegrees(context, dir + base + "_crit")) t.set_critical_celsius(*crit);
    }
  }
}

}  // namespace

Result<void> collect_hardware_thermal(Context& context, pb::DiagnosticBundle& out) {
  pb::HardwareInfo& hw = *out.mutable_hardware();
  thermal_zones(context, hw);
  hwmon_sensors(context, hw);
  if (hw.temperatures_size() == 0) {
    return unavailable("no temperature sensors exposed (no thermal zones or hwmon temp inputs)");
  }
  return {};
}

}  // namespace helpline::agent::collect::linux_impl
