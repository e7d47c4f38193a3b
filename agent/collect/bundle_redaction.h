// Redacting a DiagnosticBundle before it is written or sent: every text
// field that can carry a secret goes through common/redact, one stream per
// source, and the counts go into bundle.redaction.
//
// Texts redacted: journal and kernel log messages, log file lines and read
// errors, units' descriptions and last log lines, process command lines,
// OOM kill lines, proxy setting values, mount sources and options, and
// collector error messages. Each is its own redaction
// stream (end_stream() between them) except where lines follow each other in
// one source: a log file, one unit's last lines, the kernel log, and the
// journal entries of one process (identifier + pid), so a private key
// logged line by line disappears without swallowing other sources' lines.
//
// Thread: plain functions; the Redactor passed in is used from the calling
// thread only.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/core/result.h"
#include "common/redact/redact.h"
#include "helpline/v1/bundle.pb.h"

namespace helpline::agent {

// Redacts `bundle` in place and sets bundle.redaction's counts and total
// (each clamped to the proto's uint32); `applied` is left to the caller
// (collect_bundle sets it). The redactor's counts are reset first.
void redact_bundle(redact::Redactor& redactor, v1::DiagnosticBundle& bundle);

// The hook for collect::Options::redact: a redactor with the built-in rules
// and `extra_patterns` (agent.toml [collect] redact_patterns) applied by
// redact_bundle. Errors: "bad_redact_pattern" naming the pattern.
[[nodiscard]] Result<std::function<void(v1::DiagnosticBundle&)>> make_bundle_redactor(
    const std::vector<std::string>& extra_patterns);

}  // namespace helpline::agent
