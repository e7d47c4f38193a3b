// The SQLite Store's diagnostics and ticket tables (schemas v2, v3 and v5), private to
// server/store. SqliteStore (sqlite_store.cpp) derives from this class for
// the rest of the interface; the connection lives here.
//
// Thread: like Store, one thread at a time.
#pragma once

#include <memory>

#include "server/store/sqlite_db.h"
#include "server/store/sqlite_kb_store.h"
#include "server/store/sqlite_ticket_store.h"
#include "server/store/sqlite_webhook_store.h"
#include "server/store/store.h"

namespace helpline::relay::sqlite {

class SqliteDiagStore : public Store {
 public:
  Result<Ticket> create_ticket(Ticket ticket) override;
  Result<std::optional<Ticket>> find_ticket(std::int64_t id) override;
  Result<std::vector<TicketAttachment>> list_attachments(std::int64_t ticket_id) override;
  TicketStore& ticket_store() override { return tickets_; }
  KbStore& kb_store() override { return kb_; }
  WebhookStore& webhook_store() override { return webhooks_; }

  Result<BundleRecord> record_bundle(const BundleRecord& record) override;
  Result<std::optional<BundleRecord>> find_bundle(std::string_view id) override;
  Result<std::vector<BundleRecord>> list_bundles(const BundleFilter& filter) override;

 protected:
  explicit SqliteDiagStore(std::unique_ptr<Db> db)
      : db_(std::move(db)), tickets_(*db_), kb_(*db_), webhooks_(*db_) {}

  std::unique_ptr<Db> db_;
  SqliteTicketStore tickets_;  // these borrow *db_
  SqliteKbStore kb_;
  SqliteWebhookStore webhooks_;
};

}  // namespace helpline::relay::sqlite
