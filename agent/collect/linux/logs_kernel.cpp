// logs.kernel: kernel messages at or above the priority threshold, since
// SourceOptions::since_ms or the last max_log_entries.
#include "agent/collect/linux/collectors.h"
#include "agent/collect/linux/kernel_log.h"

namespace helpline::agent::collect::linux_impl {

Result<void> collect_logs_kernel(Context& context, pb::DiagnosticBundle& out) {
  const SourceOptions& o = context.options();
  KernelLogQuery q;
  q.max_priority = o.max_log_priority > 7 ? 7 : o.max_log_priority;
  q.since_ms = o.since_ms;
  q.max_entries = o.max_log_entries;
  q.max_message_bytes = o.max_message_bytes;
  auto log = read_kernel_log(context, q);
  if (!log) {
    if (log.error().code == "read_failed") return unavailable(log.error().message);
    return fail(log.error());
  }
  pb::LogsInfo& logs = *out.mutable_logs();
  for (pb::LogEntry& e : log->entries) *logs.add_kernel() = std::move(e);
  return {};
}

}  // namespace helpline::agent::collect::linux_impl
