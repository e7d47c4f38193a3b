// Internal to common/redact: extra patterns from the config, compiled once.
// std::regex is slow and recursive, so it only runs for what an admin added,
// one line at a time, over bounded windows (see pattern_rule.cpp).
#pragma once

#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/result.h"
#include "common/redact/redact.h"
#include "common/redact/scan.h"

namespace helpline::redact::detail {

struct CompiledPattern {
  std::string name;
  std::regex regex;
  bool has_group = false;  // replace group 1 only
};

// Immutable once built; Redactor copies share it.
struct PatternSet {
  std::vector<CompiledPattern> patterns;
};

// Fails with "bad_redact_pattern" naming the pattern (name and text).
[[nodiscard]] Result<PatternSet> compile_patterns(const std::vector<Pattern>& patterns);

// Appends the matches of `pattern` in `text`, counted as rule `rule`.
void scan_pattern(const CompiledPattern& pattern, std::size_t rule, std::string_view text,
                  Edits& out);

}  // namespace helpline::redact::detail
