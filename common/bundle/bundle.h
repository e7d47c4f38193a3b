// common/bundle: the diagnostic bundle's container format, shared by the
// agent (which encodes) and the relay (which decodes, verifies and stores).
// Pure: no I/O, no clock, no collectors (those are agent/collect's).
//
// Encoded form: "HLB1", the serialized size as 8 bytes big-endian, then one
// zstd frame (content checksum on) of the serialized DiagnosticBundle
// (proto/helpline/v1/bundle.proto). Serialization is deterministic, so
// decode then encode gives the same bytes. A bundle's id is "sha256:" + the
// hex SHA-256 of its encoded bytes.
//
// Thread: every function is safe to call from several threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/core/result.h"
#include "helpline/v1/bundle.pb.h"

namespace helpline::bundle {

inline constexpr std::uint32_t kBundleFormatVersion = 1;
// Cap on a bundle's serialized (uncompressed) size, when encoding and decoding.
inline constexpr std::size_t kMaxBundleBytes = 64u << 20;
inline constexpr std::string_view kIdPrefix = "sha256:";

// Serializes and compresses. Errors: "too_large" when the serialized bundle
// exceeds kMaxBundleBytes; "encode_failed" if serialization or zstd fails,
// or if a string field is not valid UTF-8 (it would not decode).
[[nodiscard]] Result<std::string> encode_bundle(const v1::DiagnosticBundle& bundle);

// Checks and decodes what encode_bundle wrote. Errors, each naming what was
// found:
//   "not_a_bundle"  no "HLB1" magic
//   "truncated"     the input ends before the header or the zstd frame does
//   "corrupted"     bad zstd data or checksum, size mismatch, trailing
//                   bytes, or a payload that is not a DiagnosticBundle
//   "too_large"     declared size above max_bytes
//   "unsupported_version"  format_version newer than kBundleFormatVersion
[[nodiscard]] Result<v1::DiagnosticBundle> decode_bundle(std::string_view encoded,
                                                         std::size_t max_bytes = kMaxBundleBytes);

// The uncompressed size an encoded bundle declares in its header, or 0 when
// the header is missing or not a bundle's.
[[nodiscard]] std::uint64_t declared_size(std::string_view encoded);

// The content id of an encoded bundle: "sha256:" + 64 lowercase hex digits.
[[nodiscard]] std::string bundle_id(std::string_view encoded);

// "ok", "partial", "failed", "timed_out", "unavailable", "skipped" (or
// "unknown"): the collector state as the CLIs and the API print it.
[[nodiscard]] const char* state_name(v1::CollectorStatus::State state);

}  // namespace helpline::bundle
