// Internal to agent/spool: names and contents of the spool's files.
//
//   <seq>-<id>.item      record "helpline-spool-item 1" (sequence, id, kind,
//                        created_at, payload_size, payload_sha256), then the
//                        payload bytes; file size = record + payload_size
//   <seq>-<id>.attempts  record "helpline-spool-attempts 1" (attempts,
//                        last_attempt_at, last_error)
//   counters             record "helpline-spool-counters 1"
// <seq> is 20 zero-padded digits so that names sort in enqueue order.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "agent/spool/spool.h"
#include "common/core/result.h"

namespace helpline::agent::spool::detail {

inline constexpr std::string_view kItemSuffix = ".item";
inline constexpr std::string_view kAttemptsSuffix = ".attempts";
inline constexpr std::size_t kIdHexLength = 32;

// 20 digits, zero-padded: such names sort like the numbers.
[[nodiscard]] std::string zero_padded(std::uint64_t value);

// "<20 digits>-<32 hex>" without suffix.
[[nodiscard]] std::string item_stem(std::uint64_t sequence, std::string_view id);

struct StemParts {
  std::uint64_t sequence = 0;
  std::string id;
};
// The parts of "<20 digits>-<32 hex><suffix>"; std::nullopt for any other name.
[[nodiscard]] std::optional<StemParts> parse_item_name(std::string_view name,
                                                       std::string_view suffix);

// files::write_atomic's temporary files: "<name>.tmp<digits>".
[[nodiscard]] bool is_temp_name(std::string_view name);

// 1..kMaxKindLength characters of [a-z0-9_.-].
[[nodiscard]] bool valid_kind(std::string_view kind);

// 128 random bits from OpenSSL as 32 lowercase hex digits.
[[nodiscard]] std::string new_id();

// The whole .item file for `info` (sequence, id, kind, created_at) and payload.
[[nodiscard]] std::string encode_item(const ItemInfo& info, std::string_view payload);

struct ItemHeader {
  ItemInfo info;  // sequence, id, kind, created_at; size_bytes = header + payload
  std::size_t header_length = 0;
  std::string payload_sha256;
};
// Parses the header at the start of `prefix` (at least the file's first
// kMaxRecordBytes, or the whole file). Errors: "spool_corrupt".
[[nodiscard]] Result<ItemHeader> decode_item_header(std::string_view prefix);
// Checks the file's size against its header. Errors: "spool_corrupt".
[[nodiscard]] Result<void> check_size(const ItemHeader& header, std::uint64_t file_size);
// Checks a whole .item file against its header. Errors: "spool_corrupt".
[[nodiscard]] Result<void> check_item(const ItemHeader& header, std::string_view file);

[[nodiscard]] std::string encode_attempts(const ItemInfo& info);
// Sets attempts, last_attempt_at and last_error of `info`. Errors: "spool_corrupt".
[[nodiscard]] Result<void> decode_attempts(std::string_view text, ItemInfo& info);

// The persisted fields of Stats (not items or bytes).
[[nodiscard]] std::string encode_counters(const Stats& counters);
[[nodiscard]] Result<Stats> decode_counters(std::string_view text);

}  // namespace helpline::agent::spool::detail
