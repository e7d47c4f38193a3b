// Internal to common/findings: the rule ids, the Emitter through which the
// evaluation functions report, and those functions (one per kind of fact).
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "common/findings/findings.h"

namespace helpline::findings::detail {

// Rule ids, shared by the table and the evaluators.
namespace ids {
inline constexpr std::string_view kSmartFailing = "hardware.smart_failing";
inline constexpr std::string_view kSmartPending = "hardware.smart_pending_sectors";
inline constexpr std::string_view kSmartMediaErrors = "hardware.smart_media_errors";
inline constexpr std::string_view kSmartReallocated = "hardware.smart_reallocated_sectors";
inline constexpr std::string_view kRootReadOnly = "storage.root_read_only";
inline constexpr std::string_view kRemountedReadOnly = "storage.remounted_read_only";
inline constexpr std::string_view kReadOnlyMount = "storage.read_only_mount";
inline constexpr std::string_view kFilesystemFull = "storage.filesystem_full";
inline constexpr std::string_view kFilesystemNearlyFull = "storage.filesystem_nearly_full";
inline constexpr std::string_view kInodesFull = "storage.inodes_full";
inline constexpr std::string_view kInodesNearlyFull = "storage.inodes_nearly_full";
inline constexpr std::string_view kMemoryLow = "memory.low_available";
inline constexpr std::string_view kOomKills = "memory.oom_kills";
inline constexpr std::string_view kTemperatureCritical = "hardware.temperature_critical";
inline constexpr std::string_view kTemperatureNearCritical = "hardware.temperature_near_critical";
inline constexpr std::string_view kNoDns = "network.no_dns";
inline constexpr std::string_view kNoDefaultRoute = "network.no_default_route";
inline constexpr std::string_view kClockUnsynchronized = "time.clock_unsynchronized";
inline constexpr std::string_view kUnitFailed = "services.unit_failed";
inline constexpr std::string_view kErrorBurst = "logs.error_burst";
inline constexpr std::string_view kBatteryWorn = "hardware.battery_worn";
}  // namespace ids

// A template variable: "{name}" in a rule's title or evidence becomes value.
struct Var {
  std::string_view name;
  std::string value;
};

// A finding with its rule's ranking weight, before ranking.
struct RankedFinding {
  Finding finding;
  int weight = 0;
};

// Collects the findings of one evaluate() call. Not thread-safe; one per call.
class Emitter {
 public:
  explicit Emitter(const FindingsConfig& config) : config_(config) {}

  [[nodiscard]] const FindingsConfig& config() const { return config_; }
  // False for a rule listed in config().disabled_rules.
  [[nodiscard]] bool enabled(std::string_view id) const;
  // The configured threshold of rule `id` (0 for a rule without one).
  [[nodiscard]] double threshold(std::string_view id) const;

  // Adds a finding of rule `id` about `subject`, its texts rendered from the
  // rule's templates with `vars`. `fallback_action` picks the rule's
  // fallback_action instead of its action. Nothing for a disabled rule.
  void emit(std::string_view id, std::string subject, std::initializer_list<Var> vars,
            bool fallback_action = false);

  [[nodiscard]] std::vector<RankedFinding> take() { return std::move(found_); }

 private:
  const FindingsConfig& config_;
  std::vector<RankedFinding> found_;
};

// The rule `id` in the table; nullptr if there is none (a bug in the caller).
[[nodiscard]] const RuleDefinition* find_rule(std::string_view id);

// "{name}" replaced by the matching var's value; unknown names kept.
[[nodiscard]] std::string render_template(std::string_view text, std::initializer_list<Var> vars,
                                          const std::vector<Var>& more = {});

// True when collector `name` ran and produced data (OK or PARTIAL): its
// section's empty lists then mean "none", not "not collected".
[[nodiscard]] bool collected(const v1::DiagnosticBundle& bundle, std::string_view name);

// The evaluation functions, one per kind of fact. Each reads only its own
// part of the bundle and reports through the Emitter.
void evaluate_smart(const v1::DiagnosticBundle& bundle, Emitter& emitter);
void evaluate_storage(const v1::DiagnosticBundle& bundle, Emitter& emitter);
void evaluate_memory(const v1::DiagnosticBundle& bundle, Emitter& emitter);
void evaluate_thermal(const v1::DiagnosticBundle& bundle, Emitter& emitter);
void evaluate_network(const v1::DiagnosticBundle& bundle, Emitter& emitter);
void evaluate_clock(const v1::DiagnosticBundle& bundle, Emitter& emitter);
void evaluate_services(const v1::DiagnosticBundle& bundle, Emitter& emitter);
void evaluate_log_bursts(const v1::DiagnosticBundle& bundle, Emitter& emitter);
void evaluate_battery(const v1::DiagnosticBundle& bundle, Emitter& emitter);

}  // namespace helpline::findings::detail
