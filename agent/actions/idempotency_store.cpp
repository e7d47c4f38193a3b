#include "agent/actions/idempotency_store.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <vector>

#include "common/core/files.h"
#include "common/tls/crypto.h"

namespace helpline::agent::actions {
namespace {

constexpr std::string_view kHeader = "helpline-action-record 1 ";
constexpr std::string_view kSuffix = ".record";
constexpr std::size_t kHashChars = 32;
constexpr std::size_t kSeqChars = 20;
constexpr std::size_t kMaxRecordBytes = 32u << 20;

[[nodiscard]] std::string key_hash(std::string_view key) {
  return tls::sha256_hex(key).substr(0, kHashChars);
}

[[nodiscard]] std::string file_name(std::uint64_t seq, const std::string& hash) {
  char seq_text[kSeqChars + 1];
  std::snprintf(seq_text, sizeof seq_text, "%020llu", static_cast<unsigned long long>(seq));
  return std::string(seq_text) + "-" + hash + std::string(kSuffix);
}

// "<seq>-<hash>.record" -> (seq, hash); std::nullopt for any other name.
[[nodiscard]] std::optional<std::pair<std::uint64_t, std::string>> parse_name(
    std::string_view name) {
  if (name.size() != kSeqChars + 1 + kHashChars + kSuffix.size() || !name.ends_with(kSuffix) ||
      name[kSeqChars] != '-') {
    return std::nullopt;
  }
  std::uint64_t seq = 0;
  auto [end, ec] = std::from_chars(name.data(), name.data() + kSeqChars, seq);
  if (ec != std::errc() || end != name.data() + kSeqChars) return std::nullopt;
  return std::pair{seq, std::string(name.substr(kSeqChars + 1, kHashChars))};
}

void remove_file(const std::filesystem::path& file) {
  std::error_code ec;
  std::filesystem::remove(file, ec);
  if (ec) spdlog::warn("actions: cannot remove {}: {}", file.string(), ec.message());
}

}  // namespace

std::string request_fingerprint(const v1::ActionRequest& request) {
  std::vector<std::pair<std::string, std::string>> params(request.parameters().begin(),
                                                          request.parameters().end());
  std::sort(params.begin(), params.end());
  std::string text = request.action_id();
  text.push_back('\0');
  text += std::to_string(request.catalog_version());
  for (const auto& [k, v] : params) {
    text.push_back('\0');
    text += std::to_string(k.size()) + ":" + k + "=" + std::to_string(v.size()) + ":" + v;
  }
  return tls::sha256_hex(text);
}

Result<IdempotencyStore> IdempotencyStore::open(std::filesystem::path dir,
                                                std::size_t max_records) {
  if (auto made = files::ensure_private_dir(dir); !made) return fail(made.error());
  IdempotencyStore store(std::move(dir), max_records == 0 ? 1 : max_records);
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(store.dir_, ec)) {
    std::string name = entry.path().filename().string();
    auto parsed = parse_name(name);
    if (!parsed) {
      // files::write_atomic leaves "<name>.tmp<n>" only when interrupted.
      if (name.find(".record.tmp") != std::string::npos) remove_file(entry.path());
      continue;
    }
    auto& slot = store.index_[parsed->second];
    if (slot.seq < parsed->first) {
      if (!slot.file.empty()) remove_file(slot.file);
      slot = Entry{parsed->first, entry.path()};
    } else {
      remove_file(entry.path());
    }
    store.next_seq_ = std::max(store.next_seq_, parsed->first + 1);
  }
  if (ec) return fail("read_failed", "cannot list " + store.dir_.string() + ": " + ec.message());
  store.evict();
  return store;
}

std::optional<IdempotencyStore::Found> IdempotencyStore::find(std::string_view key) const {
  auto it = index_.find(key_hash(key));
  if (it == index_.end()) return std::nullopt;
  auto data = files::read(it->second.file, kMaxRecordBytes);
  Found found;
  std::size_t newline = data ? data->find('\n') : std::string::npos;
  if (!data || !data->starts_with(kHeader) || newline == std::string::npos ||
      !found.result.ParseFromArray(data->data() + newline + 1,
                                   static_cast<int>(data->size() - newline - 1)) ||
      found.result.idempotency_key() != key) {
    // A damaged record, or a hash prefix shared with another key: treat it
    // as unknown rather than answer with someone else's result.
    spdlog::warn("actions: record {} is unreadable or belongs to another key",
                 it->second.file.string());
    return std::nullopt;
  }
  found.fingerprint = data->substr(kHeader.size(), newline - kHeader.size());
  return found;
}

Result<void> IdempotencyStore::put(std::string_view key, std::string_view fingerprint,
                                   const v1::ActionResult& result) {
  std::string hash = key_hash(key);
  std::string data = std::string(kHeader) + std::string(fingerprint) + "\n";
  if (!result.AppendToString(&data)) {
    return fail("write_failed", "cannot serialize the action result");
  }
  Entry entry{next_seq_++, dir_ / file_name(next_seq_ - 1, hash)};
  if (auto written = files::write_atomic(entry.file, data, 0600); !written) return written;
  auto& slot = index_[hash];
  if (!slot.file.empty() && slot.file != entry.file) remove_file(slot.file);
  slot = entry;
  evict();
  return {};
}

void IdempotencyStore::evict() {
  while (index_.size() > max_records_) {
    auto oldest = std::min_element(index_.begin(), index_.end(), [](const auto& a, const auto& b) {
      return a.second.seq < b.second.seq;
    });
    remove_file(oldest->second.file);
    index_.erase(oldest);
  }
}

}  // namespace helpline::agent::actions
