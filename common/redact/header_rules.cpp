// HTTP credentials: the value of an Authorization or Proxy-Authorization
// header (curl -v "> Authorization: Bearer ...", -H "...", JSON-logged
// headers), and a bare "Bearer <token>" anywhere. The scheme word is kept so
// the reader still sees Basic vs Bearer vs AWS4-HMAC-SHA256.
#include <algorithm>

#include "common/redact/rules.h"

namespace helpline::redact::detail {
namespace {

constexpr std::string_view kAuthorization = "authorization";
constexpr std::string_view kBearer = "bearer";

[[nodiscard]] constexpr bool is_header_char(char c) { return is_alnum(c) || c == '-' || c == '_'; }

// Bearer tokens are base64/base64url/hex with optional '=' padding (RFC 6750).
[[nodiscard]] constexpr bool is_token_char(char c) {
  return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

// Where the value starting at `i` ends: at `stop` (a closing quote; with
// `escaped`, at \" ) or at the end of the line.
[[nodiscard]] std::size_t value_end(std::string_view text, std::size_t i, char stop, bool escaped) {
  for (; i < text.size() && text[i] != '\n'; ++i) {
    if (stop == 0) continue;
    if (escaped ? text[i] == '\\' && i + 1 < text.size() && text[i + 1] == stop : text[i] == stop) {
      break;
    }
  }
  return i;
}

void scan_authorization(std::string_view text, Edits& out) {
  constexpr std::size_t kMaxPrefix = 32;  // "Proxy-", "X-Forwarded-" ...
  std::size_t covered = 0;
  for (std::size_t pos = find_icase(text, kAuthorization); pos != std::string_view::npos;
       pos = find_icase(text, kAuthorization, std::max(covered, pos + kAuthorization.size()))) {
    if (pos > 0 && (is_alnum(text[pos - 1]) || text[pos - 1] == '_')) continue;
    std::size_t name_start = pos;
    while (name_start > 0 && pos - name_start < kMaxPrefix &&
           is_header_char(text[name_start - 1])) {
      --name_start;
    }
    // `-H "Authorization: ..."`: the value ends where that quote closes.
    const char enclosing =
        name_start > 0 && is_quote(text[name_start - 1]) ? text[name_start - 1] : 0;

    std::size_t i = pos + kAuthorization.size();
    if (i + 1 < text.size() && text[i] == '\\' && text[i + 1] == '"') {
      i += 2;
    } else if (i < text.size() && is_quote(text[i])) {
      ++i;
    }
    i += run_length(text, i, is_blank);
    if (i >= text.size() || (text[i] != ':' && text[i] != '=')) continue;
    const bool header = text[i++] == ':';
    i += run_length(text, i, is_blank);

    std::size_t end = 0;
    if (i + 1 < text.size() && text[i] == '\\' && text[i + 1] == '"') {
      i += 2;
      end = value_end(text, i, '"', true);
    } else if (i < text.size() && is_quote(text[i])) {
      const char quote = text[i++];
      end = value_end(text, i, quote, false);
    } else if (enclosing != 0 || header) {
      end = value_end(text, i, enclosing, false);
    } else {
      // logfmt / query string `authorization=Basic abc status=200`: one
      // token, or a known scheme and one token.
      auto token = [&](std::size_t from) {
        return from + run_length(text, from, [](char c) { return !is_space(c) && c != '&'; });
      };
      end = token(i);
      if (is_auth_scheme(text.substr(i, end - i)) && end < text.size() && is_blank(text[end])) {
        end = token(end + run_length(text, end, is_blank));
      }
    }
    covered = end;
    end = trim_back(text, i, end);

    std::size_t credentials = i;
    const std::size_t scheme = run_length(text, i, is_header_char);
    if (scheme > 0 && i + scheme < end && is_blank(text[i + scheme])) {
      credentials = i + scheme + run_length(text, i + scheme, is_blank);
    }
    add_value_edit(text, credentials, end, rule_index(RuleId::kHttpAuthorization), out);
  }
}

void scan_bearer(std::string_view text, Edits& out) {
  for (std::size_t pos = find_icase(text, kBearer); pos != std::string_view::npos;
       pos = find_icase(text, kBearer, pos + kBearer.size())) {
    if (pos > 0 && is_word(text[pos - 1])) continue;
    std::size_t i = pos + kBearer.size();
    if (i >= text.size() || !is_blank(text[i])) continue;
    i += run_length(text, i, is_blank);
    const std::size_t body = run_length(text, i, is_token_char);
    if (body == 0) continue;
    const std::size_t end = i + body + run_length(text, i + body, [](char c) { return c == '='; });
    if (end < text.size() && is_word(text[end])) continue;
    // "Bearer token expired", `Bearer realm="api"`: words, not tokens.
    if (!looks_like_secret(text.substr(i, body))) continue;
    add_edit(out, i, end, RuleId::kBearerToken);
  }
}

}  // namespace

void scan_auth_headers(std::string_view text, Edits& out) {
  scan_authorization(text, out);
  scan_bearer(text, out);
}

}  // namespace helpline::redact::detail
