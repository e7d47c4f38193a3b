#include "agent/collect/linux/journal.h"

#include <systemd/sd-id128.h>
#include <systemd/sd-journal.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "agent/collect/text.h"

namespace helpline::agent::collect::linux_impl {
namespace {

struct JournalCloser {
  void operator()(sd_journal* j) const { sd_journal_close(j); }
};
using JournalPtr = std::unique_ptr<sd_journal, JournalCloser>;

[[nodiscard]] std::string reason(int negative_errno) { return std::strerror(-negative_errno); }

[[nodiscard]] Result<JournalPtr> open_journal() {
  sd_journal* raw = nullptr;
  int r = sd_journal_open(&raw, SD_JOURNAL_LOCAL_ONLY);
  if (r < 0) return fail("journal_error", "cannot open the journal: " + reason(r));
  JournalPtr j(raw);
  std::uint64_t bytes = 0;
  if (sd_journal_get_usage(j.get(), &bytes) < 0 || bytes == 0) {
    return unavailable(
        "no readable journal files (journald is not running here, keeps no logs, or the agent "
        "may not read them)");
  }
  return j;
}

// The field's value without its "NAME=" prefix, "" when absent.
[[nodiscard]] std::string_view field(sd_journal* j, const char* name) {
  const void* data = nullptr;
  std::size_t length = 0;
  if (sd_journal_get_data(j, name, &data, &length) < 0) return {};
  std::string_view text(static_cast<const char*>(data), length);
  std::size_t eq = text.find('=');
  return eq == std::string_view::npos ? std::string_view() : text.substr(eq + 1);
}

[[nodiscard]] Result<void> add_matches(sd_journal* j, const JournalQuery& query) {
  std::vector<std::string> extra;
  if (query.max_priority < 7) {
    for (unsigned p = 0; p <= query.max_priority; ++p) {
      extra.push_back("PRIORITY=" + std::to_string(p));
    }
  }
  if (query.this_boot) {
    sd_id128_t boot{};
    char text[SD_ID128_STRING_MAX];
    if (sd_id128_get_boot(&boot) == 0) {
      extra.push_back(std::string("_BOOT_ID=") + sd_id128_to_string(boot, text));
    }
  }
  std::vector<std::vector<std::string>> groups = query.groups;
  if (groups.empty()) groups.emplace_back();
  for (std::size_t g = 0; g < groups.size(); ++g) {
    if (g > 0 && sd_journal_add_disjunction(j) < 0) {
      return fail("journal_error", "cannot combine journal matches");
    }
    std::vector<std::string> terms = groups[g];
    terms.insert(terms.end(), extra.begin(), extra.end());
    for (const std::string& term : terms) {
      int r = sd_journal_add_match(j, term.data(), term.size());
      if (r < 0) return fail("journal_error", "bad journal match '" + term + "': " + reason(r));
    }
  }
  return {};
}

[[nodiscard]] pb::LogEntry make_entry(sd_journal* j, std::uint64_t usec, std::string_view message,
                                      std::size_t max_message) {
  pb::LogEntry e;
  e.set_time_ms(static_cast<std::int64_t>(usec / 1000));
  auto priority = to_u64(field(j, "PRIORITY"));
  e.set_priority(priority && *priority <= 7 ? static_cast<std::uint32_t>(*priority) : 6);
  e.set_unit(clean(field(j, "_SYSTEMD_UNIT"), 256));
  std::string_view identifier = field(j, "SYSLOG_IDENTIFIER");
  if (identifier.empty()) identifier = field(j, "_COMM");
  e.set_identifier(clean(identifier, 256));
  auto pid = to_u64(field(j, "_PID"));
  if (pid && *pid <= UINT32_MAX) e.set_pid(static_cast<std::uint32_t>(*pid));
  e.set_message(clean(message, max_message));
  return e;
}

}  // namespace

bool journal_available() { return open_journal().has_value(); }

Result<std::vector<pb::LogEntry>> read_journal(Context& context, const JournalQuery& query) {
  auto journal = open_journal();
  if (!journal) return fail(journal.error());
  sd_journal* j = journal->get();
  // Larger fields are cut by sd-journal itself, so a huge MESSAGE is never
  // copied only to be truncated.
  sd_journal_set_data_threshold(j, query.max_message_bytes + 64);
  if (auto r = add_matches(j, query); !r) return fail(r.error());

  std::vector<pb::LogEntry> out;
  int r = sd_journal_seek_tail(j);
  if (r < 0) return fail("journal_error", "cannot seek the journal: " + reason(r));
  std::size_t scanned = 0;
  while (out.size() < query.max_entries && scanned < query.max_scanned) {
    r = sd_journal_previous(j);
    if (r < 0) return fail("journal_error", "cannot read the journal: " + reason(r));
    if (r == 0) break;
    if (++scanned % 256 == 0 && context.expired()) {
      return fail("timed_out", "the journal read did not finish in time");
    }
    std::uint64_t usec = 0;
    if (sd_journal_get_realtime_usec(j, &usec) < 0) continue;
    if (query.since_ms > 0 && static_cast<std::int64_t>(usec / 1000) < query.since_ms) break;
    std::string_view message = field(j, "MESSAGE");
    if (query.accept && !query.accept(message)) continue;
    out.push_back(make_entry(j, usec, message, query.max_message_bytes));
  }
  std::reverse(out.begin(), out.end());
  return out;
}

std::string format_log_line(const pb::LogEntry& entry) {
  std::string line = format_rfc3339(entry.time_ms());
  line += ' ';
  line += entry.identifier().empty() ? std::string("-") : entry.identifier();
  if (entry.pid() != 0) line += "[" + std::to_string(entry.pid()) + "]";
  line += ": ";
  line += entry.message();
  return line;
}

}  // namespace helpline::agent::collect::linux_impl
