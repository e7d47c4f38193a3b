#include "server/api/diag_view.h"

#include <map>

#include "common/bundle/bundle.h"
#include "common/core/time_format.h"
#include "common/findings/findings.h"
#include "server/api/json_codec.h"

namespace helpline::relay::api {


v1::api::Bundle to_api(const BundleRecord& record) {
  v1::api::Bundle out;
  // The stored array is exactly the Bundle message's `findings` field.
  if (!parse_json("{\"findings\":" + record.findings_json + "}", out)) out.clear_findings();
  out.set_id(record.id);
  out.set_device_id(record.device_id);
  out.set_collected_at(format_rfc3339(record.collected_at));
  out.set_received_at(format_rfc3339(record.received_at));
  out.set_size(record.size);
  out.set_raw_size(record.raw_size);
  for (const std::string& s : record.sections) out.add_sections(s);
  out.set_requested_by(record.requested_by);
  out.set_ticket_id(record.ticket_id);
  return out;
}

void add_bundle_details(const v1::DiagnosticBundle& bundle, v1::api::Bundle& out) {
  for (const v1::CollectorStatus& status : bundle.collectors()) {
    v1::api::CollectorReport& report = *out.add_collectors();
    report.set_name(status.name());
    report.set_section(status.section());
    report.set_state(bundle::state_name(status.state()));
    report.set_duration_ms(status.duration_ms());
    report.set_bytes(status.bytes());
    for (const std::string& e : status.errors()) report.add_errors(e);
  }
  out.set_hostname(bundle.hostname());
  out.set_agent_version(bundle.agent_version());
  out.set_duration_ms(bundle.duration_ms());
  out.set_redaction_applied(bundle.redaction().applied());
  out.set_redacted(bundle.redaction().total());
}

ApiResponse diag_error(const Error& error) {
  static const std::map<std::string, unsigned, std::less<>> kStatus = {
      {"unknown_section", 400}, {"bad_request", 400}, {"not_found", 404},
      {"device_offline", 409},  {"busy", 409},        {"too_large", 413},
      {"timeout", 504},
  };
  if (error.code == "store_error" || error.code == "blob_error") return error_response(error);
  auto it = kStatus.find(error.code);
  unsigned status = it == kStatus.end() ? 502 : it->second;
  std::string_view field = error.code == "unknown_section" ? "sections" : "";
  return error_response(status, error.code, error.message, field);
}

}  // namespace helpline::relay::api
