// Findings: rules over a DiagnosticBundle (proto/helpline/v1/bundle.proto)
// that turn its facts into a short, ranked list a technician reads first
// ("/var is 97% full", "disk /dev/sda fails its SMART check", ...), each with
// the evidence (the numbers) and the id of a catalog action that may fix it.
//
// The rules are data: one table (rule_definitions(), rules_table.cpp) gives
// each rule's id, severity, ranking weight, threshold (a FindingsConfig
// field) and text templates; small evaluation functions, one per kind of
// fact, decide when a rule fires. docs/findings.md lists them.
//
// A rule fires only on facts the bundle holds: a section that was not
// collected produces no finding (never "no DNS server" because the network
// section is missing). Pure: no I/O, no clock (times come from the bundle),
// no globals; thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "helpline/v1/bundle.pb.h"

namespace helpline::findings {

namespace v1 = ::helpline::v1;

// In ranking order: critical first.
enum class Severity { kCritical = 0, kWarning = 1, kInfo = 2 };

// "critical", "warning", "info".
[[nodiscard]] std::string_view severity_name(Severity severity);

struct Finding {
  std::string rule_id;  // "storage.filesystem_full", stable
  Severity severity = Severity::kInfo;
  std::string title;             // one line: "/var is 97.3% full"
  std::string evidence;          // the facts and numbers behind it
  std::string suggested_action;  // planned catalog action id ("journal.vacuum"); "" for none
  std::string subject;  // what it is about: a mount point, unit, device, sensor; "" if global

  friend bool operator==(const Finding&, const Finding&) = default;
};

// Thresholds and limits. Percent and count thresholds are doubles so that
// one table column can point at any of them. Comparisons are "at or above"
// unless the field says otherwise (docs/findings.md gives each rule's test).
struct FindingsConfig {
  double filesystem_used_percent = 90;      // warning: used / (used + avail)
  double filesystem_critical_percent = 98;  // critical
  double inode_used_percent = 90;
  double inode_critical_percent = 98;
  double memory_available_percent = 10;   // warning when MemAvailable is BELOW this
  double oom_kills = 1;                   // OOM kills since boot
  double smart_reallocated_sectors = 1;   // ATA attribute 5
  double smart_pending_sectors = 1;       // ATA attribute 197
  double smart_media_errors = 1;          // NVMe media and data integrity errors
  double temperature_margin_celsius = 5;  // warning within this of the critical trip point
  double battery_wear_percent = 40;
  double error_burst_count = 50;  // entries from one unit within error_burst_window
  std::chrono::milliseconds error_burst_window = std::chrono::minutes(10);
  unsigned error_burst_priority = 3;  // count entries with priority <= this (3: err)

  // Mount points that are read-write on a healthy machine: one of them
  // mounted read-only (a writable filesystem type) is a finding. "/" has its
  // own rule.
  std::vector<std::string> normally_rw_mounts = {"/",    "/home", "/var", "/var/log",
                                                 "/tmp", "/srv",  "/boot"};
  // Rule ids that never fire.
  std::vector<std::string> disabled_rules;
  // The ranked list is cut to this many findings; 0: no limit.
  std::size_t max_findings = 20;
};

// One row of the rule table.
struct RuleDefinition {
  std::string_view id;
  Severity severity;
  int weight;  // ranking within a severity: higher first
  // The FindingsConfig field the rule compares against, nullptr for rules
  // without a threshold. Templates can show it as {threshold}.
  double FindingsConfig::*threshold;
  // Templates: "{name}" is replaced by the value the evaluation gives for
  // name (and {subject}, {threshold} always); unknown names stay as written.
  std::string_view title;
  std::string_view evidence;
  std::string_view action;           // planned catalog action id, "" for none
  std::string_view fallback_action;  // used where `action` does not apply (see docs)
  std::string_view when;             // when it fires, one line, for listings and docs
};

// Every rule, in evaluation order. Ids are unique.
[[nodiscard]] std::span<const RuleDefinition> rule_definitions();

// The findings for `bundle`, ranked: severity first, then rule weight (higher
// first); ties keep evaluation order, which for one rule is the bundle's own
// order (filesystems, units, ... as collected). At most config.max_findings.
[[nodiscard]] std::vector<Finding> evaluate(const v1::DiagnosticBundle& bundle,
                                            const FindingsConfig& config = {});

}  // namespace helpline::findings
