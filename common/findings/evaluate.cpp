#include <algorithm>
#include <cassert>

#include "common/findings/format.h"
#include "common/findings/rules.h"

namespace helpline::findings {
namespace detail {
namespace {

[[nodiscard]] const std::string* lookup(std::string_view name, std::initializer_list<Var> vars,
                                        const std::vector<Var>& more) {
  for (const Var& v : vars) {
    if (v.name == name) return &v.value;
  }
  for (const Var& v : more) {
    if (v.name == name) return &v.value;
  }
  return nullptr;
}

}  // namespace

const RuleDefinition* find_rule(std::string_view id) {
  for (const RuleDefinition& rule : rule_definitions()) {
    if (rule.id == id) return &rule;
  }
  return nullptr;
}

std::string render_template(std::string_view text, std::initializer_list<Var> vars,
                            const std::vector<Var>& more) {
  std::string out;
  out.reserve(text.size() + 64);
  while (!text.empty()) {
    std::size_t open = text.find('{');
    if (open == std::string_view::npos) break;
    std::size_t close = text.find('}', open + 1);
    if (close == std::string_view::npos) break;
    out.append(text.substr(0, open));
    std::string_view name = text.substr(open + 1, close - open - 1);
    if (const std::string* value = lookup(name, vars, more)) {
      out += *value;
    } else {
      out.append(text.substr(open, close - open + 1));
    }
    text.remove_prefix(close + 1);
  }
  out.append(text);
  return out;
}

bool Emitter::enabled(std::string_view id) const {
  return std::find(config_.disabled_rules.begin(), config_.disabled_rules.end(), id) ==
         config_.disabled_rules.end();
}

double Emitter::threshold(std::string_view id) const {
  const RuleDefinition* rule = find_rule(id);
  return rule != nullptr && rule->threshold != nullptr ? config_.*(rule->threshold) : 0.0;
}

void Emitter::emit(std::string_view id, std::string subject, std::initializer_list<Var> vars,
                   bool fallback_action) {
  const RuleDefinition* rule = find_rule(id);
  assert(rule != nullptr && "an evaluator names a rule missing from the table");
  if (rule == nullptr || !enabled(id)) return;
  std::vector<Var> common = {{"subject", subject}};
  if (rule->threshold != nullptr) common.push_back({"threshold", format_number(threshold(id))});

  RankedFinding ranked;
  Finding& f = ranked.finding;
  f.rule_id = std::string(rule->id);
  f.severity = rule->severity;
  f.title = render_template(rule->title, vars, common);
  f.evidence = render_template(rule->evidence, vars, common);
  f.suggested_action = std::string(fallback_action ? rule->fallback_action : rule->action);
  f.subject = std::move(subject);
  ranked.weight = rule->weight;
  found_.push_back(std::move(ranked));
}

bool collected(const v1::DiagnosticBundle& bundle, std::string_view name) {
  for (const v1::CollectorStatus& s : bundle.collectors()) {
    if (s.name() != name) continue;
    return s.state() == v1::CollectorStatus::STATE_OK ||
           s.state() == v1::CollectorStatus::STATE_PARTIAL;
  }
  return false;
}

}  // namespace detail

std::string_view severity_name(Severity severity) {
  switch (severity) {
    case Severity::kCritical:
      return "critical";
    case Severity::kWarning:
      return "warning";
    case Severity::kInfo:
      return "info";
  }
  return "info";
}

std::vector<Finding> evaluate(const v1::DiagnosticBundle& bundle, const FindingsConfig& config) {
  detail::Emitter emitter(config);
  // The order of these calls is the tie-break order of equal-weight rules.
  detail::evaluate_smart(bundle, emitter);
  detail::evaluate_storage(bundle, emitter);
  detail::evaluate_memory(bundle, emitter);
  detail::evaluate_thermal(bundle, emitter);
  detail::evaluate_network(bundle, emitter);
  detail::evaluate_clock(bundle, emitter);
  detail::evaluate_services(bundle, emitter);
  detail::evaluate_log_bursts(bundle, emitter);
  detail::evaluate_battery(bundle, emitter);

  std::vector<detail::RankedFinding> ranked = emitter.take();
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const detail::RankedFinding& a, const detail::RankedFinding& b) {
                     if (a.finding.severity != b.finding.severity) {
                       return a.finding.severity < b.finding.severity;
                     }
                     return a.weight > b.weight;
                   });
  std::vector<Finding> out;
  std::size_t limit = config.max_findings == 0 ? ranked.size() : config.max_findings;
  out.reserve(std::min(limit, ranked.size()));
  for (detail::RankedFinding& r : ranked) {
    if (out.size() >= limit) break;
    out.push_back(std::move(r.finding));
  }
  return out;
}

}  // namespace helpline::findings
