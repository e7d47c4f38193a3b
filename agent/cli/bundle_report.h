// What `helpline-agent collect` and `helpline-agent show` print about a
// bundle: as text for a person, or as one JSON object (JsonWriter: the agent
// links protobuf-lite, which has no JSON mapping). Pure functions.
//
// collect: the bundle id, file, sizes, a per-collector summary (problems
//          listed), redaction counts and the findings.
// show:    the same header, every collector with state, duration, size and
//          errors, key facts per collected section, and the findings.
// docs/agent.md describes both formats.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/findings/findings.h"
#include "helpline/v1/bundle.pb.h"

namespace helpline::agent {

// An encoded bundle on disk.
struct BundleFile {
  std::string id;                      // "sha256:..."
  std::string path;                    // as given
  std::uint64_t raw_bytes = 0;         // serialized DiagnosticBundle
  std::uint64_t compressed_bytes = 0;  // the file: header + zstd frame
};

struct BundleReport {
  const v1::DiagnosticBundle& bundle;
  const BundleFile& file;
  const std::vector<findings::Finding>& findings;
  // Remarks about how the bundle was made ("agent.toml unreadable: default
  // settings"), printed first; collect only.
  std::vector<std::string> notes = {};
};

[[nodiscard]] std::string collect_report_text(const BundleReport& report);
[[nodiscard]] std::string collect_report_json(const BundleReport& report);
[[nodiscard]] std::string show_report_text(const BundleReport& report);
[[nodiscard]] std::string show_report_json(const BundleReport& report);

}  // namespace helpline::agent
