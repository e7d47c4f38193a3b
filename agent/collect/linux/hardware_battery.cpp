// hardware.battery: system batteries from /sys/class/power_supply (type
// "Battery"; peripherals with scope "Device" left out). A machine with no
// battery reports OK with an empty list: that is a fact, not a failure.
#include <cmath>

#include "agent/collect/linux/collectors.h"
#include "agent/collect/linux/source_files.h"
#include "agent/collect/text.h"

namespace helpline::agent::collect::linux_impl {
namespace {

[[nodiscard]] std::uint64_t non_negative(std::optional<std::int64_t> value) {
  return value && *value > 0 ? static_cast<std::uint64_t>(*value) : 0;
}

}  // namespace

Result<void> collect_hardware_battery(Context& context, pb::DiagnosticBundle& out) {
  pb::HardwareInfo& hw = *out.mutable_hardware();
  for (const std::string& name : list_dir(context, "/sys/class/power_supply")) {
    std::string dir = "/sys/class/power_supply/" + name + "/";
    if (read_value(context, dir + "type") != "Battery") continue;
    if (read_value(context, dir + "scope") == "Device") continue;
    pb::Battery& b = *hw.add_batteries();
    b.set_name(clean(name, 64));
    auto capacity = read_int(context, dir + "capacity");
    if (capacity && *capacity >= 0 && *capacity <= 100) {
      b.set_capacity_percent(static_cast<std::uint32_t>(*capacity));
    }
    // Batteries report energy (µWh) or charge (µAh); either gives the wear.
    std::uint64_t full = non_negative(read_int(context, dir + "energy_full"));
    std::uint64_t design = non_negative(read_int(context, dir + "energy_full_design"));
    if (full == 0 || design == 0) {
      full = non_negative(read_int(context, dir + "charge_full"));
      design = non_negative(read_int(context, dir + "charge_full_design"));
    }
    b.set_energy_full(full);
    b.set_energy_full_design(design);
    if (full > 0 && design > 0) {
      double wear = 100.0 * (1.0 - static_cast<double>(full) / static_cast<double>(design));
      b.set_wear_percent(wear < 0 ? 0 : std::round(wear * 10) / 10);
    }
    auto cycles = read_int(context, dir + "cycle_count");
    if (cycles && *cycles > 0 && *cycles <= UINT32_MAX) {
      b.set_cycle_count(static_cast<std::uint32_t>(*cycles));
    }
    b.set_status(read_value(context, dir + "status"));
    b.set_technology(read_value(context, dir + "technology"));
    b.set_model(read_value(context, dir + "model_name"));
    b.set_manufacturer(read_value(context, dir + "manufacturer"));
  }
  return {};
}

}  // namespace helpline::agent::collect::linux_impl
