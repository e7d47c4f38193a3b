// agent/collect's public face: collect a DiagnosticBundle
// (proto/helpline/v1/bundle.proto), encode it for disk and wire, decode
// and identify it.
//
// Encoded form: "HLB1", the serialized size as 8 bytes big-endian, then one
// zstd frame (content checksum on) of the serialized DiagnosticBundle.
// Serialization is deterministic, so decode then encode gives the same bytes.
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
#include "common/core/result.h"

namespace helpline::agent::collect {

inline constexpr std::uint32_t kBundleFormatVersion = 1;
// Cap on a bundle's serialized (uncompressed) size, when encoding and decoding.
inline constexpr std::size_t kMaxBundleBytes = 64u << 20;

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

// Serializes and compresses. Errors: "too_large" when the serialized bundle
// exceeds kMaxBundleBytes; "encode_failed" if serialization or zstd fails,
// or if a string field is not valid UTF-8 (it would not decode).
[[nodiscard]] Result<std::string> encode_bundle(const pb::DiagnosticBundle& bundle);

// Checks and decodes what encode_bundle wrote. Errors, each naming what was
// found:
//   "not_a_bundle"  no "HLB1" magic
//   "truncated"     the input ends before the header or the zstd frame does
//   "corrupted"     bad zstd data or checksum, size mismatch, trailing
//                   bytes, or a payload that is not a DiagnosticBundle
//   "too_large"     declared size above max_bytes
//   "unsupported_version"  format_version newer than kBundleFormatVersion
[[nodiscard]] Result<pb::DiagnosticBundle> decode_bundle(std::string_view encoded,
                                                         std::size_t max_bytes = kMaxBundleBytes);

// The content id of an encoded bundle: "sha256:" + 64 lowercase hex digits.
[[nodiscard]] std::string bundle_id(std::string_view encoded);

}  // namespace helpline::agent::collect
