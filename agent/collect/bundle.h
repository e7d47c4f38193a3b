// agent/collect's public face: collect a DiagnosticBundle
// (proto/helpline/v1/bundle.proto); encode it for disk and wire, decode
// and identify it with common/bundle's codec (re-exported below).
//
// Thread: collect_bundle blocks its caller (up to the largest collector time
// budget) and uses worker threads of its own; the other functions are pure.
// All are safe to call from several threads at once.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "agent/collect/collector.h"
#include "common/bundle/bundle.h"
#include "common/core/result.h"

namespace helpline::agent::collect {

inline constexpr std::uint32_t kBundleFormatVersion = ::helpline::bundle::kBundleFormatVersion;
inline constexpr std::size_t kMaxBundleBytes = ::helpline::bundle::kMaxBundleBytes;

struct Options {
  // Section names ("system", "logs") or collector names ("hardware.smart");
  // empty: everything. See registry.h.
  std::vector<std::string> sections;
  SourceOptions sources;
  // Budget overrides by collector name; others use the collector's default.
  std::map<std::string, std::chrono::milliseconds, std::less<>> time_budgets;
  std::map<std::string, std::size_t, std::less<>> size_budgets;

  std::string device_id;
  std::string agent_version = HELPLINE_VERSION;

  // REQUIRED before a bundle leaves the machine: the secret redactor
  // (common/redact). Called once on the finished bundle; it must replace
  // secrets in place and fill bundle.redaction (counts, total).
  // collect_bundle then sets redaction.applied. Without it the bundle is
  // returned unredacted and redaction.applied is false: fine for tests and
  // a local `collect --out`, never for an upload.
  std::function<void(pb::DiagnosticBundle&)> redact;

  // The collectors to choose from; empty: platform_collectors(). Tests put
  // their own (slow, failing) collectors here.
  std::vector<CollectorPtr> collectors;
};

// Runs the selected collectors and assembles the bundle: header fields,
// one CollectorStatus per collector (state, duration, bytes, errors), the
// sections, then redaction. A collector's failure or timeout is recorded in
// its status and never fails the bundle. Errors: "unknown_section" (see
// select_collectors); "bad_options" for a root that is not a directory.
[[nodiscard]] Result<pb::DiagnosticBundle> collect_bundle(const Options& options);

// The codec lives in common/bundle (the relay decodes too); these names
// keep agent code reading as before.
using ::helpline::bundle::bundle_id;
using ::helpline::bundle::decode_bundle;
using ::helpline::bundle::encode_bundle;

}  // namespace helpline::agent::collect
