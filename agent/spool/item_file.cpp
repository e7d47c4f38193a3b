#include "agent/spool/item_file.h"

#include <array>
#include <cstdio>

#include "agent/spool/record.h"
#include "agent/spool/spool_error.h"
#include "common/tls/crypto.h"

namespace helpline::agent::spool::detail {
namespace {

constexpr std::string_view kItemMagic = "helpline-spool-item 1";
constexpr std::string_view kAttemptsMagic = "helpline-spool-attempts 1";
constexpr std::string_view kCountersMagic = "helpline-spool-counters 1";
constexpr std::array<std::string_view, 6> kItemKeys = {
    "sequence", "id", "kind", "created_at", "payload_size", "payload_sha256"};
constexpr std::array<std::string_view, 3> kAttemptsKeys = {"attempts", "last_attempt_at",
                                                           "last_error"};
constexpr std::array<std::string_view, 5> kCountersKeys = {
    "counting_since", "evicted_items", "evicted_bytes", "last_eviction_at", "quarantined_items"};
constexpr std::size_t kSequenceDigits = 20;
constexpr std::uint64_t kMaxMillis = static_cast<std::uint64_t>(INT64_MAX);

[[nodiscard]] tl::unexpected<Error> corrupt(std::string message) {
  return fail(make_error(SpoolError::kCorrupt, std::move(message)));
}

[[nodiscard]] bool is_lower_hex(std::string_view text) {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

[[nodiscard]] bool is_digits(std::string_view text) {
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return !text.empty();
}

[[nodiscard]] std::string millis(UnixMillis ms) { return std::to_string(ms < 0 ? 0 : ms); }

[[nodiscard]] Result<UnixMillis> parse_millis(std::string_view text, std::string_view what) {
  auto value = parse_decimal(text, what, kMaxMillis);
  if (!value) return fail(value.error());
  return static_cast<UnixMillis>(*value);
}

}  // namespace

std::string zero_padded(std::uint64_t value) {
  char digits[kSequenceDigits + 1];
  std::snprintf(digits, sizeof digits, "%020llu", static_cast<unsigned long long>(value));
  return digits;
}

std::string item_stem(std::uint64_t sequence, std::string_view id) {
  return zero_padded(sequence) + "-" + std::string(id);
}

std::optional<StemParts> parse_item_name(std::string_view name, std::string_view suffix) {
  if (name.size() != kSequenceDigits + 1 + kIdHexLength + suffix.size()) return std::nullopt;
  if (name.substr(name.size() - suffix.size()) != suffix) return std::nullopt;
  std::string_view digits = name.substr(0, kSequenceDigits);
  std::string_view id = name.substr(kSequenceDigits + 1, kIdHexLength);
  if (!is_digits(digits) || name[kSequenceDigits] != '-' || !is_lower_hex(id)) {
    return std::nullopt;
  }
  std::uint64_t sequence = 0;
  for (char c : digits) {
    std::uint64_t digit = static_cast<std::uint64_t>(c - '0');
    if (sequence > (UINT64_MAX - digit) / 10) return std::nullopt;
    sequence = sequence * 10 + digit;
  }
  return StemParts{sequence, std::string(id)};
}

bool is_temp_name(std::string_view name) {
  std::size_t at = name.rfind(".tmp");
  return at != std::string_view::npos && at > 0 && is_digits(name.substr(at + 4));
}

bool valid_kind(std::string_view kind) {
  if (kind.empty() || kind.size() > kMaxKindLength) return false;
  for (char c : kind) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string new_id() {
  char hex[kIdHexLength + 1];
  std::snprintf(hex, sizeof hex, "%016llx%016llx",
                static_cast<unsigned long long>(tls::random_u64()),
                static_cast<unsigned long long>(tls::random_u64()));
  return hex;
}

std::string encode_item(const ItemInfo& info, std::string_view payload) {
  std::string out = render_record(kItemMagic, {{"sequence", std::to_string(info.sequence)},
                                               {"id", info.id},
                                               {"kind", info.kind},
                                               {"created_at", millis(info.created_at)},
                                               {"payload_size", std::to_string(payload.size())},
                                               {"payload_sha256", tls::sha256_hex(payload)}});
  out += payload;
  return out;
}

Result<ItemHeader> decode_item_header(std::string_view prefix) {
  auto record = parse_record(prefix, kItemMagic, kItemKeys);
  if (!record) return fail(record.error());
  const auto& v = record->values;
  ItemHeader header;
  auto sequence = parse_decimal(v[0], "sequence");
  if (!sequence) return fail(sequence.error());
  header.info.sequence = *sequence;
  if (v[1].size() != kIdHexLength || !is_lower_hex(v[1])) {
    return corrupt("id is not " + std::to_string(kIdHexLength) + " lowercase hex digits");
  }
  header.info.id = v[1];
  if (!valid_kind(v[2])) return corrupt("kind '" + v[2].substr(0, 40) + "' is not valid");
  header.info.kind = v[2];
  auto created = parse_millis(v[3], "created_at");
  if (!created) return fail(created.error());
  header.info.created_at = *created;
  auto payload_size = parse_decimal(v[4], "payload_size");
  if (!payload_size) return fail(payload_size.error());
  if (v[5].size() != 64 || !is_lower_hex(v[5])) return corrupt("payload_sha256 is not a digest");
  header.payload_sha256 = v[5];
  header.header_length = record->length;
  if (*payload_size > UINT64_MAX - record->length) return corrupt("payload_size is too large");
  header.info.size_bytes = record->length + *payload_size;
  return header;
}

Result<void> check_size(const ItemHeader& header, std::uint64_t file_size) {
  if (file_size == header.info.size_bytes) return {};
  return corrupt("file has " + std::to_string(file_size) + " bytes, its header says " +
                 std::to_string(header.info.size_bytes) + " (truncated or appended to)");
}

Result<void> check_item(const ItemHeader& header, std::string_view file) {
  if (auto size = check_size(header, file.size()); !size) return size;
  if (tls::sha256_hex(file.substr(header.header_length)) != header.payload_sha256) {
    return corrupt("payload checksum mismatch");
  }
  return {};
}

std::string encode_attempts(const ItemInfo& info) {
  return render_record(kAttemptsMagic, {{"attempts", std::to_string(info.attempts)},
                                        {"last_attempt_at", millis(info.last_attempt_at)},
                                        {"last_error", info.last_error}});
}

Result<void> decode_attempts(std::string_view text, ItemInfo& info) {
  auto record = parse_record(text, kAttemptsMagic, kAttemptsKeys);
  if (!record) return fail(record.error());
  if (record->length != text.size()) return corrupt("trailing bytes after the record");
  auto attempts = parse_decimal(record->values[0], "attempts", UINT32_MAX);
  if (!attempts) return fail(attempts.error());
  auto last = parse_millis(record->values[1], "last_attempt_at");
  if (!last) return fail(last.error());
  info.attempts = static_cast<std::uint32_t>(*attempts);
  info.last_attempt_at = *last;
  info.last_error = record->values[2];
  return {};
}

std::string encode_counters(const Stats& counters) {
  return render_record(kCountersMagic,
                       {{"counting_since", millis(counters.counting_since)},
                        {"evicted_items", std::to_string(counters.evicted_items)},
                        {"evicted_bytes", std::to_string(counters.evicted_bytes)},
                        {"last_eviction_at", millis(counters.last_eviction_at)},
                        {"quarantined_items", std::to_string(counters.quarantined_items)}});
}

Result<Stats> decode_counters(std::string_view text) {
  auto record = parse_record(text, kCountersMagic, kCountersKeys);
  if (!record) return fail(record.error());
  if (record->length != text.size()) return corrupt("trailing bytes after the record");
  const auto& v = record->values;
  auto since = parse_millis(v[0], "counting_since");
  auto evicted_items = parse_decimal(v[1], "evicted_items");
  auto evicted_bytes = parse_decimal(v[2], "evicted_bytes");
  auto last = parse_millis(v[3], "last_eviction_at");
  auto quarantined = parse_decimal(v[4], "quarantined_items");
  for (const Result<std::uint64_t>* r : {&evicted_items, &evicted_bytes, &quarantined}) {
    if (!*r) return fail(r->error());
  }
  if (!since) return fail(since.error());
  if (!last) return fail(last.error());
  Stats counters;
  counters.counting_since = *since;
  counters.evicted_items = *evicted_items;
  counters.evicted_bytes = *evicted_bytes;
  counters.last_eviction_at = *last;
  counters.quarantined_items = *quarantined;
  return counters;
}

}  // namespace helpline::agent::spool::detail
