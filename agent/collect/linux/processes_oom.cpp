// processes.oom: OOM kills since boot, from the kernel's "Out of memory:
// Killed process <pid> (<name>)" lines (also "Memory cgroup out of
// memory: ..."), read from the journal or /dev/kmsg.
#include "agent/collect/linux/collectors.h"
#include "agent/collect/linux/kernel_log.h"
#include "agent/collect/text.h"

namespace helpline::agent::collect::linux_impl {
namespace {

constexpr std::string_view kMarker = "Killed process ";
constexpr std::size_t kMaxKills = 200;

// pid and process name from a kill line; nullopt for any other line.
[[nodiscard]] std::optional<std::pair<std::uint32_t, std::string_view>> parse_kill(
    std::string_view message) {
  std::size_t at = message.find(kMarker);
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view rest = message.substr(at + kMarker.size());
  std::size_t space = rest.find(' ');
  auto pid = to_u64(rest.substr(0, space));
  if (!pid || *pid > UINT32_MAX || space == std::string_view::npos) return std::nullopt;
  rest.remove_prefix(space + 1);
  if (rest.empty() || rest.front() != '(') return std::nullopt;
  std::size_t close = rest.find(')');
  if (close == std::string_view::npos) return std::nullopt;
  return std::make_pair(static_cast<std::uint32_t>(*pid), rest.substr(1, close - 1));
}

}  // namespace

Result<void> collect_processes_oom(Context& context, pb::DiagnosticBundle& out) {
  KernelLogQuery q;
  q.max_priority = 7;
  q.this_boot = true;
  q.max_entries = kMaxKills;
  q.max_message_bytes = 512;
  q.accept = [](std::string_view m) { return parse_kill(m).has_value(); };
  auto log = read_kernel_log(context, q);
  if (!log) {
    if (log.error().code == "read_failed") return unavailable(log.error().message);
    return fail(log.error());
  }
  pb::ProcessesInfo& p = *out.mutable_processes();
  for (const pb::LogEntry& e : log->entries) {
    auto kill = parse_kill(e.message());
    if (!kill) continue;
    pb::OomKill& k = *p.add_oom_kills();
    k.set_time_ms(e.time_ms());
    k.set_pid(kill->first);
    k.set_process(clean(kill->second, 64));
    k.set_message(e.message());
  }
  return {};
}

}  // namespace helpline::agent::collect::linux_impl
