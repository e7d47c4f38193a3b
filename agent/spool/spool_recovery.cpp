// Spool::open, Spool::inspect and everything that turns a directory left by
// an earlier run (or a crash) back into a consistent queue.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <system_error>

#include "agent/spool/dir_ops.h"
#include "agent/spool/item_file.h"
#include "agent/spool/record.h"
#include "agent/spool/spool.h"
#include "common/core/files.h"

namespace helpline::agent::spool {
namespace {

namespace fs = std::filesystem;

[[nodiscard]] tl::unexpected<Error> io_error(std::string message) {
  return fail(make_error(SpoolError::kIo, std::move(message)));
}

// Sorted file names in `dir`: sequence-prefixed names come out oldest first.
[[nodiscard]] Result<std::vector<std::string>> list_names(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    names.push_back(it->path().filename().string());
  }
  if (ec) return io_error("spool: cannot list " + dir.string() + ": " + ec.message());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

Result<Spool> Spool::open(SpoolOptions options) {
  auto invalid = [](std::string message) {
    return fail(make_error(SpoolError::kInvalid, "spool: " + std::move(message)));
  };
  if (options.dir.empty()) return invalid("no directory given");
  if (options.max_bytes == 0) return invalid("max_bytes must be at least 1");
  if (options.max_items == 0) return invalid("max_items must be at least 1");
  for (const fs::path& dir : {options.dir, options.dir / kQuarantineDirName}) {
    auto made = files::ensure_private_dir(dir);
    if (!made) return io_error("spool: " + made.error().message);
  }
  Spool spool(std::move(options));
  auto recovered = spool.recover();
  if (!recovered) return fail(recovered.error());
  return spool;
}

Result<void> Spool::recover() {
  auto names = list_names(options_.dir);
  if (!names) return fail(names.error());
  load_counters();
  std::vector<detail::StemParts> attempts_files;
  for (const std::string& name : *names) {
    if (name == kQuarantineDirName || name == kCountersFileName) continue;
    fs::path path = options_.dir / name;
    if (detail::is_temp_name(name)) {
      // A write interrupted before its rename: the item was never stored.
      auto removed = detail::remove_file(path);
      if (!removed) {
        spdlog::warn("{}", removed.error().message);
        continue;
      }
      spdlog::info("spool: removed {}, left by an interrupted write", path.string());
      recovery_.temp_files_removed.push_back(name);
    } else if (auto item = detail::parse_item_name(name, detail::kItemSuffix)) {
      load_item(name, item->sequence, item->id);
    } else if (auto attempts = detail::parse_item_name(name, detail::kAttemptsSuffix)) {
      attempts_files.push_back(std::move(*attempts));
    } else {
      spdlog::warn("spool: ignoring {}: not a spool file", path.string());
    }
  }
  for (const detail::StemParts& parts : attempts_files) {
    auto it = items_.find(parts.sequence);
    if (it != items_.end() && it->second.id == parts.id) {
      load_attempts(it->second);
      continue;
    }
    // Its item was acknowledged, evicted or quarantined before the sidecar went.
    auto removed = detail::remove_file(options_.dir / (detail::item_stem(parts.sequence, parts.id) +
                                                       std::string(detail::kAttemptsSuffix)));
    if (!removed) spdlog::warn("{}", removed.error().message);
  }
  if (!recovery_.temp_files_removed.empty()) {
    auto synced = detail::sync_dir(options_.dir);
    if (!synced) spdlog::warn("{}", synced.error().message);
  }
  next_sequence_ = items_.empty() ? 1 : items_.rbegin()->first + 1;
  recovery_.evicted = evict_to_fit(/*keep_newest=*/false);
  if (counters_dirty_) save_counters();
  if (!items_.empty()) {
    spdlog::info("spool {}: {} items ({} bytes) waiting for delivery", options_.dir.string(),
                 items_.size(), bytes_);
  }
  return {};
}

void Spool::load_item(const std::string& name, std::uint64_t sequence, const std::string& id) {
  auto prefix = detail::read_prefix(options_.dir / name, detail::kMaxRecordBytes);
  if (!prefix) {
    recovery_.quarantined.push_back(quarantine(name, prefix.error().message));
    return;
  }
  auto header = detail::decode_item_header(prefix->bytes);
  if (!header) {
    recovery_.quarantined.push_back(quarantine(name, header.error().message));
    return;
  }
  ItemInfo& info = header->info;
  std::string problem;
  if (info.sequence != sequence || info.id != id) {
    problem = "its header names item " + detail::item_stem(info.sequence, info.id);
  } else if (by_id_.contains(info.id)) {
    problem = "another item has the same id";
  } else if (auto size = detail::check_size(*header, prefix->size); !size) {
    problem = size.error().message;
  }
  if (!problem.empty()) {
    recovery_.quarantined.push_back(quarantine(name, std::move(problem)));
    return;
  }
  index(std::move(info));
}

void Spool::load_counters() {
  fs::path path = options_.dir / kCountersFileName;
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    counters_ = Stats{};
    counters_.counting_since = now();
    counters_dirty_ = true;
    return;
  }
  auto text = files::read(path, detail::kMaxRecordBytes);
  auto decoded = text ? detail::decode_counters(*text) : fail(text.error());
  if (decoded) {
    counters_ = *decoded;
    return;
  }
  counters_ = Stats{};
  counters_.counting_since = now();
  counters_dirty_ = true;
  recovery_.quarantined.push_back(
      quarantine(std::string(kCountersFileName), decoded.error().message));
}

void Spool::load_attempts(ItemInfo& info) {
  fs::path path = attempts_path(info);
  auto text = files::read(path, detail::kMaxRecordBytes);
  auto decoded = text ? detail::decode_attempts(*text, info) : fail(text.error());
  if (decoded) return;
  // Attempt counts are advisory; the item itself is intact, so keep it.
  spdlog::warn("spool: ignoring {} ({}); the item's attempt count restarts at 0", path.string(),
               decoded.error().message);
  auto removed = detail::remove_file(path);
  if (!removed) spdlog::warn("{}", removed.error().message);
}

void Spool::index(ItemInfo info) {
  bytes_ += info.size_bytes;
  by_id_.emplace(info.id, info.sequence);
  std::uint64_t sequence = info.sequence;
  items_.emplace(sequence, std::move(info));
}

Quarantined Spool::quarantine(const std::string& file, std::string reason) {
  Quarantined result{file, std::move(reason), {}};
  fs::path qdir = options_.dir / kQuarantineDirName;
  // Prefixed with the time so that trim_quarantine() drops the oldest first.
  std::string base = detail::zero_padded(static_cast<std::uint64_t>(now())) + "-" + file;
  fs::path target = qdir / base;
  std::error_code ec;
  for (int n = 1; n < 1000 && fs::exists(target, ec); ++n) {
    target = qdir / (base + "." + std::to_string(n));
  }
  auto moved = detail::rename_file(options_.dir / file, target);
  if (!moved) {
    spdlog::error("spool: {} is corrupt ({}) and could not be quarantined: {}",
                  (options_.dir / file).string(), result.reason, moved.error().message);
    return result;
  }
  for (const fs::path& dir : {options_.dir, qdir}) {
    auto synced = detail::sync_dir(dir);
    if (!synced) spdlog::warn("{}", synced.error().message);
  }
  spdlog::warn("spool: moved corrupt {} to {}: {}", (options_.dir / file).string(), target.string(),
               result.reason);
  result.moved_to = std::move(target);
  ++counters_.quarantined_items;
  save_counters();
  trim_quarantine();
  return result;
}

void Spool::trim_quarantine() {
  fs::path qdir = options_.dir / kQuarantineDirName;
  auto names = list_names(qdir);
  if (!names) {
    spdlog::warn("{}", names.error().message);
    return;
  }
  std::vector<std::uint64_t> sizes;
  std::uint64_t total = 0;
  for (const std::string& name : *names) {
    std::error_code ec;
    std::uint64_t size = fs::file_size(qdir / name, ec);
    sizes.push_back(ec ? 0 : size);
    total += sizes.back();
  }
  std::size_t count = names->size();
  for (std::size_t i = 0;
       i < names->size() && (count > options_.max_quarantined || total > options_.max_bytes); ++i) {
    fs::path path = qdir / (*names)[i];
    std::error_code ec;
    if (fs::remove_all(path, ec) == 0 || ec) {
      spdlog::warn("spool: cannot delete old quarantined {}: {}", path.string(), ec.message());
      continue;
    }
    spdlog::warn(
        "spool: deleted old quarantined {} to keep quarantine/ within {} files and {} "
        "bytes",
        path.string(), options_.max_quarantined, options_.max_bytes);
    --count;
    total -= sizes[i];
  }
}

Result<Stats> Spool::inspect(const fs::path& dir) {
  Stats stats;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return stats;
  auto names = list_names(dir);
  if (!names) return fail(names.error());
  for (const std::string& name : *names) {
    if (detail::parse_item_name(name, detail::kItemSuffix)) {
      std::uint64_t size = fs::file_size(dir / name, ec);
      if (ec) continue;  // gone since the listing
      ++stats.items;
      stats.bytes += size;
    }
  }
  auto text = files::read(dir / kCountersFileName, detail::kMaxRecordBytes);
  auto counters = text ? detail::decode_counters(*text) : fail(text.error());
  if (counters) {
    counters->items = stats.items;
    counters->bytes = stats.bytes;
    return *counters;
  }
  return stats;
}

}  // namespace helpline::agent::spool
