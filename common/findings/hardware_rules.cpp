// Disks (SMART), memory and OOM kills, temperatures, batteries.
#include <cmath>

#include "common/findings/format.h"
#include "common/findings/rules.h"

namespace helpline::findings::detail {
namespace {

// A critical trip point below this is a placeholder some firmware reports,
// not a real limit.
constexpr double kMinPlausibleCriticalCelsius = 40;

[[nodiscard]] std::string or_unknown(const std::string& text,
                                     std::string_view fallback = "unknown") {
  return text.empty() ? std::string(fallback) : text;
}

[[nodiscard]] bool at_least(std::uint64_t value, double threshold) {
  return static_cast<double>(value) >= threshold;
}

}  // namespace

void evaluate_smart(const v1::DiagnosticBundle& bundle, Emitter& emitter) {
  for (const v1::SmartDevice& d : bundle.hardware().smart()) {
    if (!d.available()) continue;
    std::string model = or_unknown(d.model(), "unknown model");
    std::string reallocated = std::to_string(d.reallocated_sectors());
    std::string pending = std::to_string(d.pending_sectors());
    if (!d.passed()) {
      emitter.emit(ids::kSmartFailing, d.device(),
                   {{"model", model},
                    {"reallocated", reallocated},
                    {"pending", pending},
                    {"hours", std::to_string(d.power_on_hours())}});
      continue;  // the stronger finding says it all
    }
    if (d.pending_sectors() > 0 &&
        at_least(d.pending_sectors(), emitter.threshold(ids::kSmartPending))) {
      emitter.emit(ids::kSmartPending, d.device(),
                   {{"model", model}, {"pending", pending}, {"reallocated", reallocated}});
    }
    if (d.media_errors() > 0 &&
        at_least(d.media_errors(), emitter.threshold(ids::kSmartMediaErrors))) {
      emitter.emit(ids::kSmartMediaErrors, d.device(),
                   {{"model", model},
                    {"media_errors", std::to_string(d.media_errors())},
                    {"used", std::to_string(d.percentage_used())}});
    }
    if (d.reallocated_sectors() > 0 &&
        at_least(d.reallocated_sectors(), emitter.threshold(ids::kSmartReallocated))) {
      emitter.emit(ids::kSmartReallocated, d.device(),
                   {{"model", model}, {"reallocated", reallocated}, {"pending", pending}});
    }
  }
}

void evaluate_memory(const v1::DiagnosticBundle& bundle, Emitter& emitter) {
  const v1::Memory& m = bundle.hardware().memory();
  // MemAvailable is missing (0) on kernels before 3.14: no reading, no finding.
  if (m.total_bytes() > 0 && m.available_bytes() > 0) {
    double available = percent_of(m.available_bytes(), m.total_bytes());
    if (available < emitter.threshold(ids::kMemoryLow)) {
      std::uint64_t swap_used = m.swap_total_bytes() >= m.swap_free_bytes()
                                    ? m.swap_total_bytes() - m.swap_free_bytes()
                                    : 0;
      emitter.emit(ids::kMemoryLow, "",
                   {{"percent", format_percent(available)},
                    {"available", format_bytes(m.available_bytes())},
                    {"total", format_bytes(m.total_bytes())},
                    {"swap_used", format_bytes(swap_used)},
                    {"swap_total", format_bytes(m.swap_total_bytes())}});
    }
  }

  const auto& kills = bundle.processes().oom_kills();
  auto count = static_cast<std::uint64_t>(kills.size());
  if (count > 0 && at_least(count, emitter.threshold(ids::kOomKills))) {
    const v1::OomKill& last = kills[kills.size() - 1];
    emitter.emit(ids::kOomKills, "",
                 {{"count", std::to_string(count)},
                  {"process", or_unknown(last.process())},
                  {"pid", std::to_string(last.pid())},
                  {"time", format_time(last.time_ms())}});
  }
}

void evaluate_thermal(const v1::DiagnosticBundle& bundle, Emitter& emitter) {
  double margin = emitter.threshold(ids::kTemperatureNearCritical);
  for (const v1::Temperature& t : bundle.hardware().temperatures()) {
    if (!std::isfinite(t.celsius()) || !(t.critical_celsius() >= kMinPlausibleCriticalCelsius)) {
      continue;  // also NaN and infinite readings from a peer
    }
    std::string_view id;
    if (t.celsius() >= t.critical_celsius()) {
      id = ids::kTemperatureCritical;
    } else if (t.celsius() >= t.critical_celsius() - margin) {
      id = ids::kTemperatureNearCritical;
    } else {
      continue;
    }
    std::string subject = t.label().empty() ? t.sensor() : t.label();
    std::string sensor = t.label().empty() ? t.sensor() : t.sensor() + " (" + t.label() + ")";
    emitter.emit(id, subject,
                 {{"sensor", sensor},
                  {"celsius", format_celsius(t.celsius())},
                  {"critical", format_celsius(t.critical_celsius())},
                  {"margin", format_celsius(t.critical_celsius() - t.celsius())}});
  }
}

void evaluate_battery(const v1::DiagnosticBundle& bundle, Emitter& emitter) {
  for (const v1::Battery& b : bundle.hardware().batteries()) {
    double wear = b.wear_percent();
    if (wear <= 0 && b.energy_full_design() > 0 && b.energy_full() > 0 &&
        b.energy_full() < b.energy_full_design()) {
      wear = 100.0 - percent_of(b.energy_full(), b.energy_full_design());
    }
    if (!std::isfinite(wear) || wear <= 0 || wear < emitter.threshold(ids::kBatteryWorn)) continue;
    std::string model = b.manufacturer().empty() ? b.model() : b.manufacturer() + " " + b.model();
    emitter.emit(ids::kBatteryWorn, b.name(),
                 {{"wear", format_percent(wear)},
                  {"health", format_percent(100.0 - wear)},
                  {"cycles", std::to_string(b.cycle_count())},
                  {"model", or_unknown(model, "unknown model")}});
  }
}

}  // namespace helpline::findings::detail
