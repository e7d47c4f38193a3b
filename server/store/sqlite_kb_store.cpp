// The knowledge base in SQLite (schema v5). Full-text search goes through
// the FTS5 table kb_search (title weighs five times the body in bm25);
// filters are constant SQL fragments with bound values.
#include "server/store/sqlite_kb_store.h"

#include <algorithm>
#include <set>
#include <string>
#include <utility>

#include "server/store/sqlite_rows.h"

namespace helpline::relay::sqlite {
namespace {

// kb_articles a, then the comma-joined links (targets never hold commas).
constexpr const char* kArticleColumns =
    "a.id, a.title, a.body, a.category, a.audience, a.version, a.created_at, a.created_by, "
    "a.updated_at, a.updated_by, "
    "(SELECT group_concat(target, ',') FROM kb_article_links WHERE article = a.n AND kind = "
    "'finding'), "
    "(SELECT group_concat(target, ',') FROM kb_article_links WHERE article = a.n AND kind = "
    "'action')";
constexpr int kArticleColumnCount = 12;

// The filters every listing shares: ?1 category ('' any), ?2 finding rule,
// ?3 action, ?4 public only.
constexpr const char* kFilters =
    "(?1 = '' OR a.category = ?1) AND (?2 = '' OR EXISTS (SELECT 1 FROM kb_article_links l "
    "WHERE l.article = a.n AND l.kind = 'finding' AND l.target = ?2)) AND (?3 = '' OR EXISTS "
    "(SELECT 1 FROM kb_article_links l WHERE l.article = a.n AND l.kind = 'action' AND l.target "
    "= ?3)) AND (?4 = 0 OR a.audience = 'public')";

// Stored in order, but read back sorted whatever the storage did.
[[nodiscard]] std::vector<std::string> sorted_list(const std::string& joined) {
  std::vector<std::string> out = split_list(joined);
  std::sort(out.begin(), out.end());
  return out;
}

[[nodiscard]] Result<kb::Article> read_article(const Statement& row) {
  kb::Article a;
  a.id = row.column_text(0);
  a.title = row.column_text(1);
  a.body = row.column_text(2);
  a.category = row.column_text(3);
  auto audience = kb::parse_audience(row.column_text(4));
  if (!audience) return fail("store_error", "article " + a.id + ": " + audience.error().message);
  a.audience = *audience;
  a.version = row.column_int64(5);
  a.created_at = row.column_int64(6);
  a.created_by = row.column_text(7);
  a.updated_at = row.column_int64(8);
  a.updated_by = row.column_text(9);
  a.finding_rules = sorted_list(row.column_text(10));
  a.actions = sorted_list(row.column_text(11));
  return a;
}

[[nodiscard]] std::int64_t to_sql_count(std::size_t value) {
  return static_cast<std::int64_t>(std::min<std::size_t>(value, 1'000'000'000));
}

void bind_filters(Statement& stmt, const KbQuery& q) {
  stmt.bind(1, std::string_view(q.category.value_or("")))
      .bind(2, std::string_view(q.finding_rule.value_or("")))
      .bind(3, std::string_view(q.action.value_or("")))
      .bind(4, q.public_only);
}

}  // namespace

Result<std::optional<std::int64_t>> SqliteKbStore::row_of(std::string_view id) {
  auto stmt = db_.statement("SELECT n FROM kb_articles WHERE id = ?");
  if (!stmt) return fail(stmt.error());
  (*stmt)->bind(1, id);
  return first_row(
      *stmt, [](const Statement& row) -> Result<std::int64_t> { return row.column_int64(0); });
}

Result<void> SqliteKbStore::write_links(std::int64_t n, const kb::Article& article) {
  {
    auto stmt = db_.statement("DELETE FROM kb_article_links WHERE article = ?");
    if (!stmt) return fail(stmt.error());
    (*stmt)->bind(1, n);
    if (auto done = (*stmt)->run(); !done) return done;
  }
  for (auto [kind, targets] :
       {std::pair{"finding", &article.finding_rules}, std::pair{"action", &article.actions}}) {
    for (const std::string& target : *targets) {
      auto stmt = db_.statement(
          "INSERT INTO kb_article_links (article, kind, target) VALUES (?, ?, ?) "
          "ON CONFLICT DO NOTHING");
      if (!stmt) return fail(stmt.error());
      (*stmt)->bind(1, n).bind(2, std::string_view(kind)).bind(3, std::string_view(target));
      if (auto done = (*stmt)->run(); !done) return done;
    }
  }
  return {};
}

Result<kb::Article> SqliteKbStore::create_article(kb::Article article) {
  auto txn = Transaction::begin(db_);
  if (!txn) return fail(txn.error());
  {
    auto stmt = db_.statement(
        "INSERT INTO kb_articles (id, title, body, category, audience, version, created_at, "
        "created_by, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, ?)");
    if (!stmt) return fail(stmt.error());
    // Without an id the row goes in under a name no article can have ('#'
    // is not allowed in ids) and is renamed after its number below.
    const std::string placeholder = article.id.empty() ? "#new" : article.id;
    (*stmt)
        ->bind(1, std::string_view(placeholder))
        .bind(2, std::string_view(article.title))
        .bind(3, std::string_view(article.body))
        .bind(4, std::string_view(article.category))
        .bind(5, std::string_view(kb::to_string(article.audience)))
        .bind(6, article.created_at)
        .bind(7, std::string_view(article.created_by))
        .bind(8, article.created_at)
        .bind(9, std::string_view(article.created_by));
    if (auto done = (*stmt)->run(); !done) {
      if ((*stmt)->failed_on_unique()) {
        return fail("conflict", "id: an article with id '" + article.id + "' exists already");
      }
      return fail(done.error());
    }
  }
  const std::int64_t n = db_.last_insert_rowid();
  if (article.id.empty()) {
    // Someone may have chosen "KB-0007" by hand for another article.
    for (int attempt = 0; article.id.empty() && attempt < 100; ++attempt) {
      std::string candidate =
          kb::numbered_id(n) + (attempt == 0 ? "" : "-" + std::to_string(attempt + 1));
      auto taken = row_of(candidate);
      if (!taken) return fail(taken.error());
      if (!*taken) article.id = candidate;
    }
    if (article.id.empty())
      return fail("conflict", "id: no free KB-number; give the article an id");
    auto stmt = db_.statement("UPDATE kb_articles SET id = ? WHERE n = ?");
    if (!stmt) return fail(stmt.error());
    (*stmt)->bind(1, std::string_view(article.id)).bind(2, n);
    if (auto done = (*stmt)->run(); !done) return fail(done.error());
  }
  if (auto links = write_links(n, article); !links) return fail(links.error());
  auto stored = find_article(article.id);
  if (!stored) return fail(stored.error());
  if (!*stored) return fail("store_error", "article " + article.id + " vanished while created");
  if (auto committed = txn->commit(); !committed) return fail(committed.error());
  return std::move(**stored);
}

Result<kb::Article> SqliteKbStore::update_article(const kb::Article& article,
                                                  std::int64_t expected_version) {
  auto txn = Transaction::begin(db_);
  if (!txn) return fail(txn.error());
  auto n = row_of(article.id);
  if (!n) return fail(n.error());
  if (!*n) return fail("not_found", "no knowledge-base article '" + article.id + "'");
  {
    auto stmt = db_.statement(
        "UPDATE kb_articles SET title = ?, body = ?, category = ?, audience = ?, version = "
        "version + 1, updated_at = ?, updated_by = ? WHERE n = ? AND version = ?");
    if (!stmt) return fail(stmt.error());
    (*stmt)
        ->bind(1, std::string_view(article.title))
        .bind(2, std::string_view(article.body))
        .bind(3, std::string_view(article.category))
        .bind(4, std::string_view(kb::to_string(article.audience)))
        .bind(5, article.updated_at)
        .bind(6, std::string_view(article.updated_by))
        .bind(7, **n)
        .bind(8, expected_version);
    if (auto done = (*stmt)->run(); !done) return fail(done.error());
    if (db_.changes() == 0) {
      return fail("conflict",
                  "version: article " + article.id + " is no longer at version " +
                      std::to_string(expected_version) +
                      "; someone changed it meanwhile: show it again and redo the edit");
    }
  }
  if (auto links = write_links(**n, article); !links) return fail(links.error());
  auto stored = find_article(article.id);
  if (!stored) return fail(stored.error());
  if (!*stored) return fail("store_error", "article " + article.id + " vanished while updated");
  if (auto committed = txn->commit(); !committed) return fail(committed.error());
  return std::move(**stored);
}

Result<void> SqliteKbStore::delete_article(std::string_view id) {
  auto stmt = db_.statement("DELETE FROM kb_articles WHERE id = ?");
  if (!stmt) return fail(stmt.error());
  (*stmt)->bind(1, id);
  if (auto done = (*stmt)->run(); !done) return done;
  if (db_.changes() == 0) {
    return fail("not_found", "no knowledge-base article '" + std::string(id) + "'");
  }
  return {};
}

Result<std::optional<kb::Article>> SqliteKbStore::find_article(std::string_view id) {
  static const std::string kSql = select_sql(kArticleColumns, "FROM kb_articles a WHERE a.id = ?");
  auto stmt = db_.statement(kSql.c_str());
  if (!stmt) return fail(stmt.error());
  (*stmt)->bind(1, id);
  return first_row(*stmt, read_article);
}

Result<std::vector<kb::Article>> SqliteKbStore::find_articles(const std::vector<std::string>& ids,
                                                              bool public_only) {
  std::vector<kb::Article> out;
  std::set<std::string> seen;
  for (const std::string& id : ids) {
    if (!seen.insert(id).second) continue;
    auto found = find_article(id);
    if (!found) return fail(found.error());
    if (!*found) continue;
    if (public_only && (*found)->audience != kb::Audience::kPublic) continue;
    out.push_back(std::move(**found));
  }
  return out;
}

Result<KbPage> SqliteKbStore::search(const KbQuery& q) {
  if (q.limit < 1 || q.limit > KbQuery::kMaxLimit) {
    return fail("bad_value", "limit: must be 1.." + std::to_string(KbQuery::kMaxLimit));
  }
  static const std::string kList = select_sql(
      kArticleColumns,
      (std::string("FROM kb_articles a WHERE ") + kFilters + " ORDER BY a.id LIMIT ?5 OFFSET ?6")
          .c_str());
  static const std::string kMatch =
      std::string("SELECT ") + kArticleColumns +
      ", snippet(kb_search, 1, '', '', '...', 16) FROM kb_search JOIN kb_articles a ON a.n = "
      "kb_search.rowid WHERE kb_search MATCH ?7 AND " +
      kFilters + " ORDER BY bm25(kb_search, 5.0, 1.0), a.id LIMIT ?5 OFFSET ?6";
  const bool matching = !q.match.empty();
  auto stmt = db_.statement(matching ? kMatch.c_str() : kList.c_str());
  if (!stmt) return fail(stmt.error());
  bind_filters(**stmt, q);
  (*stmt)->bind(5, to_sql_count(q.limit + 1)).bind(6, to_sql_count(q.offset));
  if (matching) (*stmt)->bind(7, std::string_view(q.match));
  KbPage page;
  for (;;) {
    auto row = (*stmt)->step();
    if (!row) return fail(row.error());
    if (!*row) break;
    if (page.hits.size() == q.limit) {
      page.next_offset = q.offset + q.limit;
      break;
    }
    auto article = read_article(**stmt);
    if (!article) return fail(article.error());
    KbHit hit{std::move(*article), matching ? (*stmt)->column_text(kArticleColumnCount) : ""};
    page.hits.push_back(std::move(hit));
  }
  return page;
}

Result<std::vector<KbSuggestion>> SqliteKbStore::suggestions(
    std::int64_t ticket_id, const std::vector<std::string>& finding_rules,
    std::string_view category, std::string_view title_match, bool public_only, std::size_t limit) {
  std::vector<KbSuggestion> out;
  std::set<std::string> seen;
  auto add = [&](kb::Article article, std::string reason, UnixMillis at, std::string by) {
    if (out.size() >= limit || !seen.insert(article.id).second) return;
    out.push_back(KbSuggestion{std::move(article), std::move(reason), at, std::move(by)});
  };
  {
    static const std::string kSql = select_sql(
        kArticleColumns,
        ", l.linked_at, l.linked_by FROM ticket_kb_links l JOIN kb_articles a ON a.n = "
        "l.article WHERE l.ticket_id = ?1 AND (?2 = 0 OR a.audience = 'public') ORDER BY "
        "l.linked_at, a.n");
    auto stmt = db_.statement(kSql.c_str());
    if (!stmt) return fail(stmt.error());
    (*stmt)->bind(1, ticket_id).bind(2, public_only);
    for (;;) {
      auto row = (*stmt)->step();
      if (!row) return fail(row.error());
      if (!*row) break;
      auto article = read_article(**stmt);
      if (!article) return fail(article.error());
      add(std::move(*article), "linked", (*stmt)->column_int64(kArticleColumnCount),
          (*stmt)->column_text(kArticleColumnCount + 1));
    }
  }
  for (const std::string& rule : finding_rules) {
    if (out.size() >= limit) break;
    static const std::string kSql = select_sql(
        kArticleColumns,
        "FROM kb_article_links l JOIN kb_articles a ON a.n = l.article WHERE l.kind = 'finding' "
        "AND l.target = ?1 AND (?2 = 0 OR a.audience = 'public') ORDER BY a.id LIMIT ?3");
    auto stmt = db_.statement(kSql.c_str());
    if (!stmt) return fail(stmt.error());
    (*stmt)->bind(1, std::string_view(rule)).bind(2, public_only).bind(3, to_sql_count(limit));
    auto rows = all_rows(*stmt, read_article);
    if (!rows) return fail(rows.error());
    for (auto& article : *rows) add(std::move(article), "finding:" + rule, 0, "");
  }
  if (out.size() < limit && !title_match.empty()) {
    static const std::string kSql = select_sql(
        kArticleColumns,
        "FROM kb_search JOIN kb_articles a ON a.n = kb_search.rowid WHERE kb_search MATCH ?1 "
        "AND a.category = ?2 AND (?3 = 0 OR a.audience = 'public') ORDER BY bm25(kb_search, "
        "5.0, 1.0), a.id LIMIT ?4");
    auto stmt = db_.statement(kSql.c_str());
    if (!stmt) return fail(stmt.error());
    (*stmt)
        ->bind(1, title_match)
        .bind(2, category)
        .bind(3, public_only)
        .bind(4, to_sql_count(limit));
    auto rows = all_rows(*stmt, read_article);
    if (!rows) return fail(rows.error());
    for (auto& article : *rows) add(std::move(article), "category", 0, "");
  }
  return out;
}

Result<void> SqliteKbStore::link_ticket(std::int64_t ticket_id, std::string_view article,
                                        UnixMillis at, std::string_view by) {
  auto stmt = db_.statement(
      "INSERT INTO ticket_kb_links (ticket_id, article, linked_at, linked_by) "
      "SELECT ?1, n, ?2, ?3 FROM kb_articles WHERE id = ?4");
  if (!stmt) return fail(stmt.error());
  (*stmt)->bind(1, ticket_id).bind(2, at).bind(3, by).bind(4, article);
  if (auto done = (*stmt)->run(); !done) {
    if ((*stmt)->failed_on_unique()) {
      return fail("conflict",
                  "article: " + std::string(article) + " is linked to this ticket already");
    }
    if ((*stmt)->failed_on_foreign_key()) {
      return fail("not_found", "no ticket " + std::to_string(ticket_id));
    }
    return done;
  }
  if (db_.changes() == 0) {
    return fail("not_found", "article: no knowledge-base article '" + std::string(article) + "'");
  }
  return {};
}

Result<void> SqliteKbStore::unlink_ticket(std::int64_t ticket_id, std::string_view article) {
  auto n = row_of(article);
  if (!n) return fail(n.error());
  if (!*n) {
    return fail("not_found", "article: no knowledge-base article '" + std::string(article) + "'");
  }
  auto stmt = db_.statement("DELETE FROM ticket_kb_links WHERE ticket_id = ? AND article = ?");
  if (!stmt) return fail(stmt.error());
  (*stmt)->bind(1, ticket_id).bind(2, **n);
  if (auto done = (*stmt)->run(); !done) return done;
  if (db_.changes() == 0) {
    return fail("conflict", "article: " + std::string(article) + " is not linked to this ticket");
  }
  return {};
}

}  // namespace helpline::relay::sqlite
