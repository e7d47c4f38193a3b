// The text forms of the collect and show reports.
#include <map>

#include "agent/cli/bundle_report.h"
#include "agent/cli/report_facts.h"
#include "agent/cli/report_format.h"
#include "common/bundle/bundle.h"
#include "common/core/time_format.h"

namespace helpline::agent {
namespace {

using report::line;

constexpr std::size_t kLabel = 12;

[[nodiscard]] std::string header(const BundleReport& r) {
  const v1::DiagnosticBundle& b = r.bundle;
  std::string out;
  for (const std::string& note : r.notes) out += "note: " + note + "\n";
  out += line("bundle", r.file.id, kLabel, "");
  out += line("file",
              r.file.path + " (" + report::format_bytes(r.file.raw_bytes) + " raw, " +
                  report::format_bytes(r.file.compressed_bytes) + " compressed)",
              kLabel, "");
  std::string device = b.device_id().empty() ? "not enrolled" : "device " + b.device_id();
  out += line("host", (b.hostname().empty() ? "unknown" : b.hostname()) + " (" + device + ")",
              kLabel, "");
  out += line("collected",
              format_rfc3339(b.collected_at_ms()) + " in " + std::to_string(b.duration_ms()) +
                  " ms, agent " + b.agent_version() + ", " + b.platform(),
              kLabel, "");
  std::vector<std::string> sections(b.sections().begin(), b.sections().end());
  out += line("sections", report::join(sections, ", ", "all"), kLabel, "");
  if (b.since_ms() != 0) out += line("logs since", format_rfc3339(b.since_ms()), kLabel, "");
  return out;
}

// "24 run: 20 ok, 2 partial, 1 unavailable, 1 skipped"
[[nodiscard]] std::string state_counts(const v1::DiagnosticBundle& b) {
  std::map<int, int> counts;
  for (const v1::CollectorStatus& s : b.collectors()) ++counts[s.state()];
  std::vector<std::string> parts;
  for (const auto& [state, n] : counts) {
    parts.push_back(
        std::to_string(n) + " " +
        std::string(bundle::state_name(static_cast<v1::CollectorStatus::State>(state))));
  }
  return std::to_string(b.collectors_size()) + " run: " + report::join(parts, ", ", "none");
}

[[nodiscard]] std::string errors_of(const v1::CollectorStatus& s) {
  std::vector<std::string> errors(s.errors().begin(), s.errors().end());
  return report::join(errors, "; ");
}

// One line per collector; with `all` false only those that were not OK.
[[nodiscard]] std::string collector_lines(const v1::DiagnosticBundle& b, bool all) {
  std::string out;
  for (const v1::CollectorStatus& s : b.collectors()) {
    if (!all && s.state() == v1::CollectorStatus::STATE_OK) continue;
    std::string name = s.name();
    name.resize(std::max<std::size_t>(name.size() + 1, 22), ' ');
    std::string state(bundle::state_name(s.state()));
    state.resize(std::max<std::size_t>(state.size() + 1, 12), ' ');
    std::string detail = std::to_string(s.duration_ms()) + " ms";
    if (all) detail += ", " + report::format_bytes(s.bytes());
    std::string errors = errors_of(s);
    out += "  " + name + state + detail + (errors.empty() ? "" : ": " + errors) + "\n";
  }
  return out;
}

[[nodiscard]] std::string redaction_text(const v1::DiagnosticBundle& b) {
  const v1::RedactionSummary& r = b.redaction();
  if (!r.applied())
    return line("redaction", "NOT applied: this bundle was not redacted", kLabel, "");
  if (r.total() == 0) return line("redaction", "applied, nothing found", kLabel, "");
  // The proto map has no order; sort by rule name so output is stable.
  std::map<std::string, std::uint32_t> sorted(r.counts().begin(), r.counts().end());
  std::vector<std::string> parts;
  for (const auto& [rule, n] : sorted) parts.push_back(rule + " " + std::to_string(n));
  return line("redaction",
              std::to_string(r.total()) + " replacement(s): " + report::join(parts, ", "), kLabel,
              "");
}

[[nodiscard]] std::string findings_text(const std::vector<findings::Finding>& found) {
  if (found.empty()) return line("findings", "none", kLabel, "");
  std::string out = "findings (" + std::to_string(found.size()) + ")\n";
  for (const findings::Finding& f : found) {
    std::string severity(findings::severity_name(f.severity));
    out += line(severity, f.title, 10);
    out += line("", f.evidence, 10);
    std::string rule = "rule " + f.rule_id;
    if (!f.suggested_action.empty()) rule += ", action " + f.suggested_action;
    out += line("", rule, 10);
  }
  return out;
}

}  // namespace

std::string collect_report_text(const BundleReport& r) {
  std::string out = header(r);
  out += line("collectors", state_counts(r.bundle), kLabel, "");
  out += collector_lines(r.bundle, false);
  out += redaction_text(r.bundle);
  out += findings_text(r.findings);
  return out;
}

std::string show_report_text(const BundleReport& r) {
  std::string out = header(r);
  out += line("collectors", state_counts(r.bundle), kLabel, "");
  out += collector_lines(r.bundle, true);
  out += redaction_text(r.bundle);
  out += report::facts_text(r.bundle);
  out += findings_text(r.findings);
  return out;
}

}  // namespace helpline::agent
