// agent/spool: the agent's bounded on-disk store-and-forward queue. Public
// face of the module. While the relay is unreachable, reports, bundles and
// action results wait here; once it is back they are delivered oldest first,
// each exactly once (see "Delivery" below).
//
// Layout of the spool directory (default <state>/spool, 0700):
//   <seq:20 digits>-<id:32 hex>.item       one item: checked text header + payload   0600
//   <seq:20 digits>-<id:32 hex>.attempts   attempts and last error, once it failed   0600
//   counters                               evictions and quarantines, persisted      0600
//   quarantine/                            corrupt files moved aside, bounded        0700
// Every file is written atomically (files::write_atomic: temporary sibling,
// fsync, rename, fsync of the directory); removals fsync the directory.
//
// Bounds: the item files together stay under max_bytes (default 256 MiB)
// and max_items. When a new item does not fit, the OLDEST items are evicted
// and each eviction is returned to the caller, logged, and counted in
// `counters` (Stats::evicted_items since Stats::counting_since). One item
// larger than max_bytes is refused (spool_full). The new item is written
// before anything is evicted, so a failed write (disk full) loses nothing
// already stored; the directory may briefly hold max_bytes plus one item.
// Payloads are handled whole in memory: an item is at most max_bytes.
//
// Recovery: open() scans the directory. Stray temporary files from an
// interrupted write are deleted; an item whose header, checksum or length is
// wrong is moved to quarantine/ (never silently deleted), logged, counted and
// listed in recovery(). The payload's SHA-256 is checked when it is read
// (peek/read); a mismatch quarantines the item there and returns
// spool_corrupt. An unreadable .attempts file only resets that item's
// attempt count (logged). Files the spool does not know are left alone.
//
// Delivery (exactly once, with the relay's help): peek() the oldest item,
// send it with its idempotency id, then acknowledge(id) when the relay
// confirms it STORED the item, or mark_failed(id, error) when sending
// failed (the item stays, first in line). A crash between send and
// acknowledge makes the agent send the item again after restart, so the
// relay MUST deduplicate on the idempotency id: it stores the item once and
// confirms every copy. An acknowledged item never comes back.
//
// Thread: one owner, the agent's loop thread; the Spool starts no threads
// and takes no locks. All file I/O is synchronous: small writes and
// removals, plus whole-payload reads and writes bounded by max_bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "agent/spool/spool_error.h"
#include "common/core/result.h"
#include "common/core/time_format.h"

namespace helpline::agent::spool {

inline constexpr std::string_view kSpoolDirName = "spool";
inline constexpr std::string_view kQuarantineDirName = "quarantine";
inline constexpr std::string_view kCountersFileName = "counters";
inline constexpr std::uint64_t kDefaultMaxBytes = 256u << 20;
inline constexpr std::size_t kDefaultMaxItems = 10'000;
inline constexpr std::size_t kDefaultMaxQuarantined = 32;
// A kind is 1..32 characters of [a-z0-9_.-]: "report", "bundle", "action_result".
inline constexpr std::size_t kMaxKindLength = 32;
// Longer error texts given to mark_failed are cut to this many bytes.
inline constexpr std::size_t kMaxErrorLength = 1024;

// <state_dir>/spool.
[[nodiscard]] std::filesystem::path default_dir(const std::filesystem::path& state_dir);

// The one way the spool writes file contents; tests inject failures (a full
// disk) through it. Errors follow files::write_atomic: the message names the
// path and ends with the OS reason (strerror), which is how the spool
// recognises a full disk (ENOSPC, EDQUOT).
class Writer {
 public:
  virtual ~Writer() = default;
  [[nodiscard]] virtual Result<void> write_atomic(const std::filesystem::path& path,
                                                  std::string_view data, unsigned mode) = 0;
};

// files::write_atomic. Stateless; lives for the whole program.
[[nodiscard]] Writer& system_writer();

struct SpoolOptions {
  std::filesystem::path dir;  // usually default_dir(state_dir); created 0700 if missing
  std::uint64_t max_bytes = kDefaultMaxBytes;  // >= 1; sum of the .item file sizes
  std::size_t max_items = kDefaultMaxItems;    // >= 1
  // quarantine/ keeps at most this many files and max_bytes bytes; the
  // oldest quarantined files beyond that are deleted (logged).
  std::size_t max_quarantined = kDefaultMaxQuarantined;
  std::function<UnixMillis()> clock;  // empty: unix_now_ms
  Writer* writer = nullptr;           // null: system_writer(); must outlive the Spool
};

struct ItemInfo {
  std::string id;                  // idempotency id: 32 lowercase hex (128 random bits)
  std::string kind;                // "report", "bundle", "action_result", ...
  std::uint64_t sequence = 0;      // enqueue order within this spool
  UnixMillis created_at = 0;       // when it was enqueued
  std::uint64_t size_bytes = 0;    // of its .item file (header + payload)
  std::uint32_t attempts = 0;      // failed delivery attempts so far
  UnixMillis last_attempt_at = 0;  // of the last failed attempt; 0: none
  std::string last_error;          // of the last failed attempt
};

struct Item {
  ItemInfo info;
  std::string payload;  // opaque bytes, typically a serialized protobuf
};

struct Quarantined {
  std::string file;                // the file name in the spool directory
  std::string reason;              // what was wrong with it
  std::filesystem::path moved_to;  // empty when it could not be moved (also logged)
};

// What open() found and did.
struct RecoveryReport {
  std::vector<Quarantined> quarantined;
  std::vector<std::string> temp_files_removed;  // file names
  std::vector<ItemInfo> evicted;                // the caps were lowered since the last run
};

struct EnqueueResult {
  ItemInfo item;
  std::vector<ItemInfo> evicted;  // oldest first; empty when everything fit
};

struct Stats {
  std::size_t items = 0;
  std::uint64_t bytes = 0;
  UnixMillis counting_since = 0;  // when the counters started (the spool's creation)
  std::uint64_t evicted_items = 0;
  std::uint64_t evicted_bytes = 0;
  UnixMillis last_eviction_at = 0;  // 0: never
  std::uint64_t quarantined_items = 0;
};

class Spool {
 public:
  // Creates the directory (0700) and quarantine/ if missing, and recovers
  // (see above). Errors: "spool_invalid" (empty dir, a zero cap), "spool_io"
  // when the directory cannot be made or listed. Corrupt files are not
  // errors: they are quarantined and listed in recovery().
  [[nodiscard]] static Result<Spool> open(SpoolOptions options);

