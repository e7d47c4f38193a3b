// WebhookStore over the relay's SQLite connection (schema v5), private to
// server/store. It borrows the Db that SqliteDiagStore owns.
//
// Thread: like Store, one thread at a time.
#pragma once

#include "server/store/sqlite_db.h"
#include "server/store/webhook_store.h"

namespace helpline::relay::sqlite {

class SqliteWebhookStore final : public WebhookStore {
 public:
  // `db` must outlive this object.
  explicit SqliteWebhookStore(Db& db) : db_(db) {}

  Result<WebhookRecord> add_webhook(const WebhookRecord& record) override;
  Result<void> sync_config_webhooks(const std::vector<WebhookRecord>& records) override;
  Result<void> remove_webhook(std::string_view id) override;
  Result<std::optional<WebhookRecord>> find_webhook(std::string_view id) override;
  Result<std::vector<WebhookRecord>> list_webhooks() override;
  Result<std::size_t> enqueue(std::string_view event_id, std::string_view event,
                              std::int64_t ticket_id, const std::function<std::string()>& payload,
                              UnixMillis now, std::string_view only) override;
  Result<std::optional<WebhookDelivery>> next_pending(std::string_view webhook_id) override;
  Result<void> record_attempt(std::int64_t id, const AttemptOutcome& outcome) override;
  Result<std::size_t> pending_deliveries(std::string_view webhook_id) override;
  Result<std::vector<WebhookDelivery>> recent_deliveries(std::string_view webhook_id,
                                                         std::size_t limit) override;
  Result<std::size_t> purge_deliveries(UnixMillis before) override;

 private:
  [[nodiscard]] Result<void> insert(const WebhookRecord& record);

  Db& db_;
};

}  // namespace helpline::relay::sqlite
