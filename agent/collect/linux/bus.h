// The system D-Bus through sd-bus, for collectors that ask systemd
// (units, timedated). One connection per call; safe from any thread.
#pragma once

#include <systemd/sd-bus.h>

#include <memory>
#include <string>

#include "agent/collect/collector.h"

namespace helpline::agent::collect::linux_impl {

struct BusCloser {
  void operator()(sd_bus* bus) const { sd_bus_flush_close_unref(bus); }
};
using BusPtr = std::unique_ptr<sd_bus, BusCloser>;

// Connects to the system bus with method calls bounded by the context's
// deadline (and by `max_call` each). Errors: "unavailable" when systemd is
// not PID 1 or there is no system bus (containers), or under a fake root.
[[nodiscard]] Result<BusPtr> open_system_bus(const Context& context,
                                             std::chrono::milliseconds max_call);

// sd_bus_error owned for the scope of one call.
class BusError {
 public:
  BusError() = default;
  ~BusError() { sd_bus_error_free(&error_); }
  BusError(const BusError&) = delete;
  BusError& operator=(const BusError&) = delete;
  sd_bus_error* get() { return &error_; }
  // The D-Bus error's message, else strerror of the sd-bus return value.
  [[nodiscard]] std::string describe(int r) const;

 private:
  sd_bus_error error_ = SD_BUS_ERROR_NULL;
};

// A string property; "" when it cannot be read.
[[nodiscard]] std::string bus_string_property(sd_bus* bus, const char* destination,
                                              const char* path, const char* interface,
                                              const char* member);

}  // namespace helpline::agent::collect::linux_impl
