// Secret-ish keys followed by a value, in the syntaxes that logs, configs,
// environments and command lines use:
//   key=value  key = value  key: value  "key": "value"  key := value
//   key => 'value'  {\"key\":\"value\"}  --key value  and config lines `key value`.
// The key is found by looking back from each '=' or ':' (cheap: most
// separators in a log line follow a timestamp or "sshd[12]" and are rejected
// after a byte or two), and classify_key() decides whether it names a secret.
#include <algorithm>
#include <array>

#include "common/redact/rules.h"

namespace helpline::redact::detail {
namespace {

constexpr std::size_t kMaxKeyScan = 64;

[[nodiscard]] constexpr bool is_key_char(char c) {
  return is_alnum(c) || c == '_' || c == '-' || c == '.';
}

struct KeySpan {
  std::size_t outer_begin = 0;  // including an opening quote
  std::size_t begin = 0;        // the name, without quotes or leading dashes
  std::size_t end = 0;
  bool blank_before_separator = false;
  bool dashed = false;  // "--password=..." on a command line
};

// The key that ends right before the separator at `pos`.
[[nodiscard]] std::optional<KeySpan> key_before(std::string_view text, std::size_t pos) {
  KeySpan key;
  std::size_t k = pos;
  while (k > 0 && is_blank(text[k - 1])) {
    --k;
    key.blank_before_separator = true;
  }
  char quote = 0;
  if (k > 0 && is_quote(text[k - 1])) {
    quote = text[k - 1];
    --k;
    if (k > 0 && text[k - 1] == '\\') --k;  // {\"password\":...}
  }
  const std::size_t end = k;
  while (k > 0 && end - k < kMaxKeyScan && is_key_char(text[k - 1])) --k;
  if (k == end || (k > 0 && is_key_char(text[k - 1]))) return std::nullopt;
  key.outer_begin = k;
  if (quote != 0 && k > 0 && text[k - 1] == quote) {
    key.outer_begin = k - 1;
    if (key.outer_begin > 0 && text[key.outer_begin - 1] == '\\') --key.outer_begin;
  }
  while (k < end && text[k] == '-') {
    ++k;
    key.dashed = true;
  }
  if (k == end) return std::nullopt;
  key.begin = k;
  key.end = end;
  return key;
}

// Moves `i` back over blanks.
[[nodiscard]] std::size_t skip_blanks_back(std::string_view text, std::size_t i) {
  while (i > 0 && is_blank(text[i - 1])) --i;
  return i;
}

// What precedes a key: a quote opened right before it (`-e "PASS=x y"`,
// `- "PASS=x"`), and whether the key opens its line after blanks, "export "
// or a YAML "- ". Looks back only over those, so a long line costs nothing.
struct KeyContext {
  char enclosing = 0;
  bool opens_line = false;
  bool list_item = false;
};

[[nodiscard]] KeyContext context_of(std::string_view text, std::size_t key_begin) {
  KeyContext context;
  std::size_t i = key_begin;
  if (i > 0 && is_quote(text[i - 1])) context.enclosing = text[--i];
  const std::size_t after_prefix = i;
  i = skip_blanks_back(text, i);
  if (i < after_prefix) {
    if (i >= 1 && text[i - 1] == '-') {
      context.list_item = true;
      i = skip_blanks_back(text, i - 1);
    } else if (i >= 6 && text.substr(i - 6, 6) == "export") {
      i = skip_blanks_back(text, i - 6);
    }
  }
  context.opens_line = i == 0 || text[i - 1] == '\n';
  return context;
}

// How far an unquoted value runs.
enum class Extent { kInline, kToQuote, kToLineEnd };

struct ValueSpan {
  std::size_t begin = 0;
  std::size_t end = 0;
  bool quoted = false;
};

// Where an unquoted value ends in the middle of a line: at a blank, a quote,
// a closing bracket, or '&' / ';' / ',' that ends a field (followed by a
// blank, the end, or the next `key=`: query strings, connection strings).
// A password may hold '&', ',' or ';' itself.
[[nodiscard]] bool ends_inline_value(std::string_view text, std::size_t i) {
  const char c = text[i];
  if (is_space(c) || is_quote(c) || c == ')' || c == ']' || c == '}') return true;
  if (c == '\\' && i + 1 < text.size() && text[i + 1] == '"') return true;
  if (c != '&' && c != ',' && c != ';') return false;
  if (c != '&' && (i + 1 == text.size() || is_space(text[i + 1]) || is_quote(text[i + 1]) ||
                   text[i + 1] == '\\')) {
    return true;
  }
  const std::size_t key = run_length(text, i + 1, is_key_char);
  return key > 0 && i + 1 + key < text.size() && text[i + 1 + key] == '=';
}

// The value starting at `pos`. Scans only as far as the value goes, never
// to the end of the line first: a line may be 1 MiB long.
[[nodiscard]] std::optional<ValueSpan> value_at(std::string_view text, std::size_t pos,
                                                Extent extent, char enclosing = 0) {
  if (pos >= text.size()) return std::nullopt;
  const char c = text[pos];
  std::size_t i = pos;
  if (c == '\\' && pos + 1 < text.size() && text[pos + 1] == '"') {  // {\"key\":\"value\"}
    i = pos + 2;
    while (i < text.size() && text[i] != '\n' && text.substr(i, 2) != "\\\"") ++i;
    return ValueSpan{pos + 2, i, true};
  }
  if (is_quote(c)) {
    ++i;
    while (i < text.size() && text[i] != c && text[i] != '\n') {
      const bool escape = c == '"' && text[i] == '\\' && i + 1 < text.size() && text[i + 1] != '\n';
      i += escape ? 2 : 1;
    }
    return ValueSpan{pos + 1, std::min(i, text.size()), true};
  }
  if (extent == Extent::kToQuote) {
    while (i < text.size() && text[i] != enclosing && text[i] != '\n') ++i;
    return ValueSpan{pos, trim_back(text, pos, i), false};
  }
  if (extent == Extent::kToLineEnd) {
    std::size_t end = trim_back(text, pos, line_end(text, pos));
    if (end > pos && text[end - 1] == ',') --end;  // pretty-printed JSON
    return ValueSpan{pos, end, false};
  }
  while (i < text.size() && !ends_inline_value(text, i)) {
    const std::size_t marker = marker_length_at(text, i);  // "AKIA[REDACTED]" is one value
    i += marker > 0 ? marker : 1;
  }
  return ValueSpan{pos, i, false};
}

// Values that are no secret: empty, null-ish, masked (***), or a
// reference to one kept elsewhere (${DB_PASSWORD}, $TOKEN, {{ .token }}).
[[nodiscard]] bool worth_redacting(std::string_view text, const ValueSpan& value) {
  const std::string_view v = text.substr(value.begin, value.end - value.begin);
  if (v.empty()) return false;
  if (value.quoted) return true;
  static constexpr std::array<std::string_view, 6> kNotSecrets = {"null", "true", "false",
                                                                  "none", "nil",  "~"};
  for (std::string_view word : kNotSecrets) {
    if (v.size() == word.size() && starts_with_icase(v, 0, word)) return false;
  }
  if (v.starts_with("${") || v.starts_with("{{")) return false;
  if (v[0] == '$' && v.size() > 1 && run_length(v, 1, is_word) == v.size() - 1) return false;
  return v.find_first_not_of('*') != std::string_view::npos;
}

[[nodiscard]] bool ends_with_icase(std::string_view text, std::string_view lower) {
  return text.size() >= lower.size() && starts_with_icase(text, text.size() - lower.size(), lower);
}

// Separators inside a value already taken are not looked at again: that
// keeps hostile lines ("password=\"password=\"...") linear.
void scan_separators(std::string_view text, Edits& out) {
  std::size_t covered = 0;
  std::size_t next_equals = text.find('=');
  std::size_t next_colon = text.find(':');
  for (;;) {
    // memchr-fast walk over both separators in order.
    const std::size_t p = std::min(next_equals, next_colon);
    if (p == std::string_view::npos) break;
    if (p == next_equals) {
      next_equals = text.find('=', p + 1);
    } else {
      next_colon = text.find(':', p + 1);
    }
    const char c = text[p];
    if (p < covered) continue;
    const char prev = p > 0 ? text[p - 1] : '\0';
    const char next = p + 1 < text.size() ? text[p + 1] : '\0';
    std::size_t sep_len = 1;
    bool arrow = false;
    if (c == ':') {
      if (next == ':' || prev == ':') continue;                                // C++ scopes, IPv6
      if (next == '/' && p + 2 < text.size() && text[p + 2] == '/') continue;  // a URL
      if (next == '=') sep_len = 2;                                            // :=
    } else {
      if (prev == '=' || prev == '!' || prev == '<' || prev == '>' || prev == ':') continue;
      if (next == '=' || next == '~') continue;  // == and =~ compare
      if (next == '>') {
        sep_len = 2;  // =>
        arrow = true;
      }
    }
    const auto key = key_before(text, p);
    if (!key) continue;
    const std::string_view name = text.substr(key->begin, key->end - key->begin);
    const auto rule = classify_key(name);
    // Authorization values belong to scan_auth_headers, which keeps the scheme.
    if (!rule || ends_with_icase(name, "authorization")) continue;

    std::size_t v = p + sep_len;
    if (c == ':' || arrow || key->blank_before_separator) v += run_length(text, v, is_blank);
    // A config entry's value runs to the end of its line ("password = a b",
    // "token: a b", "- DB_PASS=a b"), except shell-like KEY=value, which ends at
    // a blank as the shell would. A Cookie header holds several secrets.
    const KeyContext context = context_of(text, key->outer_begin);
    const bool config_entry =
        !key->dashed && context.opens_line &&
        (c == ':' || arrow || key->blank_before_separator || context.list_item);
    const bool cookie_header = c == ':' && ends_with_icase(name, "cookie");
    Extent extent = Extent::kInline;
    if (context.enclosing != 0) {
      extent = Extent::kToQuote;
    } else if (config_entry || cookie_header) {
      extent = Extent::kToLineEnd;
    }
    const auto value = value_at(text, v, extent, context.enclosing);
    if (!value) continue;
    covered = value->end;
    if (worth_redacting(text, *value)) {
      add_value_edit(text, value->begin, value->end, rule_index(*rule), out);
    }
  }
}

// --password VALUE, -token VALUE (a '=' after the flag is a separator above).
void scan_flags(std::string_view text, Edits& out) {
  for (std::size_t i = text.find('-'); i != std::string_view::npos; i = text.find('-', i + 1)) {
    if (i > 0 && !is_space(text[i - 1])) continue;
    std::size_t j = i + run_length(text, i, [](char c) { return c == '-'; });
    if (j - i > 2) continue;
    const std::size_t k = j + run_length(text, j, is_key_char);
    if (k == j || k >= text.size() || !is_blank(text[k])) continue;
    const auto rule = classify_key(text.substr(j, k - j));
    if (!rule) continue;
    const std::size_t v = k + run_length(text, k, is_blank);
    if (v >= text.size() || text[v] == '-' || is_space(text[v])) continue;
    const auto value = value_at(text, v, Extent::kInline);
    if (value && worth_redacting(text, *value)) {
      add_value_edit(text, value->begin, value->end, rule_index(*rule), out);
    }
  }
}

// `password hunter2`: a whole line of exactly a key and one value, as in
// redis.conf or an sshd-style config. Only values that do not read as a word
// count, so that "token expired" stays.
void scan_config_lines(std::string_view text, Edits& out) {
  std::size_t begin = 0;
  while (begin < text.size()) {
    const std::size_t eol = line_end(text, begin);
    const std::size_t k = begin + run_length(text, begin, is_blank);
    const std::size_t key_end = k + run_length(text, k, is_key_char);
    const std::size_t v = key_end + run_length(text, key_end, is_blank);
    const std::size_t v_end = v + run_length(text, v, [](char c) { return !is_space(c); });
    if (key_end > k && v > key_end && v_end > v && trim_back(text, v_end, eol) == v_end &&
        text[k] != '-' && looks_like_secret(text.substr(v, v_end - v))) {
      if (const auto rule = classify_key(text.substr(k, key_end - k))) {
        const ValueSpan value{v, v_end, false};
        if (worth_redacting(text, value)) add_value_edit(text, v, v_end, rule_index(*rule), out);
      }
    }
    begin = eol + 1;
  }
}

}  // namespace

void scan_key_values(std::string_view text, Edits& out) {
  scan_separators(text, out);
  scan_flags(text, out);
  scan_config_lines(text, out);
}

}  // namespace helpline::redact::detail
