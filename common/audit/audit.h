// common/audit: the hash-chained audit line format both daemons write (the
// relay's audit log, server/audit; the endpoint's local session audit,
// agent/session). Public face of the module. No I/O: the callers own the
// files.
//
// One entry per line, a JSON object whose keys always come in this order:
//
//   {"seq":7,"prev":"<64 hex>","at_ms":...,"event":"session.open",
//    "actor":"alice","device":"dev_..","session":"ses_..","ticket":12,
//    "detail":"...","hash":"<64 hex>"}
//
// `hash` is the SHA-256 (hex) of the line's bytes before `,"hash":` and
// `prev` is the hash of the entry before (64 zeros for seq 1), so editing,
// removing or reordering any entry breaks the chain at that entry. Cutting
// the tail is detected against a head (seq, hash) kept elsewhere (the relay
// keeps it in its database).
//
// Thread: none; plain functions and a value type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/core/result.h"
#include "common/core/time_format.h"

namespace helpline::audit {

inline constexpr std::string_view kGenesis =
    "0000000000000000000000000000000000000000000000000000000000000000";
inline constexpr std::size_t kMaxLine = 16 * 1024;    // longer lines are not entries
inline constexpr std::size_t kMaxDetail = 4 * 1024;   // detail is cut to this (UTF-8 safe)

struct Entry {
  std::uint64_t seq = 0;
  std::string prev;  // hash of the entry before
  UnixMillis at_ms = 0;
  std::string event;    // "session.request", "session.decision", ...
  std::string actor;    // technician, "user:<login>", "agent", "relay"
  std::string device;
  std::string session;
  std::int64_t ticket = 0;
  std::string detail;
  std::string hash;
};

// Fills entry.seq/prev from the chain's head and returns the sealed line
// (no newline); entry.hash is set. `head_hash` empty: the first entry.
[[nodiscard]] std::string seal(Entry& entry, std::uint64_t head_seq, std::string_view head_hash);

// Parses one line as written by seal(). Does not check the hash. Errors:
// "bad_entry" naming what is wrong.
[[nodiscard]] Result<Entry> parse_line(std::string_view line);

struct VerifyReport {
  bool intact = true;
  std::uint64_t entries = 0;
  std::uint64_t first_bad_line = 0;  // 1-based; 0 when intact
  std::uint64_t first_bad_seq = 0;   // the seq the bad line should have had
  std::string problem;               // what is wrong there, for a person
  std::uint64_t head_seq = 0;        // the last good entry
  std::string head_hash;
};

// Checks a chain line by line (streaming: any file size).
class ChainVerifier {
 public:
  // Feeds the next line (without its newline). After the first problem the
  // report is final and later lines are ignored.
  void feed(std::string_view line);
  // Compares the end with a head recorded elsewhere: fewer entries, or
  // another hash at that seq, is a problem (a cut or rewritten tail).
  void expect_head(std::uint64_t seq, std::string_view hash);
  [[nodiscard]] const VerifyReport& report() const { return report_; }

 private:
  void bad(std::string problem);

  VerifyReport report_;
  std::uint64_t lines_ = 0;
};

// Cuts `text` to at most `max` bytes without splitting a UTF-8 sequence.
[[nodiscard]] std::string cut_utf8(std::string_view text, std::size_t max);

}  // namespace helpline::audit
