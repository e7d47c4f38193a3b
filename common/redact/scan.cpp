#include "common/redact/scan.h"

#include <algorithm>
#include <utility>

#include "common/redact/redact.h"

namespace helpline::redact::detail {

void add_edit(Edits& out, std::size_t begin, std::size_t end, RuleId rule) {
  out.push_back(Edit{begin, end, kMarker, rule_index(rule)});
}

void normalize(Edits& edits) {
  // Scanners mostly emit in order already; stable keeps the first proposal
  // when two start at the same byte.
  std::stable_sort(edits.begin(), edits.end(),
                   [](const Edit& a, const Edit& b) { return a.begin < b.begin; });
  std::size_t kept = 0;
  std::size_t covered = 0;
  for (const Edit& edit : edits) {
    if (kept > 0 && edit.begin < covered) continue;
    edits[kept++] = edit;
    covered = edit.end;
  }
  edits.resize(kept);
}

void apply(std::string& text, const Edits& edits) {
  if (edits.empty()) return;
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  for (const Edit& edit : edits) {
    out.append(text, pos, edit.begin - pos);
    out.append(edit.replacement);
    pos = edit.end;
  }
  out.append(text, pos);
  text.swap(out);
}

bool starts_with_icase(std::string_view text, std::size_t pos, std::string_view lower) {
  if (pos > text.size() || text.size() - pos < lower.size()) return false;
  for (std::size_t i = 0; i < lower.size(); ++i) {
    if (to_lower(text[pos + i]) != lower[i]) return false;
  }
  return true;
}

namespace {

// The needle's letter least frequent in running text ('z' of
// "authorization"), so that memchr skips most of a line at once.
[[nodiscard]] std::size_t rarest_letter(std::string_view lower) {
  constexpr std::string_view kByFrequency = "etaoinshrdlcumwfgypbvkjxqz";
  std::size_t best = 0;
  std::size_t best_rank = 0;
  for (std::size_t i = 0; i < lower.size(); ++i) {
    const std::size_t rank = kByFrequency.find(lower[i]);
    const std::size_t score = rank == std::string_view::npos ? kByFrequency.size() : rank;
    if (score > best_rank) {
      best = i;
      best_rank = score;
    }
  }
  return best;
}

}  // namespace

std::size_t find_icase(std::string_view text, std::string_view lower, std::size_t from) {
  constexpr std::size_t npos = std::string_view::npos;
  if (lower.empty() || text.size() < lower.size() || from > text.size() - lower.size()) {
    return npos;
  }
  // Walks the occurrences of the anchor letter in both cases, in order.
  const std::size_t anchor = rarest_letter(lower);
  const char lo = lower[anchor];
  const char up = is_lower(lo) ? static_cast<char>(lo - 'a' + 'A') : lo;
  std::size_t next_lo = text.find(lo, from + anchor);
  std::size_t next_up = up == lo ? npos : text.find(up, from + anchor);
  for (;;) {
    const std::size_t p = std::min(next_lo, next_up);
    if (p == npos) return npos;
    const std::size_t start = p - anchor;
    if (starts_with_icase(text, start, lower)) return start;
    if (p == next_lo) {
      next_lo = text.find(lo, p + 1);
    } else {
      next_up = text.find(up, p + 1);
    }
  }
}

std::size_t line_end(std::string_view text, std::size_t pos) {
  const std::size_t nl = text.find('\n', pos);
  return nl == std::string_view::npos ? text.size() : nl;
}

std::size_t trim_back(std::string_view text, std::size_t begin, std::size_t end) {
  while (end > begin && (is_blank(text[end - 1]) || text[end - 1] == '\r')) --end;
  return end;
}

std::size_t marker_length_at(std::string_view text, std::size_t pos) {
  for (std::string_view marker : {kMarker, kPrivateKeyMarker}) {
    if (text.substr(pos, marker.size()) == marker) return marker.size();
  }
  return 0;
}

bool is_auth_scheme(std::string_view word) {
  for (std::string_view scheme :
       {"basic", "bearer", "digest", "negotiate", "ntlm", "token", "aws4-hmac-sha256"}) {
    if (word.size() == scheme.size() && starts_with_icase(word, 0, scheme)) return true;
  }
  return false;
}

namespace {

// The next exact marker in text[from, end): its position and length.
[[nodiscard]] std::pair<std::size_t, std::size_t> find_marker(std::string_view text,
                                                              std::size_t from, std::size_t end) {
  const std::string_view window = text.substr(from, end - from);
  for (std::size_t at = window.find("[REDACTED"); at != std::string_view::npos;
       at = window.find("[REDACTED", at + 1)) {
    if (const std::size_t length = marker_length_at(window, at)) return {from + at, length};
  }
  return {end, 0};
}

// Where the part of text[from, marker) that an earlier rule kept on purpose
// begins: a token prefix right before the marker, or a scheme word and blanks.
[[nodiscard]] std::size_t kept_before(std::string_view text, std::size_t from, std::size_t marker) {
  const std::string_view piece = text.substr(from, marker - from);
  for (std::string_view prefix : kKeptPrefixes) {
    const std::size_t start = marker - prefix.size();
    if (piece.ends_with(prefix) && (start == from || !is_word(text[start - 1]))) return start;
  }
  const std::size_t word_end = trim_back(text, from, marker);
  if (word_end == marker) return marker;
  std::size_t start = word_end;
  while (start > from && (is_alnum(text[start - 1]) || text[start - 1] == '-')) --start;
  const bool separate = start == from || is_blank(text[start - 1]);
  return separate && is_auth_scheme(text.substr(start, word_end - start)) ? start : marker;
}

}  // namespace

void add_value_edit(std::string_view text, std::size_t begin, std::size_t end, std::size_t rule,
                    Edits& out) {
  std::size_t count_as = rule;
  std::size_t i = begin;
  while (i < end) {
    const auto [marker, length] = find_marker(text, i, end);
    const std::size_t piece_begin = i + run_length(text.substr(0, marker), i, is_blank);
    const std::size_t piece_end =
        trim_back(text, piece_begin, length == 0 ? marker : kept_before(text, piece_begin, marker));
    if (piece_end > piece_begin) {
      out.push_back(Edit{piece_begin, piece_end, kMarker, count_as});
      count_as = kUncounted;
    }
    if (length == 0) break;
    i = marker + length;
  }
}

bool looks_like_secret(std::string_view value) {
  if (value.empty()) return false;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (!is_alpha(c)) return true;
    if (i > 0 && is_upper(c)) return true;
  }
  return false;
}

}  // namespace helpline::redact::detail
