// The JSON forms of the collect and show reports: one object each, field
// names as in docs/agent.md. Times are RFC 3339 strings ("" when unknown),
// sizes are bytes.
#include <map>

#include "agent/cli/bundle_report.h"
#include "agent/cli/report_facts.h"
#include "agent/cli/report_format.h"
#include "common/bundle/bundle.h"
#include "common/core/time_format.h"

namespace helpline::agent {
namespace {

using report::json_strings;
using report::json_uint;

void header_json(JsonWriter& json, const BundleReport& r) {
  const v1::DiagnosticBundle& b = r.bundle;
  json.field("id", r.file.id).field("path", r.file.path);
  json_uint(json, "raw_bytes", r.file.raw_bytes);
  json_uint(json, "compressed_bytes", r.file.compressed_bytes);
  json_uint(json, "format_version", b.format_version());
  json.field("device_id", b.device_id())
      .field("hostname", b.hostname())
      .field("agent_version", b.agent_version())
      .field("platform", b.platform())
      .field("collected_at", format_rfc3339(b.collected_at_ms()))
      .field("since", format_rfc3339(b.since_ms()));
  json_uint(json, "duration_ms", b.duration_ms());
  json_strings(json, "sections", b.sections());
  json_strings(json, "notes", r.notes);
}

void collectors_json(JsonWriter& json, const v1::DiagnosticBundle& b) {
  json.key("collectors").begin_array();
  for (const v1::CollectorStatus& s : b.collectors()) {
    json.begin_object()
        .field("name", s.name())
        .field("section", s.section())
        .field("state", bundle::state_name(s.state()));
    json_uint(json, "duration_ms", s.duration_ms());
    json_uint(json, "bytes", s.bytes());
    json_strings(json, "errors", s.errors());
    json.end_object();
  }
  json.end_array();
}

void redaction_json(JsonWriter& json, const v1::DiagnosticBundle& b) {
  const v1::RedactionSummary& r = b.redaction();
  json.key("redaction").begin_object().field("applied", r.applied());
  json_uint(json, "total", r.total());
  json.key("counts").begin_object();
  std::map<std::string, std::uint32_t> sorted(r.counts().begin(), r.counts().end());
  for (const auto& [rule, n] : sorted) json_uint(json, rule, n);
  json.end_object().end_object();
}

void findings_json(JsonWriter& json, const std::vector<findings::Finding>& found) {
  json.key("findings").begin_array();
  for (const findings::Finding& f : found) {
    json.begin_object()
        .field("rule_id", f.rule_id)
        .field("severity", findings::severity_name(f.severity))
        .field("title", f.title)
        .field("evidence", f.evidence)
        .field("suggested_action", f.suggested_action)
        .field("subject", f.subject)
        .end_object();
  }
  json.end_array();
}

}  // namespace

std::string collect_report_json(const BundleReport& r) {
  JsonWriter json;
  json.begin_object();
  header_json(json, r);
  collectors_json(json, r.bundle);
  redaction_json(json, r.bundle);
  findings_json(json, r.findings);
  json.end_object();
  return json.str() + "\n";
}

std::string show_report_json(const BundleReport& r) {
  JsonWriter json;
  json.begin_object();
  header_json(json, r);
  collectors_json(json, r.bundle);
  redaction_json(json, r.bundle);
  report::facts_json(json, r.bundle);
  findings_json(json, r.findings);
  json.end_object();
  return json.str() + "\n";
}

}  // namespace helpline::agent
