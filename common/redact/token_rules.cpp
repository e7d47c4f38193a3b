// Credentials recognised by their shape alone, wherever they appear. One pass
// over the text dispatches on the first byte of each known prefix, so a line
// costs one table lookup per byte. The documented prefix (AKIA, ghp_, xoxb-, hle_)
// is kept: it tells the reader which kind of credential was there and is no
// secret. Boundaries on both sides keep hex digests, UUIDs and words that
// merely contain a prefix ("ghost_", "AKIAX" inside a longer id) intact.
#include <array>

#include "common/redact/rules.h"

namespace helpline::redact::detail {
namespace {

[[nodiscard]] constexpr bool is_upper_or_digit(char c) { return is_upper(c) || is_digit(c); }
[[nodiscard]] constexpr bool is_base64(char c) {
  return is_alnum(c) || c == '+' || c == '/' || c == '=';
}

[[nodiscard]] bool at(std::string_view text, std::size_t i, std::string_view prefix) {
  return text.substr(i, prefix.size()) == prefix;
}

// A match: the whole token [begin, end), of which [secret, end) is replaced.
struct Match {
  std::size_t secret = 0;
  std::size_t end = 0;
  RuleId rule{};
};
using MaybeMatch = std::optional<Match>;

// prefix + a run of `pred` characters of length in [min, max], not followed
// by another `pred` or word character.
template <class Pred>
[[nodiscard]] MaybeMatch prefixed(std::string_view text, std::size_t i, std::string_view prefix,
                                  std::size_t min, std::size_t max, Pred pred, RuleId rule) {
  if (!at(text, i, prefix)) return std::nullopt;
  const std::size_t begin = i + prefix.size();
  const std::size_t run = run_length(text, begin, pred);
  const std::size_t end = begin + run;
  if (run < min || run > max || (end < text.size() && is_word(text[end]))) return std::nullopt;
  return Match{begin, end, rule};
}

constexpr std::size_t kUnbounded = std::string_view::npos;

[[nodiscard]] MaybeMatch match_a(std::string_view text, std::size_t i) {
  for (std::string_view prefix : {"AKIA", "ASIA"}) {
    if (auto m = prefixed(text, i, prefix, 16, 16, is_upper_or_digit, RuleId::kAwsAccessKeyId)) {
      return m;
    }
  }
  if (auto m = prefixed(text, i, "AIza", 35, 35, is_b64url, RuleId::kGoogleApiKey)) return m;
  return prefixed(text, i, "AccountKey=", 20, kUnbounded, is_base64, RuleId::kAzureAccountKey);
}

[[nodiscard]] MaybeMatch match_g(std::string_view text, std::size_t i) {
  if (auto m = prefixed(text, i, "github_pat_", 20, kUnbounded, is_word, RuleId::kGithubToken)) {
    return m;
  }
  if (!at(text, i, "gh") || i + 3 >= text.size() || text[i + 3] != '_') return std::nullopt;
  const char kind = text[i + 2];
  if (kind != 'p' && kind != 'o' && kind != 'u' && kind != 's' && kind != 'r') return std::nullopt;
  return prefixed(text, i, text.substr(i, 4), 20, kUnbounded, is_alnum, RuleId::kGithubToken);
}

[[nodiscard]] MaybeMatch match_slack(std::string_view text, std::size_t i) {
  if (!at(text, i, "xox") || i + 4 >= text.size() || text[i + 4] != '-') return std::nullopt;
  const char kind = text[i + 3];
  if (kind != 'a' && kind != 'b' && kind != 'p' && kind != 'o' && kind != 'r' && kind != 's') {
    return std::nullopt;
  }
  return prefixed(
      text, i, text.substr(i, 5), 10, kUnbounded, [](char c) { return is_alnum(c) || c == '-'; },
      RuleId::kSlackToken);
}

[[nodiscard]] MaybeMatch match_helpline(std::string_view text, std::size_t i) {
  // Helpline mints prefix + 43 base64url characters (server/auth).
  for (std::string_view prefix : {"hle_", "hlt_"}) {
    if (auto m = prefixed(text, i, prefix, 20, kUnbounded, is_b64url, RuleId::kHelplineToken)) {
      return m;
    }
  }
  return std::nullopt;
}

// header.payload.signature, each base64url, the header a JSON object
// ("eyJ" is base64 of `{"`). Five segments (JWE) are taken too; an unsigned
// token ("alg":"none") has an empty third segment.
[[nodiscard]] MaybeMatch match_jwt(std::string_view text, std::size_t i) {
  if (!at(text, i, "eyJ")) return std::nullopt;
  std::size_t end = i + run_length(text, i, is_b64url);
  if (end - i < 10) return std::nullopt;
  std::size_t segments = 1;
  while (segments < 5 && end < text.size() && text[end] == '.') {
    const std::size_t run = run_length(text, end + 1, is_b64url);
    if (segments == 1 && run < 2) return std::nullopt;
    end += 1 + run;
    ++segments;
  }
  if (segments < 3 || (end < text.size() && text[end] == '.')) return std::nullopt;
  return Match{i, end, RuleId::kJwt};
}

[[nodiscard]] MaybeMatch match_at(std::string_view text, std::size_t i) {
  const char prev = i > 0 ? text[i - 1] : '\0';
  switch (text[i]) {
    case 'A':
      return is_alnum(prev) ? std::nullopt : match_a(text, i);
    case 'S':
      return is_alnum(prev) ? std::nullopt
                            : prefixed(text, i, "SharedAccessKey=", 20, kUnbounded, is_base64,
                                       RuleId::kAzureAccountKey);
    case 'g':
      return is_word(prev) ? std::nullopt : match_g(text, i);
    case 'x':
      return is_alnum(prev) ? std::nullopt : match_slack(text, i);
    case 'h':
      return is_word(prev) ? std::nullopt : match_helpline(text, i);
    case 'e':
      return is_b64url(prev) || prev == '.' ? std::nullopt : match_jwt(text, i);
    default:
      return std::nullopt;
  }
}

// The first bytes match_at() dispatches on.
constexpr std::array<bool, 256> kStarts = [] {
  std::array<bool, 256> starts{};
  for (char c : {'A', 'S', 'g', 'x', 'h', 'e'}) starts[static_cast<unsigned char>(c)] = true;
  return starts;
}();

}  // namespace

void scan_tokens(std::string_view text, Edits& out) {
  std::size_t i = 0;
  while (i < text.size()) {
    if (!kStarts[static_cast<unsigned char>(text[i])]) {
      ++i;
      continue;
    }
    const auto match = match_at(text, i);
    if (!match) {
      ++i;
      continue;
    }
    add_edit(out, match->secret, match->end, match->rule);
    i = match->end;
  }
}

}  // namespace helpline::redact::detail
