// Internal to common/redact: the pieces every scanner shares. A scanner reads
// a text and appends Edits (byte ranges to replace); the Redactor normalizes
// and applies them, then counts them per rule. Byte-oriented on purpose: the
// input may be any bytes, so nothing here uses <cctype> (UB on negative chars)
// or assumes UTF-8.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace helpline::redact::detail {

// Indices into builtin_rules(); extra patterns follow at kBuiltinCount + i.
enum class RuleId : std::uint8_t {
  kPrivateKey,
  kHttpAuthorization,
  kBearerToken,
  kUrlCredentials,
  kAwsAccessKeyId,
  kGoogleApiKey,
  kGithubToken,
  kSlackToken,
  kAzureAccountKey,
  kHelplineToken,
  kJwt,
  kAwsSecretAccessKey,
  kSecretKeyValue,
};
inline constexpr std::size_t kBuiltinCount = static_cast<std::size_t>(RuleId::kSecretKeyValue) + 1;
// An edit that removes the continuation of an already counted key block.
inline constexpr std::size_t kUncounted = static_cast<std::size_t>(-1);

struct Edit {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::string_view replacement;
  std::size_t rule = kUncounted;
};
using Edits = std::vector<Edit>;

[[nodiscard]] constexpr std::size_t rule_index(RuleId id) { return static_cast<std::size_t>(id); }

// Appends a kMarker replacement of [begin, end) for `rule`.
void add_edit(Edits& out, std::size_t begin, std::size_t end, RuleId rule);

// Sorts by begin and drops edits that overlap an earlier one, so that
// scanners may propose overlapping candidates.
void normalize(Edits& edits);
// Applies normalized edits to `text`.
void apply(std::string& text, const Edits& edits);

[[nodiscard]] constexpr bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
[[nodiscard]] constexpr bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
[[nodiscard]] constexpr bool is_alpha(char c) { return is_upper(c) || is_lower(c); }
[[nodiscard]] constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }
[[nodiscard]] constexpr bool is_alnum(char c) { return is_alpha(c) || is_digit(c); }
[[nodiscard]] constexpr bool is_word(char c) { return is_alnum(c) || c == '_'; }
[[nodiscard]] constexpr bool is_b64url(char c) { return is_word(c) || c == '-'; }
[[nodiscard]] constexpr bool is_blank(char c) { return c == ' ' || c == '\t'; }
[[nodiscard]] constexpr bool is_space(char c) {
  return is_blank(c) || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
[[nodiscard]] constexpr bool is_quote(char c) { return c == '"' || c == '\''; }
[[nodiscard]] constexpr char to_lower(char c) {
  return is_upper(c) ? static_cast<char>(c - 'A' + 'a') : c;
}

// True when text[pos...] starts with `lower` ignoring ASCII case; `lower`
// must be lower case.
[[nodiscard]] bool starts_with_icase(std::string_view text, std::size_t pos,
                                     std::string_view lower);
// Position of the next case-insensitive `lower` at or after `from`, or npos.
[[nodiscard]] std::size_t find_icase(std::string_view text, std::string_view lower,
                                     std::size_t from = 0);

// Length of the run of characters satisfying `pred` starting at `pos`.
template <class Pred>
[[nodiscard]] std::size_t run_length(std::string_view text, std::size_t pos, Pred pred) {
  std::size_t i = pos;
  while (i < text.size() && pred(text[i])) ++i;
  return i - pos;
}

// Index of the '\n' ending the line that holds `pos` (text.size() if none).
[[nodiscard]] std::size_t line_end(std::string_view text, std::size_t pos);
// `end` moved back over blanks and a '\r' (never before `begin`).
[[nodiscard]] std::size_t trim_back(std::string_view text, std::size_t begin, std::size_t end);

// Length of the marker (kMarker, kPrivateKeyMarker) at text[pos], or 0.
[[nodiscard]] std::size_t marker_length_at(std::string_view text, std::size_t pos);

// An HTTP authentication scheme word (Basic, Bearer, Digest, ...).
[[nodiscard]] bool is_auth_scheme(std::string_view word);

// The prefixes scan_tokens leaves in front of its marker ("AKIA[REDACTED]").
// clang-format off
inline constexpr std::string_view kKeptPrefixes[] = {
    "AKIA", "ASIA", "AIza",
    "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_",
    "xoxa-", "xoxb-", "xoxp-", "xoxo-", "xoxr-", "xoxs-",
    "hle_", "hlt_",
    "AccountKey=", "SharedAccessKey="};
// clang-format on

// Replaces [begin, end) with kMarker, counted once for `rule`, except what an
// earlier rule left there: its markers, and the token prefix or scheme word
// it kept in front of one ("AKIA[REDACTED]", "Bearer [REDACTED]"). So a value
// is neither counted twice nor shielded by a marker in its middle:
// "pw1 Authorization: Basic [REDACTED]" -> "[REDACTED] Basic [REDACTED]".
void add_value_edit(std::string_view text, std::size_t begin, std::size_t end, std::size_t rule,
                    Edits& out);

// False for a plain word ("expired", "Failed", "token"): letters only, with
// at most the first one upper case. Used where the syntax alone is too weak
// to call the next word a secret.
[[nodiscard]] bool looks_like_secret(std::string_view value);

}  // namespace helpline::redact::detail
