#include "agent/spool/record.h"

#include <charconv>
#include <optional>

#include "agent/spool/spool_error.h"
#include "common/tls/crypto.h"

namespace helpline::agent::spool::detail {
namespace {

constexpr std::string_view kCheckKey = "check";

[[nodiscard]] tl::unexpected<Error> corrupt(std::string message) {
  return fail(make_error(SpoolError::kCorrupt, std::move(message)));
}

// The next line of `text` from `pos` (without its LF); std::nullopt when no
// LF follows within the record limit.
[[nodiscard]] std::optional<std::string_view> next_line(std::string_view text, std::size_t& pos) {
  std::size_t end = text.find('\n', pos);
  if (end == std::string_view::npos || end >= kMaxRecordBytes) return std::nullopt;
  std::string_view line = text.substr(pos, end - pos);
  pos = end + 1;
  return line;
}

}  // namespace

std::string render_record(std::string_view magic, std::initializer_list<Field> fields) {
  std::string out(magic);
  out += '\n';
  for (const auto& [key, value] : fields) {
    out += key;
    out += ' ';
    for (char c : value) out += (c == '\n' || c == '\r') ? ' ' : c;
    out += '\n';
  }
  std::string check = tls::sha256_hex(out);
  out += kCheckKey;
  out += ' ';
  out += check;
  out += '\n';
  return out;
}

Result<ParsedRecord> parse_record(std::string_view text, std::string_view magic,
                                  std::span<const std::string_view> keys) {
  std::size_t pos = 0;
  auto first = next_line(text, pos);
  if (!first)
    return corrupt("header is truncated or longer than " + std::to_string(kMaxRecordBytes) +
                   " bytes");
  if (*first != magic) return corrupt("does not start with '" + std::string(magic) + "'");
  ParsedRecord record;
  record.values.reserve(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    auto line = next_line(text, pos);
    if (!line) return corrupt("header is truncated before '" + std::string(keys[i]) + "'");
    std::size_t space = line->find(' ');
    std::string_view key = line->substr(0, space);
    if (key != keys[i] || space == std::string_view::npos) {
      return corrupt("header line " + std::to_string(i + 2) + " is '" +
                     std::string(line->substr(0, 40)) + "', expected '" + std::string(keys[i]) +
                     " <value>'");
    }
    record.values.emplace_back(line->substr(space + 1));
  }
  std::size_t checked = pos;
  auto check = next_line(text, pos);
  if (!check) return corrupt("header is truncated before its check line");
  if (check->substr(0, kCheckKey.size() + 1) != std::string(kCheckKey) + " ") {
    return corrupt("header is missing its check line");
  }
  if (check->substr(kCheckKey.size() + 1) != tls::sha256_hex(text.substr(0, checked))) {
    return corrupt("header checksum mismatch");
  }
  record.length = pos;
  return record;
}

Result<std::uint64_t> parse_decimal(std::string_view text, std::string_view what,
                                    std::uint64_t max) {
  std::uint64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc{} || ptr != end || value > max ||
      (text.size() > 1 && text.front() == '0')) {
    return corrupt(std::string(what) + " is '" + std::string(text.substr(0, 40)) +
                   "', expected a decimal number");
  }
  return value;
}

}  // namespace helpline::agent::spool::detail
