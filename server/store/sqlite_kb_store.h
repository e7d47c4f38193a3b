// KbStore over the relay's SQLite connection (schema v5), private to
// server/store. It borrows the Db that SqliteDiagStore owns.
//
// Thread: like Store, one thread at a time.
#pragma once

#include "server/store/kb_store.h"
#include "server/store/sqlite_db.h"

namespace helpline::relay::sqlite {

class SqliteKbStore final : public KbStore {
 public:
  // `db` must outlive this object.
  explicit SqliteKbStore(Db& db) : db_(db) {}

  Result<kb::Article> create_article(kb::Article article) override;
  Result<kb::Article> update_article(const kb::Article& article,
                                     std::int64_t expected_version) override;
  Result<void> delete_article(std::string_view id) override;
  Result<std::optional<kb::Article>> find_article(std::string_view id) override;
  Result<std::vector<kb::Article>> find_articles(const std::vector<std::string>& ids,
                                                 bool public_only) override;
  Result<KbPage> search(const KbQuery& query) override;
  Result<std::vector<KbSuggestion>> suggestions(std::int64_t ticket_id,
                                                const std::vector<std::string>& finding_rules,
                                                std::string_view category,
                                                std::string_view title_match, bool public_only,
                                                std::size_t limit) override;
  Result<void> link_ticket(std::int64_t ticket_id, std::string_view article, UnixMillis at,
                           std::string_view by) override;
  Result<void> unlink_ticket(std::int64_t ticket_id, std::string_view article) override;

 private:
  [[nodiscard]] Result<void> write_links(std::int64_t n, const kb::Article& article);
  [[nodiscard]] Result<std::optional<std::int64_t>> row_of(std::string_view id);

  Db& db_;
};

}  // namespace helpline::relay::sqlite
