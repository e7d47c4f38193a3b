#include "agent/cli/report_format.h"

#include <algorithm>
#include <limits>

namespace helpline::agent::report {

std::string human_duration(std::uint64_t seconds) {
  std::uint64_t days = seconds / 86400;
  std::uint64_t hours = seconds % 86400 / 3600;
  std::uint64_t minutes = seconds % 3600 / 60;
  if (days > 0) {
    return std::to_string(days) + "d " + std::to_string(hours) + "h " + std::to_string(minutes) +
           "m";
  }
  if (hours > 0) return std::to_string(hours) + "h " + std::to_string(minutes) + "m";
  return std::to_string(minutes) + "m " + std::to_string(seconds % 60) + "s";
}

std::string join(const std::vector<std::string>& items, std::string_view separator,
                 std::string_view empty) {
  if (items.empty()) return std::string(empty);
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

std::string line(std::string_view label, std::string_view value, std::size_t width,
                 std::string_view indent) {
  std::string out(indent);
  out += label;
  out.append(label.size() < width ? width - label.size() : 1, ' ');
  out += value;
  out += '\n';
  return out;
}

namespace {

[[nodiscard]] bool has_data(const v1::CollectorStatus& s) {
  return s.state() == v1::CollectorStatus::STATE_OK ||
         s.state() == v1::CollectorStatus::STATE_PARTIAL;
}

}  // namespace

bool section_collected(const v1::DiagnosticBundle& bundle, std::string_view section) {
  return std::any_of(bundle.collectors().begin(), bundle.collectors().end(),
                     [&](const v1::CollectorStatus& s) { return s.section() == section; });
}

bool section_has_data(const v1::DiagnosticBundle& bundle, std::string_view section) {
  return std::any_of(
      bundle.collectors().begin(), bundle.collectors().end(),
      [&](const v1::CollectorStatus& s) { return s.section() == section && has_data(s); });
}

bool collector_has_data(const v1::DiagnosticBundle& bundle, std::string_view name) {
  return std::any_of(bundle.collectors().begin(), bundle.collectors().end(),
                     [&](const v1::CollectorStatus& s) { return s.name() == name && has_data(s); });
}

void json_uint(JsonWriter& json, std::string_view key, std::uint64_t value) {
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  json.field(key, static_cast<std::int64_t>(std::min(value, kMax)));
}

}  // namespace helpline::agent::report
