#include "agent/collect/linux/bus.h"

#include <systemd/sd-daemon.h>

#include <cstdlib>
#include <cstring>

#include "agent/collect/text.h"

namespace helpline::agent::collect::linux_impl {

Result<BusPtr> open_system_bus(const Context& context, std::chrono::milliseconds max_call) {
  if (!context.live()) return skipped("the system bus is not queried under a fake root");
  if (sd_booted() <= 0) {
    return unavailable(
        "systemd is not running on this machine (PID 1 is another init, as in "
        "most containers)");
  }
  sd_bus* raw = nullptr;
  int r = sd_bus_open_system(&raw);
  if (r < 0) return unavailable(std::string("no system bus: ") + std::strerror(-r));
  BusPtr bus(raw);
  auto left =
      std::chrono::duration_cast<std::chrono::microseconds>(context.deadline() - Clock::now());
  auto cap = std::chrono::duration_cast<std::chrono::microseconds>(max_call);
  if (left > cap) left = cap;
  if (left.count() <= 0) return fail("timed_out", "no time left to query the system bus");
  sd_bus_set_method_call_timeout(bus.get(), static_cast<std::uint64_t>(left.count()));
  return bus;
}

std::string BusError::describe(int r) const {
  if (sd_bus_error_is_set(&error_) && error_.message != nullptr) return error_.message;
  return std::strerror(r < 0 ? -r : r);
}

std::string bus_string_property(sd_bus* bus, const char* destination, const char* path,
                                const char* interface, const char* member) {
  BusError error;
  char* value = nullptr;
  if (sd_bus_get_property_string(bus, destination, path, interface, member, error.get(), &value) <
      0) {
    return {};
  }
  std::string out = clean(value == nullptr ? "" : value, 1024);
  std::free(value);
  return out;
}

}  // namespace helpline::agent::collect::linux_impl
