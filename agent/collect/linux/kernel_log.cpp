#include "agent/collect/linux/kernel_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <iterator>

#include "agent/collect/linux/journal.h"
#include "agent/collect/linux/source_files.h"
#include "agent/collect/text.h"

namespace helpline::agent::collect::linux_impl {
namespace {

constexpr std::size_t kMaxRecords = 200000;

// Keeps the newest `max` accepted records.
class Tail {
 public:
  Tail(const KernelLogQuery& query, UnixMillis boot_ms) : query_(query), boot_ms_(boot_ms) {}

  void add(std::string_view line) {
    auto record = parse_kmsg_record(line);
    if (!record || record->priority > query_.max_priority) return;
    std::int64_t time_ms = boot_ms_ + static_cast<std::int64_t>(record->usec / 1000);
    if (query_.since_ms > 0 && time_ms < query_.since_ms) return;
    if (query_.accept && !query_.accept(record->message)) return;
    if (query_.max_entries == 0) return;
    if (entries_.size() == query_.max_entries) entries_.pop_front();
    pb::LogEntry& e = entries_.emplace_back();
    e.set_time_ms(time_ms);
    e.set_priority(record->priority);
    e.set_identifier("kernel");
    e.set_message(clean(record->message, query_.max_message_bytes));
  }

  std::vector<pb::LogEntry> take() {
    return std::vector<pb::LogEntry>(std::make_move_iterator(entries_.begin()),
                                     std::make_move_iterator(entries_.end()));
  }

 private:
  const KernelLogQuery& query_;
  UnixMillis boot_ms_;
  std::deque<pb::LogEntry> entries_;
};

[[nodiscard]] Result<std::vector<pb::LogEntry>> read_kmsg(Context& context,
                                                          const KernelLogQuery& query) {
  std::string path = context.path("/dev/kmsg").string();
  Tail tail(query, boot_time_ms(context));
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return fail("read_failed", "cannot read " + path + ": " + std::strerror(errno));
  struct stat st {};
  bool device = ::fstat(fd, &st) == 0 && S_ISCHR(st.st_mode);
  if (!device) {
    // A recorded ring buffer in a fake tree: one record per line.
    ::close(fd);
    auto text = read_source(context, "/dev/kmsg");
    if (!text) return fail(text.error());
    for (std::string_view line : split_lines(*text)) tail.add(line);
    return tail.take();
  }
  // The device returns one record per read(), EAGAIN at the end, and EPIPE
  // when the next record was overwritten before we got to it.
  char buf[8192];
  for (std::size_t n = 0; n < kMaxRecords; ++n) {
    if (n % 1024 == 0 && context.expired()) {
      ::close(fd);
      return fail("timed_out", "reading /dev/kmsg did not finish in time");
    }
    ssize_t got = ::read(fd, buf, sizeof buf);
    if (got < 0) {
      if (errno == EINTR || errno == EPIPE) continue;
      if (errno == EAGAIN) break;
      int err = errno;
      ::close(fd);
      return fail("read_failed", "cannot read /dev/kmsg: " + std::string(std::strerror(err)));
    }
    if (got == 0) break;
    std::string_view record(buf, static_cast<std::size_t>(got));
    tail.add(record.substr(0, record.find('\n')));
  }
  ::close(fd);
  return tail.take();
}

}  // namespace

std::optional<KmsgRecord> parse_kmsg_record(std::string_view line) {
  std::size_t semi = line.find(';');
  if (semi == std::string_view::npos || line.empty() || line.front() == ' ') return std::nullopt;
  std::string_view head = line.substr(0, semi);
  std::size_t c1 = head.find(',');
  std::size_t c2 = c1 == std::string_view::npos ? c1 : head.find(',', c1 + 1);
  if (c2 == std::string_view::npos) return std::nullopt;
  std::size_t c3 = head.find(',', c2 + 1);
  auto prefix = to_u64(head.substr(0, c1));
  auto usec = to_u64(head.substr(c2 + 1, c3 == std::string_view::npos ? c3 : c3 - c2 - 1));
  if (!prefix || !usec || !to_u64(head.substr(c1 + 1, c2 - c1 - 1))) return std::nullopt;
  KmsgRecord r;
  r.priority = static_cast<unsigned>(*prefix & 7u);
  r.facility = static_cast<unsigned>((*prefix >> 3) & 0xffu);
  r.usec = *usec;
  r.message = line.substr(semi + 1);
  return r;
}

Result<KernelLog> read_kernel_log(Context& context, const KernelLogQuery& query) {
  KernelLog log;
  if (context.live() && journal_available()) {
    JournalQuery q;
    q.groups = {{"_TRANSPORT=kernel"}};
    q.max_priority = query.max_priority;
    q.this_boot = query.this_boot;
    q.since_ms = query.since_ms;
    q.max_entries = query.max_entries;
    q.max_message_bytes = query.max_message_bytes;
    q.accept = query.accept;
    auto entries = read_journal(context, q);
    if (!entries) return fail(entries.error());
    log.entries = std::move(*entries);
    log.source = "journal";
    return log;
  }
  auto entries = read_kmsg(context, query);
  if (!entries) return fail(entries.error());
  log.entries = std::move(*entries);
  log.source = "/dev/kmsg";
  return log;
}

}  // namespace helpline::agent::collect::linux_impl
