// system.clock: is the clock synchronised, and by which time daemon.
// timedated's NTPSynchronized when systemd runs, else the kernel's own
// answer (adjtimex STA_UNSYNC, which is what timedated reports too).
#include <sys/timex.h>

#include <cerrno>
#include <cstring>

#include "agent/collect/linux/bus.h"
#include "agent/collect/linux/collectors.h"
#include "agent/collect/linux/source_files.h"
#include "agent/collect/text.h"

namespace helpline::agent::collect::linux_impl {
namespace {

// comm (at most 15 characters) -> service name.
struct TimeDaemon {
  std::string_view comm;
  std::string_view service;
};
constexpr TimeDaemon kTimeDaemons[] = {
    {"systemd-timesyn", "systemd-timesyncd"},
    {"chronyd", "chronyd"},
    {"ntpd", "ntpd"},
    {"openntpd", "openntpd"},
    {"ptp4l", "ptp4l"},
};

// The first running time daemon, from /proc/<pid>/comm.
[[nodiscard]] std::string running_time_daemon(Context& context) {
  for (const std::string& pid : list_dir(context, "/proc")) {
    if (!to_u64(pid)) continue;
    std::string comm = read_value(context, "/proc/" + pid + "/comm");
    for (const TimeDaemon& d : kTimeDaemons) {
      if (comm == d.comm) return std::string(d.service);
    }
  }
  return {};
}

[[nodiscard]] bool from_timedated(Context& context, pb::SystemInfo& s) {
  auto bus = open_system_bus(context, std::chrono::milliseconds(1500));
  if (!bus) return false;
  BusError error;
  int synced = 0;
  int r = sd_bus_get_property_trivial(bus->get(), "org.freedesktop.timedate1",
                                      "/org/freedesktop/timedate1", "org.freedesktop.timedate1",
                                      "NTPSynchronized", error.get(), 'b', &synced);
  if (r < 0) return false;
  s.set_clock_synchronized(synced != 0);
  s.set_clock_sync_source("timedated");
  return true;
}

void from_adjtimex(Context& context, pb::SystemInfo& s) {
  struct timex tx {};  // modes 0: read only, allowed without privileges
  int state = ::adjtimex(&tx);
  if (state < 0) {
    context.add_error(std::string("adjtimex: ") + std::strerror(errno));
    return;
  }
  s.set_clock_synchronized(state != TIME_ERROR && (tx.status & STA_UNSYNC) == 0);
  s.set_clock_sync_source("adjtimex");
}

}  // namespace

Result<void> collect_system_clock(Context& context, pb::DiagnosticBundle& out) {
  pb::SystemInfo& s = *out.mutable_system();
  s.set_ntp_service(running_time_daemon(context));
  // The sync state is the machine's own; a fake tree cannot describe it.
  if (!context.live()) return {};
  if (!from_timedated(context, s)) from_adjtimex(context, s);
  return {};
}

}  // namespace helpline::agent::collect::linux_impl
