#include "common/redact/pattern_rule.h"

#include <algorithm>

namespace helpline::redact::detail {
namespace {

// libstdc++'s std::regex matches by recursion, one frame per step of a
// match attempt, so a greedy pattern over a 1 MiB line can overflow the
// stack. Lines are searched in windows of kWindow bytes that overlap by
// kOverlap, which bounds the depth; a match up to kOverlap bytes long is
// always seen whole, a longer one is redacted in consecutive pieces.
constexpr std::size_t kWindow = 4096;
constexpr std::size_t kOverlap = 512;

[[nodiscard]] tl::unexpected<Error> bad_pattern(const std::string& name, const std::string& regex,
                                                std::string_view why) {
  return fail("bad_redact_pattern", "redact pattern " + name + " (\"" + regex + "\") " +
                                        std::string(why) +
                                        "; fix or remove it in [collect] redact_patterns");
}

// Searches one line. May throw what std::regex throws.
void scan_line(const CompiledPattern& pattern, std::size_t rule, std::string_view text,
               std::size_t line_begin, std::size_t line_end_pos, Edits& out) {
  std::size_t covered = line_begin;
  std::size_t window = line_begin;
  for (;;) {
    const std::size_t window_end = std::min(window + kWindow, line_end_pos);
    const bool last = window_end == line_end_pos;
    const std::size_t accept_below = last ? line_end_pos : window_end - kOverlap;
    auto flags = std::regex_constants::match_default;
    if (window > line_begin) flags |= std::regex_constants::match_prev_avail;
    if (!last) flags |= std::regex_constants::match_not_eol;
    const char* first = text.data() + window;
    for (std::cregex_iterator it(first, text.data() + window_end, pattern.regex, flags), done;
         it != done; ++it) {
      const std::cmatch& match = *it;
      const std::size_t index = pattern.has_group ? 1 : 0;
      if (window + static_cast<std::size_t>(match.position(0)) >= accept_below) break;
      if (!match[index].matched || match.length(index) == 0) continue;
      const std::size_t begin = window + static_cast<std::size_t>(match.position(index));
      const std::size_t end = begin + static_cast<std::size_t>(match.length(index));
      if (end <= covered) continue;
      add_value_edit(text, std::max(begin, covered), end, rule, out);
      covered = end;
    }
    if (last) return;
    window = window_end - kOverlap;
  }
}

}  // namespace

Result<PatternSet> compile_patterns(const std::vector<Pattern>& patterns) {
  PatternSet set;
  for (std::size_t i = 0; i < patterns.size(); ++i) {
    const Pattern& p = patterns[i];
    std::string name = p.name.empty() ? "custom_" + std::to_string(i + 1) : p.name;
    if (p.regex.empty()) return bad_pattern(name, p.regex, "is empty");
    const auto& builtin = builtin_rules();
    const bool taken = std::any_of(builtin.begin(), builtin.end(),
                                   [&](const Rule& r) { return r.name == name; }) ||
                       std::any_of(set.patterns.begin(), set.patterns.end(),
                                   [&](const CompiledPattern& c) { return c.name == name; });
    if (taken) return bad_pattern(name, p.regex, "reuses a rule name; give it another name");
    try {
      std::regex regex(p.regex, std::regex::ECMAScript | std::regex::optimize);
      const bool has_group = regex.mark_count() > 0;
      set.patterns.push_back(CompiledPattern{std::move(name), std::move(regex), has_group});
    } catch (const std::regex_error& e) {
      return bad_pattern(name, p.regex,
                         std::string("is not a valid regular expression: ") + e.what());
    }
  }
  return set;
}

void scan_pattern(const CompiledPattern& pattern, std::size_t rule, std::string_view text,
                  Edits& out) {
  std::size_t begin = 0;
  while (begin <= text.size()) {
    const std::size_t end = line_end(text, begin);
    const std::size_t mark = out.size();
    bool ok = true;
    try {
      scan_line(pattern, rule, text, begin, end, out);
    } catch (const std::exception&) {
      // The engine may throw (complexity, memory) on hostile input. Failing
      // closed keeps a possible secret out of the bundle.
      ok = false;
    }
    if (!ok) {
      out.resize(mark);
      out.push_back(Edit{begin, end, kMarker, rule});
    }
    if (end == text.size()) break;
    begin = end + 1;
  }
}

}  // namespace helpline::redact::detail
