// How the diagnostics routes present bundles (private to server/api):
// bundle records (findings were computed at receipt, server/intake) and
// the bundle's own details as API messages, and errors from the device or
// its stream as HTTP answers.
#pragma once

#include <string>

#include "helpline/v1/api.pb.h"
#include "helpline/v1/bundle.pb.h"
#include "server/api/router.h"
#include "server/store/store.h"

namespace helpline::relay::api {

// The record as the API shows it: findings parsed back from their JSON
// (a record whose JSON does not parse shows none).
[[nodiscard]] v1::api::Bundle to_api(const BundleRecord& record);

// Adds what only the bundle itself knows: collector statuses, host name,
// agent version, duration and the redaction summary.
void add_bundle_details(const v1::DiagnosticBundle& bundle, v1::api::Bundle& out);

// An error from the device, its stream or the bundle check, as an answer:
// unknown_section/bad_request 400, not_found 404, device_offline/busy 409,
// too_large 413, timeout 504, store_error/blob_error 500, anything else
// (the device's own codes, hash_mismatch, bad_bundle ...) 502.
[[nodiscard]] ApiResponse diag_error(const Error& error);

}  // namespace helpline::relay::api
