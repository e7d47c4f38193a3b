// system.os: os-release, kernel, hostname, uptime and boot time, timezone,
// locale.
#include <sys/utsname.h>

#include <cstdlib>

#include "agent/collect/linux/collectors.h"
#include "agent/collect/linux/source_files.h"
#include "agent/collect/text.h"

namespace helpline::agent::collect::linux_impl {
namespace {

void read_os_release(Context& context, pb::SystemInfo& s) {
  auto text = read_source(context, "/etc/os-release", 64 * 1024);
  if (!text) text = read_source(context, "/usr/lib/os-release", 64 * 1024);
  if (!text) {
    context.add_error("os-release: " + text.error().message);
    return;
  }
  s.set_os_pretty_name(clean(assignment_value(*text, "PRETTY_NAME").value_or(""), 256));
  s.set_os_id(clean(assignment_value(*text, "ID").value_or(""), 64));
  s.set_os_version_id(clean(assignment_value(*text, "VERSION_ID").value_or(""), 64));
}

void read_kernel(Context& context, pb::SystemInfo& s) {
  s.set_kernel_release(read_value(context, "/proc/sys/kernel/osrelease"));
  s.set_kernel_version(read_value(context, "/proc/sys/kernel/version"));
  s.set_hostname(read_value(context, "/proc/sys/kernel/hostname"));
  if (!context.live()) return;
  struct utsname uts {};
  if (::uname(&uts) != 0) return;
  s.set_architecture(clean(uts.machine, 64));
  if (s.kernel_release().empty()) s.set_kernel_release(clean(uts.release, 256));
  if (s.kernel_version().empty()) s.set_kernel_version(clean(uts.version, 256));
  if (s.hostname().empty()) s.set_hostname(clean(uts.nodename, 256));
}

void read_uptime(Context& context, pb::SystemInfo& s) {
  auto text = read_source(context, "/proc/uptime");
  if (!text) {
    context.add_error("uptime: " + text.error().message);
  } else {
    auto fields = split_fields(trim(*text));
    auto seconds = fields.empty() ? std::nullopt : to_double(fields[0]);
    if (seconds && *seconds >= 0) {
      s.set_uptime_s(static_cast<std::uint64_t>(*seconds));
    } else {
      context.add_error("uptime: cannot parse /proc/uptime");
    }
  }
  UnixMillis boot = boot_time_ms(context);
  if (boot == 0) context.add_error("boot time: no btime in /proc/stat");
  s.set_boot_time_ms(boot);
}

// /etc/timezone (Debian), else the /etc/localtime link target
// (".../zoneinfo/Europe/Paris").
[[nodiscard]] std::string timezone_name(Context& context) {
  std::string tz = read_value(context, "/etc/timezone");
  if (!tz.empty()) return tz;
  std::string target = read_link(context, "/etc/localtime");
  constexpr std::string_view kMarker = "zoneinfo/";
  std::size_t at = target.find(kMarker);
  if (at == std::string::npos) return {};
  return clean(std::string_view(target).substr(at + kMarker.size()), 128);
}

// The system locale: /etc/locale.conf (systemd), /etc/default/locale
// (Debian), else the agent's own LANG.
[[nodiscard]] std::string system_locale(Context& context) {
  for (std::string_view path : {"/etc/locale.conf", "/etc/default/locale"}) {
    auto text = read_source(context, path, 64 * 1024);
    if (!text) continue;
    if (auto lang = assignment_value(*text, "LANG")) return clean(*lang, 128);
  }
  if (!context.live()) return {};
  const char* lang = std::getenv("LANG");
  return lang ? clean(lang, 128) : std::string();
}

}  // namespace

Result<void> collect_system_os(Context& context, pb::DiagnosticBundle& out) {
  pb::SystemInfo& s = *out.mutable_system();
  read_os_release(context, s);
  read_kernel(context, s);
  read_uptime(context, s);
  s.set_timezone(timezone_name(context));
  s.set_locale(system_locale(context));
  if (s.os_pretty_name().empty() && s.kernel_release().empty() && s.uptime_s() == 0) {
    return fail("read_failed", "neither os-release, the kernel release nor the uptime is readable");
  }
  return {};
}

}  // namespace helpline::agent::collect::linux_impl
