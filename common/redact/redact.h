// Secret redaction for everything that goes into a diagnostic bundle (log
// lines, config excerpts, command lines, environment values), before it
// leaves the workstation. Pure: no I/O, no globals, no clock.
//
// Built-in rules find secrets with hand-written scanners (cheap pre-checks, so
// a line without a secret costs little); extra patterns from the agent config
// (`[collect] redact_patterns`) are std::regex, compiled once in create().
// A secret value is replaced by kMarker; a type prefix that is not itself
// secret is kept ("AKIA[REDACTED]", "ghp_[REDACTED]", "Bearer [REDACTED]") so a
// technician still sees what kind of credential was there. Every replacement
// is counted under the rule's stable name; the counts go into the bundle.
// docs/redaction.md lists the rules and the known limits.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/result.h"

namespace helpline::redact {

inline constexpr std::string_view kMarker = "[REDACTED]";
inline constexpr std::string_view kPrivateKeyMarker = "[REDACTED PRIVATE KEY]";

// A built-in rule: `name` is stable (it is the key in counts(), in bundles and
// in docs), `what` is a one-line description for listings.
struct Rule {
  std::string_view name;
  std::string_view what;
};

// The built-in rules, in the order they run.
[[nodiscard]] std::span<const Rule> builtin_rules();

// An extra pattern from the config. `regex` is ECMAScript syntax and is
// matched within one line at a time (^ and $ anchor to the line). With a
// capture group only group 1 is replaced, otherwise the whole match. An empty
// `name` becomes "custom_<n>" (n = 1-based position in Options).
struct Pattern {
  std::string name;
  std::string regex;
};

struct Options {
  std::vector<Pattern> extra_patterns;
};

namespace detail {
struct PatternSet;
}

class Redactor {
 public:
  // Compiles the extra patterns. Fails with code "bad_redact_pattern" and a
  // message naming the pattern when one is empty, does not compile, or reuses
  // a name. Config-time only.
  [[nodiscard]] static Result<Redactor> create(Options options = {});

  Redactor(const Redactor&);
  Redactor(Redactor&&) noexcept;
  Redactor& operator=(const Redactor&);
  Redactor& operator=(Redactor&&) noexcept;
  ~Redactor();

  // Returns `text` with every secret found replaced. Any bytes are accepted
  // (non-UTF-8 included); nothing else of the text changes.
  [[nodiscard]] std::string redact(std::string_view text);
  void redact_in_place(std::string& text);

  // Texts passed one after another form a stream: a private key block that
  // begins in one text and has no END there swallows the following texts
  // until its END line (up to kMaxPrivateKeyTail bytes), so a key logged line
  // by line is still removed. Those following texts lose the key part
  // entirely (no second marker). Call end_stream() between unrelated sources
  // (another file, another collector).
  void end_stream();
  static constexpr std::size_t kMaxPrivateKeyTail = 64 * 1024;

  // Replacements per rule name since creation or reset_counts(); rules that
  // never fired are absent. Extra patterns count under their Pattern::name.
  [[nodiscard]] const std::map<std::string, std::uint64_t>& counts() const { return counts_; }
  [[nodiscard]] std::uint64_t total() const { return total_; }
  void reset_counts();

  // Thread: one owner. A Redactor keeps counts and stream state, so it must
  // not be used from two threads at once; give each thread its own copy
  // (copies share the immutable compiled patterns and count separately).

 private:
  Redactor() = default;

  std::shared_ptr<const detail::PatternSet> patterns_;
  std::map<std::string, std::uint64_t> counts_;
  std::uint64_t total_ = 0;
  bool in_private_key_ = false;
  std::size_t private_key_tail_ = 0;
};

}  // namespace helpline::redact
