// scheme://user:password@host -> scheme://user:[REDACTED]@host, for any
// scheme (postgresql, mysql, redis, amqp, https proxies, git remotes). The
// user name stays: it helps diagnosis and is not a secret by itself.
#include "common/redact/rules.h"

namespace helpline::redact::detail {
namespace {

[[nodiscard]] constexpr bool is_scheme_char(char c) {
  return is_alnum(c) || c == '+' || c == '-' || c == '.';
}

// Where the authority ends: RFC 3986 delimiters, plus what ends a URL in
// running text.
[[nodiscard]] constexpr bool ends_authority(char c) {
  return c == '/' || c == '?' || c == '#' || is_space(c) || is_quote(c) || c == '<' || c == '>';
}

}  // namespace

void scan_url_credentials(std::string_view text, Edits& out) {
  constexpr std::string_view kSeparator = "://";
  for (std::size_t p = text.find(kSeparator); p != std::string_view::npos;
       p = text.find(kSeparator, p + kSeparator.size())) {
    std::size_t s = p;
    while (s > 0 && is_scheme_char(text[s - 1])) --s;
    while (s < p && !is_alpha(text[s])) ++s;
    if (s == p) continue;

    const std::size_t user = p + kSeparator.size();
    std::size_t at = std::string_view::npos;
    std::size_t i = user;
    // The last '@' wins: a password with an unencoded '@' ("p@ss") is common.
    for (; i < text.size() && !ends_authority(text[i]); ++i) {
      if (text[i] == '@') at = i;
    }
    if (at == std::string_view::npos) continue;
    const std::size_t colon = text.substr(user, at - user).find(':');
    if (colon == std::string_view::npos) continue;
    const std::size_t begin = user + colon + 1;
    add_value_edit(text, begin, at, rule_index(RuleId::kUrlCredentials), out);
  }
}

}  // namespace helpline::redact::detail