  // Read-only look at a spool another process owns, for `status`: writes
  // and deletes nothing. A missing directory gives empty Stats; unreadable
  // counters give zero counters. Errors: "spool_io" when it cannot be listed.
  [[nodiscard]] static Result<Stats> inspect(const std::filesystem::path& dir);

  Spool(Spool&&) noexcept;
  Spool& operator=(Spool&&) noexcept;
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;
  ~Spool();

  [[nodiscard]] const RecoveryReport& recovery() const { return recovery_; }

  // Stores a copy of `payload` under a new idempotency id, durably, then
  // evicts the oldest items until the caps hold again. Errors:
  // "spool_invalid" (bad kind), "spool_full" (item larger than max_bytes),
  // "spool_io" (write failed; "spool: disk full writing item ..." when the
  // disk is full). On error nothing is stored and nothing is evicted.
  [[nodiscard]] Result<EnqueueResult> enqueue(std::string_view kind, std::string_view payload);

  // The oldest item with its payload, std::nullopt when the spool is empty.
  // Errors: "spool_corrupt" when that item failed its checks: it has left
  // the queue (moved to quarantine/), so call peek() again for the next one;
  // "spool_io" when it cannot be read (it stays).
  [[nodiscard]] Result<std::optional<Item>> peek();
  // The item with this id; std::nullopt when there is none. Errors as peek().
  [[nodiscard]] Result<std::optional<Item>> read(std::string_view id);

  // The relay stored the item: delete it for good. false when no item has
  // this id (already acknowledged, evicted, quarantined): not an error, the
  // relay may confirm twice. Errors: "spool_io" when it cannot be deleted
  // (it stays and will be sent again; the relay deduplicates).
  [[nodiscard]] Result<bool> acknowledge(std::string_view id);

  // Sending failed: count the attempt, remember `error` (cut to
  // kMaxErrorLength, one line), keep the item in its place. false when no
  // item has this id. Errors: "spool_io" (the count is then unchanged).
  [[nodiscard]] Result<bool> mark_failed(std::string_view id, std::string_view error);

  // The relay refused the item for good (e.g. it does not parse): delete it
  // like acknowledge() and log `reason`. false when no item has this id.
  [[nodiscard]] Result<bool> discard(std::string_view id, std::string_view reason);

  // Every item, oldest first, without payloads.
  [[nodiscard]] std::vector<ItemInfo> list() const;
  [[nodiscard]] Stats stats() const;
  [[nodiscard]] std::size_t size() const { return items_.size(); }
  [[nodiscard]] bool empty() const { return items_.empty(); }
  [[nodiscard]] const std::filesystem::path& dir() const { return options_.dir; }

 private:
  explicit Spool(SpoolOptions options);

  [[nodiscard]] UnixMillis now() const;
  [[nodiscard]] std::filesystem::path item_path(const ItemInfo& info) const;
  [[nodiscard]] std::filesystem::path attempts_path(const ItemInfo& info) const;
  [[nodiscard]] const ItemInfo* find(std::string_view id) const;

  // spool_recovery.cpp
  [[nodiscard]] Result<void> recover();
  void load_item(const std::string& name, std::uint64_t sequence, const std::string& id);
  void load_counters();
  void load_attempts(ItemInfo& info);
  void index(ItemInfo info);
  Quarantined quarantine(const std::string& file, std::string reason);
  void trim_quarantine();

  // spool.cpp
  [[nodiscard]] Result<std::optional<Item>> read_item(const ItemInfo& info);
  [[nodiscard]] Result<void> remove_item(const ItemInfo& info);
  void forget(std::uint64_t sequence);
  [[nodiscard]] Error corrupt_item(const ItemInfo& info, std::string reason);
  // Evicts oldest first until both caps hold; with keep_newest, never the
  // newest item (the one just enqueued, which fits alone).
  std::vector<ItemInfo> evict_to_fit(bool keep_newest);
  void save_counters();

  SpoolOptions options_;
  Writer* writer_;
  std::map<std::uint64_t, ItemInfo> items_;  // by sequence: oldest first
  std::unordered_map<std::string, std::uint64_t> by_id_;
  std::uint64_t bytes_ = 0;
  std::uint64_t next_sequence_ = 1;
  Stats counters_;               // the persisted fields only; items and bytes stay 0
  bool counters_dirty_ = false;  // changed but not yet saved (a write failed)
  RecoveryReport recovery_;
};

}  // namespace helpline::agent::spool
