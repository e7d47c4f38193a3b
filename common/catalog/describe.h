// How the audit logs (the relay's and the device's) name an action request
// and the run it led to, so both ends read alike.
#pragma once

#include <string>

#include "helpline/v1/catalog.pb.h"

namespace helpline::catalog {

// "<action> (catalog v<version>, key <idempotency key>)".
[[nodiscard]] std::string request_label(const v1::ActionRequest& request);

// How a run ended: "exit <code>[, signal <n>][, timed out], <ms> ms". For
// a result that is not a refusal.
[[nodiscard]] std::string run_outcome(const v1::ActionResult& result);

}  // namespace helpline::catalog
