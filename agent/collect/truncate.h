// Size-budget enforcement: shrinks one collector's contribution until its
// serialized size fits. Internal to agent/collect.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "agent/collect/collector.h"

namespace helpline::agent::collect {

// Drops items from the bundle's long lists, least useful first (oldest log
// entries and lines, then package and module lists, process and unit lists,
// mounts and interfaces...), until `data` serializes to at most `budget`
// bytes. If the lists alone cannot make it fit, every section is cleared.
// Returns one line per list shortened ("dropped 120 of 500 logs.entries").
[[nodiscard]] std::vector<std::string> trim_to_budget(pb::DiagnosticBundle& data,
                                                      std::size_t budget);

}  // namespace helpline::agent::collect
