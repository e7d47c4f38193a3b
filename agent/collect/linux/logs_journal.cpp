// logs.journal: journald entries since SourceOptions::since_ms (or the
// last max_log_entries), at or above the priority threshold, optionally
// only for the configured units.
#include "agent/collect/linux/collectors.h"
#include "agent/collect/linux/journal.h"

namespace helpline::agent::collect::linux_impl {

Result<void> collect_logs_journal(Context& context, pb::DiagnosticBundle& out) {
  if (!context.live()) return skipped("the journal is not read under a fake root");
  const SourceOptions& o = context.options();
  JournalQuery q;
  for (const std::string& unit : o.units) {
    if (!unit.empty()) q.groups.push_back({"_SYSTEMD_UNIT=" + unit});
  }
  q.max_priority = o.max_log_priority > 7 ? 7 : o.max_log_priority;
  q.since_ms = o.since_ms;
  q.max_entries = o.max_log_entries;
  q.max_message_bytes = o.max_message_bytes;
  auto entries = read_journal(context, q);
  if (!entries) return fail(entries.error());
  pb::LogsInfo& logs = *out.mutable_logs();
  for (pb::LogEntry& e : *entries) *logs.add_entries() = std::move(e);
  return {};
}

}  // namespace helpline::agent::collect::linux_impl
