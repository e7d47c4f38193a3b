#include "server/kb/kb.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

namespace helpline::relay::kb {
namespace {

[[nodiscard]] bool is_link_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-' || c == ':';
}

[[nodiscard]] bool is_link(std::string_view text, std::size_t max) {
  return !text.empty() && text.size() <= max && std::all_of(text.begin(), text.end(), is_link_char);
}

// One line (no control characters) or several (newline, CR and tab
// allowed); `required` wants something other than blanks.
[[nodiscard]] Result<void> check_text(std::string_view field, std::string_view value,
                                      std::size_t max, bool multiline, bool required) {
  if (value.size() > max) {
    return fail("bad_value",
                std::string(field) + ": longer than " + std::to_string(max) + " bytes");
  }
  bool content = false;
  for (char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    const bool blank = c == ' ' || (multiline && (c == '\n' || c == '\r' || c == '\t'));
    if ((byte < 0x20 && !blank) || byte == 0x7f) {
      return fail("bad_value", std::string(field) + ": contains a control character" +
                                   (multiline ? "" : " (it is one line)"));
    }
    content = content || !blank;
  }
  if (required && !content) return fail("bad_value", std::string(field) + ": required");
  return {};
}

[[nodiscard]] Result<void> normalize_links(std::string_view field,
                                           std::vector<std::string>& links) {
  if (links.size() > kMaxLinks) {
    return fail("bad_value",
                std::string(field) + ": at most " + std::to_string(kMaxLinks) + " entries");
  }
  for (std::size_t i = 0; i < links.size(); ++i) {
    if (!is_link(links[i], kMaxLinkLength)) {
      return fail("bad_value", std::string(field) + "[" + std::to_string(i) + "]: '" +
                                   links[i].substr(0, 40) +
                                   "' is not 1 to 128 of A-Z a-z 0-9 . _ - :");
    }
  }
  std::sort(links.begin(), links.end());
  links.erase(std::unique(links.begin(), links.end()), links.end());
  return {};
}

[[nodiscard]] bool is_word_byte(unsigned char byte) {
  return (byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') ||
         (byte >= '0' && byte <= '9') || byte == '_' || byte >= 0x80;
}

constexpr std::string_view kCursorPrefix = "kb1.";

}  // namespace

const char* to_string(Audience audience) {
  return audience == Audience::kPublic ? "public" : "internal";
}

Result<Audience> parse_audience(std::string_view text) {
  if (text == "internal") return Audience::kInternal;
  if (text == "public") return Audience::kPublic;
  return fail("bad_value", "audience: '" + std::string(text.substr(0, 40)) +
                               "' is not internal (technicians) or public (end users too)");
}

bool is_article_id(std::string_view id) { return is_link(id, kMaxIdLength); }

std::string numbered_id(std::int64_t number) {
  char text[32];
  std::snprintf(text, sizeof text, "KB-%04lld", static_cast<long long>(number));
  return text;
}

Result<Article> normalize(Article draft, const tickets::CategoryCatalog& categories) {
  if (!draft.id.empty() && !is_article_id(draft.id)) {
    return fail("bad_value", "id: '" + draft.id.substr(0, 40) +
                                 "' is not 1 to 64 of A-Z a-z 0-9 . _ - : (for example KB-0042)");
  }
  if (auto ok = check_text("title", draft.title, kMaxTitle, false, true); !ok)
    return fail(ok.error());
  if (auto ok = check_text("body", draft.body, kMaxBody, true, false); !ok) return fail(ok.error());
  if (draft.category.empty()) draft.category = "other";
  auto category = categories.parse(draft.category);
  if (!category) return fail(category.error());
  draft.category = category->name();
  if (auto ok = normalize_links("finding_rules", draft.finding_rules); !ok) return fail(ok.error());
  if (auto ok = normalize_links("actions", draft.actions); !ok) return fail(ok.error());
  return draft;
}

std::optional<std::string> search_expression(std::string_view text, bool any) {
  std::string out;
  std::size_t words = 0;
  std::size_t i = 0;
  while (i < text.size() && words < kMaxSearchWords) {
    while (i < text.size() && !is_word_byte(static_cast<unsigned char>(text[i]))) ++i;
    std::size_t start = i;
    while (i < text.size() && is_word_byte(static_cast<unsigned char>(text[i]))) ++i;
    if (i == start) break;
    // Words hold no quote, so quoting them is all FTS5 needs.
    if (!out.empty()) out += any ? " OR " : " ";
    out += "\"" + std::string(text.substr(start, i - start)) + "\"*";
    ++words;
  }
  if (out.empty()) return std::nullopt;
  return out;
}

std::string encode_cursor(std::size_t offset) {
  return std::string(kCursorPrefix) + std::to_string(offset);
}

Result<std::size_t> decode_cursor(std::string_view text) {
  std::size_t offset = 0;
  if (text.substr(0, kCursorPrefix.size()) == kCursorPrefix) {
    std::string_view digits = text.substr(kCursorPrefix.size());
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), offset);
    if (ec == std::errc() && end == digits.data() + digits.size() && !digits.empty() &&
        offset <= 1'000'000'000) {
      return offset;
    }
  }
  return fail("bad_value", "cursor: not a cursor this relay gave out; use next_cursor as it came");
}

}  // namespace helpline::relay::kb
