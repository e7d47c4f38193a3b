// server/kb: the helpdesk's knowledge base as domain logic, with no I/O:
// what an article is, the checks every article passes before the store
// keeps it, and how a person's search words become a full-text query.
// The store (server/store, KbStore) keeps articles in SQLite with an FTS5
// index; the API, the CLI and the end user's agent read them through it.
//
// An article answers one question: a title, a body (plain text or
// Markdown), a category (the helpdesk's categories), the finding rules it
// explains (common/findings ids such as "storage.filesystem_full") and the
// catalog actions it documents (common/catalog ids such as
// "systemd.restart_unit"). Its id is what catalog actions name in
// `kb_articles` ("KB-0042", "helpline:printing"). The audience decides who
// reads it: `internal` articles are for technicians, `public` ones are also
// handed to end users (through their agent).
//
// Thread: values and pure functions only; safe from any thread.
// Errors: "bad_value" whose message starts with the field ("title: ...").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/result.h"
#include "common/core/time_format.h"
#include "server/tickets/category.h"

namespace helpline::relay::kb {

inline constexpr std::size_t kMaxIdLength = 64;
inline constexpr std::size_t kMaxTitle = 200;
inline constexpr std::size_t kMaxBody = 64 * 1024;
inline constexpr std::size_t kMaxLinks = 32;  // finding rules, actions
inline constexpr std::size_t kMaxLinkLength = 128;
inline constexpr std::size_t kMaxSearchWords = 16;

enum class Audience { kInternal, kPublic };

// "internal", "public".
[[nodiscard]] const char* to_string(Audience audience);
// Errors: "bad_value" ("audience: ...").
[[nodiscard]] Result<Audience> parse_audience(std::string_view text);

struct Article {
  std::string id{};  // "KB-0042"; unique
  std::string title{};
  std::string body{};
  std::string category = "other";
  Audience audience = Audience::kInternal;
  std::vector<std::string> finding_rules{};  // sorted, unique
  std::vector<std::string> actions{};        // catalog action ids, sorted, unique
  std::int64_t version = 1;                  // +1 on every edit (optimistic locking)
  UnixMillis created_at = 0;
  std::string created_by{};
  UnixMillis updated_at = 0;
  std::string updated_by{};

  friend bool operator==(const Article&, const Article&) = default;
};

// 1-64 characters of A-Z a-z 0-9 . _ - : (the catalog's link syntax
// without '/', so an id is one URL path segment).
[[nodiscard]] bool is_article_id(std::string_view id);
// "KB-0042" for 42: the id the store gives an article created without one.
[[nodiscard]] std::string numbered_id(std::int64_t number);

// Checks and normalises what a person wrote: title one line of 1-200 bytes,
// body up to 64 KiB (newlines and tabs allowed, no other control
// characters), category one of `categories` (lower-cased), at most 32
// finding rules and 32 actions of 1-128 characters of A-Z a-z 0-9 . _ - :
// (sorted, duplicates dropped), id as is_article_id() when not empty.
// Errors: "bad_value" naming the field ("finding_rules[2]: ...").
[[nodiscard]] Result<Article> normalize(Article draft, const tickets::CategoryCatalog& categories);

// A person's search words as an FTS5 query: every word of letters, digits
// and '_' (UTF-8 letters included) as a quoted prefix term ("disk"*), all
// required (`any` = false) or any of them (`any` = true, ranked by how many
// match). At most kMaxSearchWords words; nullopt when there is no word.
// Never contains FTS5 syntax from the input: quotes and operators are
// separators.
[[nodiscard]] std::optional<std::string> search_expression(std::string_view text, bool any = false);

// Where the next page of a listing starts: opaque text for clients.
[[nodiscard]] std::string encode_cursor(std::size_t offset);
// Errors: "bad_value" ("cursor: ...").
[[nodiscard]] Result<std::size_t> decode_cursor(std::string_view text);

}  // namespace helpline::relay::kb
