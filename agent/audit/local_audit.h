// agent/audit: the endpoint's local audit (docs/security.md, "Record").
// One hash-chained file in the state directory, in the line format of
// common/audit, 0600. Remote sessions (agent/session) and remediation
// actions, the helpdesk's and the end user's own (agent/cli's action
// wiring), write to it; the end user reads it through the daemon
// (`helpline-agent audit`).
//
// The file is still called session-audit.log, as when it held sessions
// only, so an upgraded agent continues its chain.
//
// Appended with O_APPEND, one write() and fdatasync() per entry, so a
// crash leaves whole entries. Thread: the loop's thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/audit/audit.h"
#include "common/core/result.h"

namespace helpline::agent {

inline constexpr const char* kLocalAuditFile = "session-audit.log";

class LocalAudit {
 public:
  // Opens (creating, 0600) `file` and continues its chain after the last
  // entry that parses. Errors: "audit_error" naming the file.
  [[nodiscard]] static Result<std::unique_ptr<LocalAudit>> open(std::filesystem::path file);
  ~LocalAudit();
  LocalAudit(const LocalAudit&) = delete;
  LocalAudit& operator=(const LocalAudit&) = delete;

  // Seals and appends `entry` (seq, prev and hash are set here). A failed
  // write is logged, not returned: what it records has already happened.
  void record(::helpline::audit::Entry entry);

  // The last `n` lines and the whole chain's verification. Errors:
  // "audit_error" when the file cannot be read.
  [[nodiscard]] Result<std::pair<std::vector<std::string>, ::helpline::audit::VerifyReport>> tail(
      std::size_t n) const;

 private:
  LocalAudit(std::filesystem::path file, int fd) : file_(std::move(file)), fd_(fd) {}

  std::filesystem::path file_;
  int fd_;
  std::uint64_t head_seq_ = 0;
  std::string head_hash_;
};

}  // namespace helpline::agent
