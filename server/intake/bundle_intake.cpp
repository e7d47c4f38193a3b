#include "server/intake/bundle_intake.h"

#include "common/bundle/bundle.h"
#include "common/findings/findings.h"
#include "helpline/v1/api.pb.h"
#include "server/api/json_codec.h"

namespace helpline::relay::intake {

std::string findings_json(const v1::DiagnosticBundle& bundle) {
  std::string out = "[";
  for (const findings::Finding& f : findings::evaluate(bundle)) {
    v1::api::Finding finding;
    finding.set_rule(f.rule_id);
    finding.set_severity(std::string(findings::severity_name(f.severity)));
    finding.set_title(f.title);
    finding.set_evidence(f.evidence);
    finding.set_action(f.suggested_action);
    finding.set_subject(f.subject);
    if (out.size() > 1) out += ",";
    out += api::to_json(finding);
  }
  return out + "]";
}

Result<BundleRecord> check_bundle(std::string_view encoded, std::string id,
                                  const BundleOrigin& origin, UnixMillis now) {
  auto decoded = bundle::decode_bundle(encoded);
  if (!decoded) {
    return fail("bad_bundle",
                "the device sent a bundle that does not decode: " + decoded.error().message);
  }
  if (decoded->device_id() != origin.device_id) {
    return fail("bad_bundle", "the bundle names device '" + decoded->device_id().substr(0, 64) +
                                  "', not " + origin.device_id);
  }
  BundleRecord record;
  record.id = std::move(id);
  record.device_id = origin.device_id;
  record.collected_at = decoded->collected_at_ms();
  record.received_at = now;
  record.size = encoded.size();
  record.raw_size = bundle::declared_size(encoded);
  record.sections = origin.sections;
  record.findings_json = findings_json(*decoded);
  record.requested_by = origin.requested_by;
  record.ticket_id = origin.ticket_id;
  return record;
}

}  // namespace helpline::relay::intake
