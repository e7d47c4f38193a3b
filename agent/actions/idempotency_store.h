// The on-disk record of action requests by idempotency key, so that a
// request repeated after a dropped link never runs twice: the repeat gets
// the first result back.
//
// Layout (<state>/actions, 0700): one file per key,
//   <seq:20 digits>-<first 32 hex of SHA-256(key)>.record     0600
// holding a header line "helpline-action-record 1 <fingerprint>\n" and the
// serialized ActionResult. The fingerprint (SHA-256 over action id, catalog
// version and parameters) tells a true repeat from a different request
// that reuses a key.
//
// Before an action is spawned its record is written with the refusal
// "interrupted": if the agent dies while the action runs, the repeat is
// answered with that instead of running it again. The real result
// replaces it when the action ends.
//
// Bounds: at most max_records files; the oldest (lowest seq) are removed
// first. A record that cannot be read is deleted and logged.
//
// Thread: one owner (the agent's loop thread); synchronous small file I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/core/result.h"
#include "helpline/v1/catalog.pb.h"

namespace helpline::agent::actions {

inline constexpr std::string_view kRecordsDirName = "actions";
inline constexpr std::size_t kDefaultMaxRecords = 1000;
inline constexpr std::size_t kMaxIdempotencyKeyLength = 128;
inline constexpr std::string_view kInterruptedRule = "interrupted";

// The request's fingerprint: what must match for a repeat to count as one.
[[nodiscard]] std::string request_fingerprint(const v1::ActionRequest& request);

class IdempotencyStore {
 public:
  // Creates the directory (0700) if missing and indexes its records.
  // Errors: "mkdir_failed", "read_failed".
  [[nodiscard]] static Result<IdempotencyStore> open(std::filesystem::path dir,
                                                     std::size_t max_records = kDefaultMaxRecords);

  struct Found {
    std::string fingerprint;
    v1::ActionResult result;
  };
  // The stored record for `key`, or std::nullopt.
  [[nodiscard]] std::optional<Found> find(std::string_view key) const;

  // Writes (or replaces) the record for `key`, then removes the oldest
  // records above max_records. Errors: "write_failed".
  [[nodiscard]] Result<void> put(std::string_view key, std::string_view fingerprint,
                                 const v1::ActionResult& result);

  [[nodiscard]] std::size_t size() const { return index_.size(); }

 private:
  IdempotencyStore(std::filesystem::path dir, std::size_t max_records)
      : dir_(std::move(dir)), max_records_(max_records) {}

  struct Entry {
    std::uint64_t seq = 0;
    std::filesystem::path file;
  };
  void evict();

  std::filesystem::path dir_;
  std::size_t max_records_;
  std::map<std::string, Entry> index_;  // key hash -> newest file
  std::uint64_t next_seq_ = 1;
};

}  // namespace helpline::agent::actions
