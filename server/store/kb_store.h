// The knowledge base's record (schema v5): articles (server/kb) with the
// finding rules and catalog actions they are linked to, a full-text index
// (SQLite FTS5 over title and body, kept in step by triggers) and the
// articles technicians linked to tickets.
//
// The store applies no rule of its own beyond uniqueness and versions:
// callers pass articles that kb::normalize() accepted.
//
// Thread: like Store, one thread at a time (the relay's io_context thread).
// Errors: "store_error" for database faults, plus those named per call.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/result.h"
#include "common/core/time_format.h"
#include "server/kb/kb.h"

namespace helpline::relay {

struct KbQuery {
  static constexpr std::size_t kMaxLimit = 200;

  // A kb::search_expression(); empty: list by id. With an expression the
  // best matches come first (FTS5's bm25, the title weighing more).
  std::string match;
  std::optional<std::string> category;
  std::optional<std::string> finding_rule;  // linked to this rule
  std::optional<std::string> action;        // linked to this catalog action
  bool public_only = false;                 // what end users may read
  std::size_t offset = 0;
  std::size_t limit = 50;  // 1..kMaxLimit
};

struct KbHit {
  kb::Article article;
  std::string snippet;  // a piece of the body around the match ("" without a match)
};

struct KbPage {
  std::vector<KbHit> hits;
  std::optional<std::size_t> next_offset;  // set when more follow
};

// Why an article is shown with a ticket.
struct KbSuggestion {
  kb::Article article;
  std::string reason;        // "linked", "finding:<rule>", "category"
  UnixMillis linked_at = 0;  // "linked" only
  std::string linked_by;
};

class KbStore {
 public:
  virtual ~KbStore() = default;

  // Inserts a new article (version 1, created = updated = `article`'s
  // times); an empty id becomes kb::numbered_id() of its row number.
  // Errors: "conflict" when the id is taken.
  [[nodiscard]] virtual Result<kb::Article> create_article(kb::Article article) = 0;
  // Replaces title, body, category, audience and links of article.id when
  // its stored version is `expected_version`; the version goes up by one.
  // Errors: "not_found", "conflict" (someone changed it meanwhile).
  [[nodiscard]] virtual Result<kb::Article> update_article(const kb::Article& article,
                                                           std::int64_t expected_version) = 0;
  // Removes the article and its links to tickets. Errors: "not_found".
  [[nodiscard]] virtual Result<void> delete_article(std::string_view id) = 0;
  [[nodiscard]] virtual Result<std::optional<kb::Article>> find_article(std::string_view id) = 0;
  // The articles among `ids` that exist (and are public, when asked), in
  // the order of `ids`; unknown ids are skipped.
  [[nodiscard]] virtual Result<std::vector<kb::Article>> find_articles(
      const std::vector<std::string>& ids, bool public_only) = 0;
  // Errors: "bad_value" ("limit: ...") for a limit out of range.
  [[nodiscard]] virtual Result<KbPage> search(const KbQuery& query) = 0;

  // What a ticket shows, at most `limit`: the articles linked to it (oldest
  // link first), then those linked to one of `finding_rules`, then those of
  // `category` that match `title_match` (a kb::search_expression(..., true);
  // empty: none), each article once.
  [[nodiscard]] virtual Result<std::vector<KbSuggestion>> suggestions(
      std::int64_t ticket_id, const std::vector<std::string>& finding_rules,
      std::string_view category, std::string_view title_match, bool public_only,
      std::size_t limit) = 0;

  // Links or unlinks an article and a ticket. Meant to run inside a ticket
  // write (TicketWrite::in_transaction) so the history entry and the link
  // are one change. Errors: "not_found" (the article), "conflict" (linking
  // twice, unlinking what is not linked).
  [[nodiscard]] virtual Result<void> link_ticket(std::int64_t ticket_id, std::string_view article,
                                                 UnixMillis at, std::string_view by) = 0;
  [[nodiscard]] virtual Result<void> unlink_ticket(std::int64_t ticket_id,
                                                   std::string_view article) = 0;
};

}  // namespace helpline::relay
