// Kernel messages for the logs and OOM collectors: from the journal's
// kernel transport where journald runs, otherwise from /dev/kmsg (under the
// Context root, where a fake tree holds it as a text file).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/collect/collector.h"

namespace helpline::agent::collect::linux_impl {

// One /dev/kmsg record: "PRI,SEQ,USEC,FLAGS[,...];MESSAGE". Continuation
// lines (" KEY=value") are not records.
struct KmsgRecord {
  unsigned priority = 6;   // syslog level, 0..7
  unsigned facility = 0;   // 0: kernel
  std::uint64_t usec = 0;  // since boot (monotonic)
  std::string_view message;
};
[[nodiscard]] std::optional<KmsgRecord> parse_kmsg_record(std::string_view line);

struct KernelLogQuery {
  unsigned max_priority = 7;
  bool this_boot = false;  // journal only; /dev/kmsg holds this boot anyway
  UnixMillis since_ms = 0;
  std::size_t max_entries = 500;  // the newest are kept
  std::size_t max_message_bytes = 2048;
  std::function<bool(std::string_view)> accept;  // optional filter on the text
};

struct KernelLog {
  std::vector<pb::LogEntry> entries;  // oldest first
  std::string source;                 // "journal" or "/dev/kmsg"
};

// Errors: "read_failed" when /dev/kmsg cannot be read either (it needs
// CAP_SYSLOG when kernel.dmesg_restrict is set), "timed_out".
[[nodiscard]] Result<KernelLog> read_kernel_log(Context& context, const KernelLogQuery& query);

}  // namespace helpline::agent::collect::linux_impl
