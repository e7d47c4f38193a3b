// TicketStore over the relay's SQLite connection (schema v3), private to
// server/store. It borrows the Db that SqliteDiagStore owns.
//
// Thread: like Store, one thread at a time.
#pragma once

#include "server/store/sqlite_db.h"
#include "server/store/ticket_store.h"

namespace helpline::relay::sqlite {

class SqliteTicketStore final : public TicketStore {
 public:
  // `db` must outlive this object.
  explicit SqliteTicketStore(Db& db) : db_(db) {}

  Result<tickets::Ticket> save(TicketWrite write) override;
  Result<std::optional<tickets::Ticket>> load(std::int64_t id) override;
  Result<std::optional<std::int64_t>> find_idempotent(const IdempotencyKey& key) override;
  Result<tickets::FiredSet> fired(std::int64_t id) override;
  Result<std::vector<TicketMessage>> messages(std::int64_t id, bool include_internal) override;
  Result<std::vector<tickets::HistoryEntry>> history(std::int64_t id) override;
  Result<TicketPage> query(const TicketQuery& query) override;
  Result<std::vector<tickets::Ticket>> device_tickets(std::string_view device_id,
                                                      bool include_closed,
                                                      std::size_t limit) override;
  Result<std::vector<tickets::Ticket>> created_between(UnixMillis from, UnixMillis to,
                                                       std::size_t limit) override;
  Result<std::vector<std::int64_t>> due_checks(UnixMillis now, std::size_t limit) override;

 private:
  [[nodiscard]] Result<std::int64_t> write_row(const TicketWrite& write);
  [[nodiscard]] Result<void> write_children(std::int64_t id, const TicketWrite& write,
                                            const std::vector<TicketMessage>& extra);

  Db& db_;
};

}  // namespace helpline::relay::sqlite
