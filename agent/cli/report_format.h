// Internal to agent/cli: small formatting helpers the bundle reports share.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/json_writer.h"
#include "common/findings/format.h"
#include "helpline/v1/bundle.pb.h"

namespace helpline::agent::report {

// Sizes and percents as findings write them (common/findings/format.h).
using findings::format_bytes;
using findings::format_percent;
using findings::percent_of;

// "3d 4h 12m", "5m 3s".
[[nodiscard]] std::string human_duration(std::uint64_t seconds);
// "a, b, c"; `empty` when there is nothing.
[[nodiscard]] std::string join(const std::vector<std::string>& items, std::string_view separator,
                               std::string_view empty = "");
// A label padded to `width` then the value, one line.
[[nodiscard]] std::string line(std::string_view label, std::string_view value,
                               std::size_t width = 14, std::string_view indent = "  ");

// Whether some collector of `section` ran (whatever its state).
[[nodiscard]] bool section_collected(const v1::DiagnosticBundle& bundle, std::string_view section);
// Whether some collector of `section` produced data (OK or PARTIAL).
[[nodiscard]] bool section_has_data(const v1::DiagnosticBundle& bundle, std::string_view section);
// Whether collector `name` produced data (OK or PARTIAL).
[[nodiscard]] bool collector_has_data(const v1::DiagnosticBundle& bundle, std::string_view name);

// JSON numbers for unsigned fields: JsonWriter takes int64 or double only.
void json_uint(JsonWriter& json, std::string_view key, std::uint64_t value);
// An array of strings.
template <class Range>
void json_strings(JsonWriter& json, std::string_view key, const Range& items) {
  json.key(key).begin_array();
  for (const auto& s : items) json.value(std::string_view(s));
  json.end_array();
}

}  // namespace helpline::agent::report
