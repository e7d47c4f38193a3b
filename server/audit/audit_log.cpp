#include "server/audit/audit_log.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <deque>
#include <fstream>
#include <optional>

namespace helpline::relay::audit {

namespace chain = ::helpline::audit;

namespace {

[[nodiscard]] Error os_error(const std::filesystem::path& file, std::string_view what) {
  return Error{"audit_error", "audit log " + file.string() + ": " + std::string(what) + ": " +
                                  std::strerror(errno)};
}

// "seq:hash" in the settings table.
[[nodiscard]] std::pair<std::uint64_t, std::string> parse_head(std::string_view text) {
  auto colon = text.find(':');
  if (colon == std::string_view::npos) return {0, ""};
  std::uint64_t seq = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + colon, seq);
  if (ec != std::errc() || end != text.data() + colon) return {0, ""};
  return {seq, std::string(text.substr(colon + 1))};
}

// Reads `file` line by line into `each`. Errors: "audit_error".
template <class Each>
[[nodiscard]] Result<void> read_lines(const std::filesystem::path& file, Each&& each) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    if (!std::filesystem::exists(file)) return {};
    return fail(os_error(file, "cannot read"));
  }
  std::string line;
  while (std::getline(in, line)) each(std::string_view(line));
  if (in.bad()) return fail(os_error(file, "read failed"));
  return {};
}

}  // namespace

Result<chain::VerifyReport> verify_file(const std::filesystem::path& file, std::uint64_t head_seq,
                                        std::string_view head_hash) {
  chain::ChainVerifier verifier;
  auto read = read_lines(file, [&](std::string_view line) { verifier.feed(line); });
  if (!read) return fail(read.error());
  verifier.expect_head(head_seq, head_hash);
  return verifier.report();
}

Result<std::unique_ptr<AuditLog>> AuditLog::open(std::filesystem::path file, Store& store) {
  int fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return fail(os_error(file, "cannot open"));
  std::unique_ptr<AuditLog> log(new AuditLog(file, store, fd));
  auto head = store.get_setting(kHeadSetting);
  if (!head) return fail(head.error());
  auto [seq, hash] = *head ? parse_head(**head) : std::pair<std::uint64_t, std::string>{0, ""};
  chain::ChainVerifier verifier;
  std::optional<chain::Entry> last;
  auto read = read_lines(file, [&](std::string_view line) {
    verifier.feed(line);
    if (auto entry = chain::parse_line(line)) last = std::move(*entry);
  });
  if (!read) return fail(read.error());
  verifier.expect_head(seq, hash);
  const chain::VerifyReport& report = verifier.report();
  if (!report.intact) {
    // The relay keeps serving and keeps recording: new entries continue
    // after the last line, and `helpline audit verify` keeps naming the
    // first bad entry until an operator has dealt with it.
    spdlog::error("audit log {} does not verify: {}; new entries continue after its last line",
                  file.string(), report.problem);
  }
  log->head_seq_ = last ? last->seq : 0;
  log->head_hash_ = last ? last->hash : std::string();
  return log;
}

AuditLog::~AuditLog() {
  if (fd_ >= 0) ::close(fd_);
}

Result<chain::Entry> AuditLog::append(Event event) {
  chain::Entry entry;
  entry.at_ms = unix_now_ms();
  entry.event = std::move(event.event);
  entry.actor = std::move(event.actor);
  entry.device = std::move(event.device);
  entry.session = std::move(event.session);
  entry.ticket = event.ticket;
  entry.detail = std::move(event.detail);
  std::string line = chain::seal(entry, head_seq_, head_hash_) + "\n";
  std::size_t done = 0;
  while (done < line.size()) {
    ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail(os_error(file_, "cannot append"));
    done += static_cast<std::size_t>(n);
  }
  if (::fdatasync(fd_) != 0) return fail(os_error(file_, "cannot sync"));
  head_seq_ = entry.seq;
  head_hash_ = entry.hash;
  if (auto saved = store_.set_setting(kHeadSetting, std::to_string(entry.seq) + ":" + entry.hash);
      !saved) {
    return fail(saved.error());
  }
  return entry;
}

void AuditLog::record(Event event) {
  std::string what = event.event + " " + event.session;
  if (auto r = append(std::move(event)); !r) {
    spdlog::error("cannot write the audit entry {}: {}", what, r.error().to_string());
  }
}

Result<chain::VerifyReport> AuditLog::verify() const {
  auto head = store_.get_setting(kHeadSetting);
  if (!head) return fail(head.error());
  auto [seq, hash] = *head ? parse_head(**head) : std::pair<std::uint64_t, std::string>{0, ""};
  return verify_file(file_, seq, hash);
}

Result<std::vector<chain::Entry>> AuditLog::list(const Filter& filter) const {
  std::deque<chain::Entry> kept;
  auto read = read_lines(file_, [&](std::string_view line) {
    auto entry = chain::parse_line(line);
    if (!entry) return;
    if (!filter.session.empty() && entry->session != filter.session) return;
    if (!filter.device.empty() && entry->device != filter.device) return;
    kept.push_back(std::move(*entry));
    if (kept.size() > filter.limit) kept.pop_front();
  });
  if (!read) return fail(read.error());
  return std::vector<chain::Entry>(kept.begin(), kept.end());
}

}  // namespace helpline::relay::audit
