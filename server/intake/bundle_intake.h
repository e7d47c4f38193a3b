// How the relay accepts a diagnostic bundle, whichever way it arrived (a
// technician's collect request, or a delivery from the agent's spool):
// the encoded bytes must decode, name the sending device, and their
// findings are computed once here and kept with the record.
//
// Pure functions over bytes; the callers store the blob and the record.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/result.h"
#include "helpline/v1/bundle.pb.h"
#include "server/store/store.h"

namespace helpline::relay::intake {

// Who sent the bundle and why.
struct BundleOrigin {
  std::string device_id;              // the authenticated sender
  std::vector<std::string> sections;  // as requested; empty: all
  std::string requested_by;           // technician, or "" when the device sent it on its own
  std::int64_t ticket_id = 0;         // 0: none
};

// The bundle's findings (common/findings), ranked, as the JSON array the
// store keeps in BundleRecord::findings_json.
[[nodiscard]] std::string findings_json(const v1::DiagnosticBundle& bundle);

// Decodes `encoded` (whose id, "sha256:<hex>", is `id`) and builds its
// record with received_at = `now`. Errors: "bad_bundle" when it does not
// decode or names another device than origin.device_id.
[[nodiscard]] Result<BundleRecord> check_bundle(std::string_view encoded, std::string id,
                                                const BundleOrigin& origin, UnixMillis now);

}  // namespace helpline::relay::intake
