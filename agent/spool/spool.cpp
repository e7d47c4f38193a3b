// The queue operations: enqueue with eviction, reads with checksum checks,
// acknowledgement and failure bookkeeping. Recovery is in spool_recovery.cpp.
#include "agent/spool/spool.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "agent/spool/dir_ops.h"
#include "agent/spool/item_file.h"
#include "common/core/files.h"

namespace helpline::agent::spool {
namespace {

namespace fs = std::filesystem;

constexpr unsigned kFileMode = 0600;

class SystemWriter final : public Writer {
 public:
  Result<void> write_atomic(const fs::path& path, std::string_view data, unsigned mode) override {
    return files::write_atomic(path, data, mode);
  }
};

[[nodiscard]] std::string describe(const ItemInfo& info) {
  return "item " + info.id + " (" + info.kind + ")";
}

// At most kMaxErrorLength bytes, not cutting a UTF-8 sequence in half.
[[nodiscard]] std::string bounded_error(std::string_view error) {
  if (error.size() <= kMaxErrorLength) return std::string(error);
  std::size_t cut = kMaxErrorLength;
  while (cut > 0 && (static_cast<unsigned char>(error[cut]) & 0xC0) == 0x80) --cut;
  return std::string(error.substr(0, cut));
}

}  // namespace

fs::path default_dir(const fs::path& state_dir) { return state_dir / kSpoolDirName; }

Writer& system_writer() {
  static SystemWriter writer;
  return writer;
}

Spool::Spool(SpoolOptions options)
    : options_(std::move(options)),
      writer_(options_.writer != nullptr ? options_.writer : &system_writer()) {}

Spool::Spool(Spool&&) noexcept = default;
Spool& Spool::operator=(Spool&&) noexcept = default;
Spool::~Spool() = default;

UnixMillis Spool::now() const {
  UnixMillis t = options_.clock ? options_.clock() : unix_now_ms();
  return std::max<UnixMillis>(t, 0);
}

fs::path Spool::item_path(const ItemInfo& info) const {
  return options_.dir /
         (detail::item_stem(info.sequence, info.id) + std::string(detail::kItemSuffix));
}

fs::path Spool::attempts_path(const ItemInfo& info) const {
  return options_.dir /
         (detail::item_stem(info.sequence, info.id) + std::string(detail::kAttemptsSuffix));
}

const ItemInfo* Spool::find(std::string_view id) const {
  auto it = by_id_.find(std::string(id));
  return it == by_id_.end() ? nullptr : &items_.at(it->second);
}

Result<EnqueueResult> Spool::enqueue(std::string_view kind, std::string_view payload) {
  if (!detail::valid_kind(kind)) {
    return fail(
        make_error(SpoolError::kInvalid,
                   "spool: kind '" + std::string(kind.substr(0, 64)) +
                       "' is not valid: use 1 to 32 characters of a-z, 0-9, '_', '.', '-'"));
  }
  ItemInfo info;
  info.id = detail::new_id();
  // 128 random bits do not collide in practice; the loop only guards the index.
  for (int i = 0; i < 8 && by_id_.contains(info.id); ++i) info.id = detail::new_id();
  info.kind = std::string(kind);
  info.sequence = next_sequence_;
  info.created_at = now();
  std::string data = detail::encode_item(info, payload);
  info.size_bytes = data.size();
  if (info.size_bytes > options_.max_bytes) {
    return fail(make_error(SpoolError::kFull,
                           "spool: " + describe(info) + " of " + std::to_string(info.size_bytes) +
                               " bytes is larger than the spool's cap of " +
                               std::to_string(options_.max_bytes) + " bytes; it was not stored"));
  }
  fs::path path = item_path(info);
  // Written before anything is evicted: if this fails, nothing stored is lost.
  auto written = writer_->write_atomic(path, data, kFileMode);
  if (!written) {
    std::string what = detail::is_disk_full(written.error()) ? "disk full writing" : "cannot write";
    return fail(make_error(SpoolError::kIo, "spool: " + what + " item " + info.id + " (" +
                                                info.kind + ", " + std::to_string(info.size_bytes) +
                                                " bytes): " + written.error().message +
                                                "; nothing already spooled was lost"));
  }
  ++next_sequence_;
  index(info);
  spdlog::debug("spool: stored {} as {}, {} bytes", describe(info), path.filename().string(),
                info.size_bytes);
  EnqueueResult result{std::move(info), evict_to_fit(/*keep_newest=*/true)};
  return result;
}

Result<std::optional<Item>> Spool::peek() {
  if (items_.empty()) return std::optional<Item>{};
  return read_item(items_.begin()->second);
}

Result<std::optional<Item>> Spool::read(std::string_view id) {
  const ItemInfo* info = find(id);
  if (info == nullptr) return std::optional<Item>{};
  return read_item(*info);
}

Result<std::optional<Item>> Spool::read_item(const ItemInfo& info) {
  fs::path path = item_path(info);
  auto file = files::read(path, info.size_bytes);
  if (!file) {
    if (file.error().code == "too_large") {
      return fail(corrupt_item(info, "file is larger than its header says"));
    }
    std::error_code ec;
    if (!fs::exists(path, ec) && !ec) {
      ItemInfo gone = info;
      forget(gone.sequence);
      return fail(make_error(SpoolError::kCorrupt, "spool: " + describe(gone) + " vanished from " +
                                                       options_.dir.string() +
                                                       "; it cannot be delivered"));
    }
    return fail(make_error(SpoolError::kIo,
                           "spool: cannot read " + describe(info) + ": " + file.error().message));
  }
  auto header = detail::decode_item_header(*file);
  if (!header) return fail(corrupt_item(info, header.error().message));
  if (header->info.sequence != info.sequence || header->info.id != info.id) {
    return fail(corrupt_item(info, "its header names another item"));
  }
  if (auto checked = detail::check_item(*header, *file); !checked) {
    return fail(corrupt_item(info, checked.error().message));
  }
  Item item{info, std::move(*file)};
  item.payload.erase(0, header->header_length);
  return std::optional<Item>(std::move(item));
}

Error Spool::corrupt_item(const ItemInfo& info, std::string reason) {
  ItemInfo bad = info;  // `info` may point into the index, which forget() changes
  Quarantined moved = quarantine(item_path(bad).filename().string(), std::move(reason));
  auto removed = detail::remove_file(attempts_path(bad));
  if (!removed) spdlog::warn("{}", removed.error().message);
  forget(bad.sequence);
  std::string where = moved.moved_to.empty() ? "it could not be moved to quarantine/ (see the log)"
                                             : "moved to " + moved.moved_to.string();
  return make_error(SpoolError::kCorrupt,
                    "spool: " + describe(bad) + " is corrupt (" + moved.reason + "); " + where);
}

Result<bool> Spool::acknowledge(std::string_view id) {
  const ItemInfo* info = find(id);
  if (info == nullptr) return false;
  ItemInfo done = *info;
  auto removed = remove_item(done);
  if (!removed) return fail(removed.error());
  spdlog::debug("spool: {} delivered", describe(done));
  return true;
}

Result<bool> Spool::discard(std::string_view id, std::string_view reason) {
  const ItemInfo* info = find(id);
  if (info == nullptr) return false;
  ItemInfo dropped = *info;
  auto removed = remove_item(dropped);
  if (!removed) return fail(removed.error());
  spdlog::warn("spool: discarded {} after {} failed attempts: {}", describe(dropped),
               dropped.attempts, reason);
  return true;
}

Result<bool> Spool::mark_failed(std::string_view id, std::string_view error) {
  const ItemInfo* info = find(id);
  if (info == nullptr) return false;
  ItemInfo updated = *info;
  if (updated.attempts < UINT32_MAX) ++updated.attempts;
  updated.last_attempt_at = now();
  updated.last_error = bounded_error(error);
  fs::path path = attempts_path(updated);
  auto written = writer_->write_atomic(path, detail::encode_attempts(updated), kFileMode);
  if (!written) {
    return fail(make_error(SpoolError::kIo, "spool: cannot record a failed attempt for " +
                                                describe(updated) + ": " +
                                                written.error().message));
  }
  items_.at(updated.sequence) = std::move(updated);
  return true;
}

Result<void> Spool::remove_item(const ItemInfo& info) {
  auto removed = detail::remove_file(item_path(info));
  if (!removed) return fail(removed.error());
  auto attempts = detail::remove_file(attempts_path(info));
  if (!attempts) spdlog::warn("{}", attempts.error().message);
  // Without this an acknowledged item could come back after a power cut (and
  // be sent again; the relay would deduplicate it, but the log would lie).
  auto synced = detail::sync_dir(options_.dir);
  if (!synced) spdlog::warn("{}", synced.error().message);
  forget(info.sequence);
  return {};
}

void Spool::forget(std::uint64_t sequence) {
  auto it = items_.find(sequence);
  if (it == items_.end()) return;
  bytes_ -= it->second.size_bytes;
  by_id_.erase(it->second.id);
  items_.erase(it);
}

std::vector<ItemInfo> Spool::evict_to_fit(bool keep_newest) {
  std::vector<ItemInfo> evicted;
  std::size_t keep = keep_newest ? 1 : 0;
  while ((items_.size() > options_.max_items || bytes_ > options_.max_bytes) &&
         items_.size() > keep) {
    ItemInfo oldest = items_.begin()->second;
    auto removed = remove_item(oldest);
    if (!removed) {
      // Over the cap until the next enqueue retries; nothing else is lost.
      spdlog::error("spool: cannot evict {}: {}", describe(oldest), removed.error().message);
      break;
    }
    spdlog::warn("spool: evicted {}, {} bytes, queued at {}, to stay within {} items and {} bytes",
                 describe(oldest), oldest.size_bytes, format_rfc3339(oldest.created_at),
                 options_.max_items, options_.max_bytes);
    ++counters_.evicted_items;
    counters_.evicted_bytes += oldest.size_bytes;
    counters_.last_eviction_at = now();
    evicted.push_back(std::move(oldest));
  }
  if (!evicted.empty()) save_counters();
  return evicted;
}

void Spool::save_counters() {
  auto written = writer_->write_atomic(options_.dir / kCountersFileName,
                                       detail::encode_counters(counters_), kFileMode);
  counters_dirty_ = !written;
  if (!written) spdlog::warn("spool: cannot save counters: {}", written.error().message);
}

std::vector<ItemInfo> Spool::list() const {
  std::vector<ItemInfo> out;
  out.reserve(items_.size());
  for (const auto& [sequence, info] : items_) out.push_back(info);
  return out;
}

Stats Spool::stats() const {
  Stats out = counters_;
  out.items = items_.size();
  out.bytes = bytes_;
  return out;
}

}  // namespace helpline::agent::spool
