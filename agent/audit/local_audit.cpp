#include "agent/audit/local_audit.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>

namespace helpline::agent {

namespace chain = ::helpline::audit;

Result<std::unique_ptr<LocalAudit>> LocalAudit::open(std::filesystem::path file) {
  int fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return fail("audit_error",
                "cannot open the local audit " + file.string() + ": " + std::strerror(errno));
  }
  std::unique_ptr<LocalAudit> audit(new LocalAudit(std::move(file), fd));
  std::ifstream in(audit->file_, std::ios::binary);
  std::string line;
  while (std::getline(in, line)) {
    if (auto entry = chain::parse_line(line)) {
      audit->head_seq_ = entry->seq;
      audit->head_hash_ = entry->hash;
    }
  }
  return audit;
}

LocalAudit::~LocalAudit() {
  if (fd_ >= 0) ::close(fd_);
}

void LocalAudit::record(chain::Entry entry) {
  std::string line = chain::seal(entry, head_seq_, head_hash_) + "\n";
  std::size_t done = 0;
  while (done < line.size()) {
    ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      spdlog::error("cannot write the local audit {}: {}", file_.string(), std::strerror(errno));
      return;
    }
    done += static_cast<std::size_t>(n);
  }
  (void)::fdatasync(fd_);
  head_seq_ = entry.seq;
  head_hash_ = entry.hash;
}

Result<std::pair<std::vector<std::string>, chain::VerifyReport>> LocalAudit::tail(
    std::size_t n) const {
  std::ifstream in(file_, std::ios::binary);
  if (!in) return fail("audit_error", "cannot read the local audit " + file_.string());
  chain::ChainVerifier verifier;
  std::deque<std::string> last;
  std::string line;
  while (std::getline(in, line)) {
    verifier.feed(line);
    last.push_back(line);
    if (last.size() > n) last.pop_front();
  }
  return std::pair{std::vector<std::string>(last.begin(), last.end()), verifier.report()};
}

}  // namespace helpline::agent
