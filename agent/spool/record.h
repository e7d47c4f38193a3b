// Internal to agent/spool: the checked text record every spool file starts
// with. A record is
//   <magic>\n
//   <key> <value>\n        one line per field, in a fixed order
//   check <sha256 hex>\n   over every byte above
// so a torn or edited header is detected and a person can still read it
// with `head`. Values are one line: render_record() turns CR and LF into
// spaces.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/core/result.h"

namespace helpline::agent::spool::detail {

using Field = std::pair<std::string_view, std::string>;

[[nodiscard]] std::string render_record(std::string_view magic,
                                        std::initializer_list<Field> fields);

struct ParsedRecord {
  std::vector<std::string> values;  // one per key, in the order asked for
  std::size_t length = 0;           // bytes of `text` the record used
};

// Parses the record at the start of `text` (which may continue with a
// payload). The error's message says what is wrong ("missing the check
// line", "field 2 is 'kind', expected 'id'", "checksum mismatch"); its code
// is "spool_corrupt".
[[nodiscard]] Result<ParsedRecord> parse_record(std::string_view text, std::string_view magic,
                                                std::span<const std::string_view> keys);

// Strict decimal: digits only, no sign, no overflow past `max`.
[[nodiscard]] Result<std::uint64_t> parse_decimal(std::string_view text, std::string_view what,
                                                  std::uint64_t max = UINT64_MAX);

// The longest record the spool writes, with room to spare: a file whose
// first kMaxRecordBytes hold no complete record is corrupt.
inline constexpr std::size_t kMaxRecordBytes = 4096;

}  // namespace helpline::agent::spool::detail
