// server/audit: the relay's append-only, hash-chained audit log
// (docs/sessions.md, "Audit"). Every session request, decision, open,
// close, file transfer and forward is one entry in <data>/audit.log, in
// the line format of common/audit. The head of the chain (seq, hash) is
// also kept in the store's settings ("audit.head"), so a tail cut from the
// file, or a file rewritten from some entry on, is detected too.
//
// The file is opened O_APPEND and never rewritten; each entry is one
// write() followed by fdatasync(), so a crash leaves whole entries.
//
// Thread: the relay's io_context thread. Errors: "audit_error" naming the
// file and the OS reason.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/audit/audit.h"
#include "common/core/result.h"
#include "server/store/store.h"

namespace helpline::relay::audit {

inline constexpr const char* kAuditFile = "audit.log";
inline constexpr const char* kHeadSetting = "audit.head";

struct Event {
  std::string event;    // "session.request", "session.decision", "session.open", ...
  std::string actor;    // who did it: technician, "user:<login>", "agent", "relay"
  std::string device;
  std::string session;
  std::int64_t ticket = 0;
  std::string detail;
};

struct Filter {
  std::string session;   // "": any
  std::string device;    // "": any
  std::size_t limit = 200;  // the newest this many
};

class AuditLog {
 public:
  // Opens (creating, 0600) `file` and verifies it. A log that does not
  // verify is logged as an error; new entries continue after its last
  // line, so verify() keeps naming the first bad entry. Errors:
  // "audit_error", the store's.
  [[nodiscard]] static Result<std::unique_ptr<AuditLog>> open(std::filesystem::path file,
                                                              Store& store);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Appends one entry (at = now). Errors: "audit_error".
  [[nodiscard]] Result<::helpline::audit::Entry> append(Event event);
  // Appends and logs a failure instead of returning it: for callers whose
  // action has already happened.
  void record(Event event);

  // Re-reads the whole file and checks it against the recorded head.
  [[nodiscard]] Result<::helpline::audit::VerifyReport> verify() const;
  // Entries matching `filter`, oldest first. Lines that do not parse are skipped.
  [[nodiscard]] Result<std::vector<::helpline::audit::Entry>> list(const Filter& filter) const;

  [[nodiscard]] const std::filesystem::path& file() const { return file_; }

 private:
  AuditLog(std::filesystem::path file, Store& store, int fd)
      : file_(std::move(file)), store_(store), fd_(fd) {}

  std::filesystem::path file_;
  Store& store_;
  int fd_ = -1;
  std::uint64_t head_seq_ = 0;
  std::string head_hash_;
};

// Verifies a log file on its own (no recorded head: `helpline-relay` tools
// and tests). Errors: "audit_error" when it cannot be read.
[[nodiscard]] Result<::helpline::audit::VerifyReport> verify_file(
    const std::filesystem::path& file, std::uint64_t head_seq = 0, std::string_view head_hash = {});

}  // namespace helpline::relay::audit
