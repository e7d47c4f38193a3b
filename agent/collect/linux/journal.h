// Reading the systemd journal (sd-journal) for collectors: the newest
// entries matching a query, bounded in count, scan length and time.
//
// Thread: each call opens its own journal handle; safe from any thread.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/collect/collector.h"

namespace helpline::agent::collect::linux_impl {

struct JournalQuery {
  // Alternatives, ORed: an entry matches if it matches one group. Inside a
  // group, "FIELD=value" terms of the same field OR, different fields AND
  // (sd_journal_add_match). No groups: every entry.
  std::vector<std::vector<std::string>> groups;
  unsigned max_priority = 7;         // below 7, PRIORITY=0..max is added to every group
  bool this_boot = false;            // only entries of the current boot
  UnixMillis since_ms = 0;           // 0: no lower bound
  std::size_t max_entries = 100;     // the newest ones are kept
  std::size_t max_scanned = 100000;  // entries looked at before giving up
  std::size_t max_message_bytes = 2048;
  // Optional filter on MESSAGE, applied after the journal's own matching.
  std::function<bool(std::string_view)> accept;
};

// Matching entries, oldest first. Errors: "unavailable" when this machine
// has no journal files (journald not running, e.g. a container),
// "journal_error" with sd-journal's reason, "timed_out" at the deadline.
// Never called under a fake root (callers check Context::live()).
[[nodiscard]] Result<std::vector<pb::LogEntry>> read_journal(Context& context,
                                                             const JournalQuery& query);

// True if the local journal has any files to read.
[[nodiscard]] bool journal_available();

// "2026-05-01T10:00:00Z sshd[812]: message" for unit log excerpts.
[[nodiscard]] std::string format_log_line(const pb::LogEntry& entry);

}  // namespace helpline::agent::collect::linux_impl
