// Internal to agent/cli: the key facts of each collected section, for
// `show`. Sections that no collector ran are left out.
#pragma once

#include <string>

#include "common/core/json_writer.h"
#include "helpline/v1/bundle.pb.h"

namespace helpline::agent::report {

// A block per collected section: "system\n  os  Debian ...\n".
[[nodiscard]] std::string facts_text(const v1::DiagnosticBundle& bundle);

// Writes "facts": {section: {...}} into the object `json` is in.
void facts_json(JsonWriter& json, const v1::DiagnosticBundle& bundle);

}  // namespace helpline::agent::report
