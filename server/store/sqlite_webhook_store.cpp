// Webhooks and their delivery queue in SQLite (schema v5).
#include "server/store/sqlite_webhook_store.h"

#include <algorithm>
#include <set>
#include <string>

#include "server/store/sqlite_rows.h"

namespace helpline::relay {

const char* to_string(DeliveryState state) {
  switch (state) {
    case DeliveryState::kDelivered:
      return "delivered";
    case DeliveryState::kFailed:
      return "failed";
    case DeliveryState::kPending:
      break;
  }
  return "pending";
}

}  // namespace helpline::relay

namespace helpline::relay::sqlite {
namespace {

constexpr const char* kWebhookColumns =
    "id, url, secret, events, ca_file, source, enabled, created_at, created_by";
constexpr const char* kDeliveryColumns =
    "id, webhook_id, event_id, event, ticket_id, payload, state, attempts, next_attempt_at, "
    "created_at, last_attempt_at, last_status, last_error";

[[nodiscard]] Result<WebhookRecord> read_webhook(const Statement& row) {
  WebhookRecord r;
  r.id = row.column_text(0);
  r.url = row.column_text(1);
  r.secret = row.column_text(2);
  r.events = split_list(row.column_text(3));
  r.ca_file = row.column_text(4);
  r.source = row.column_text(5);
  r.enabled = row.column_bool(6);
  r.created_at = row.column_int64(7);
  r.created_by = row.column_text(8);
  return r;
}

[[nodiscard]] Result<DeliveryState> parse_state(const std::string& text) {
  if (text == "pending") return DeliveryState::kPending;
  if (text == "delivered") return DeliveryState::kDelivered;
  if (text == "failed") return DeliveryState::kFailed;
  return fail("store_error", "webhook delivery with unknown state '" + text + "'");
}

[[nodiscard]] Result<WebhookDelivery> read_delivery(const Statement& row) {
  WebhookDelivery d;
  d.id = row.column_int64(0);
  d.webhook_id = row.column_text(1);
  d.event_id = row.column_text(2);
  d.event = row.column_text(3);
  d.ticket_id = row.column_int64(4);
  d.payload = row.column_text(5);
  auto state = parse_state(row.column_text(6));
  if (!state) return fail(state.error());
  d.state = *state;
  d.attempts = static_cast<int>(std::clamp<std::int64_t>(row.column_int64(7), 0, 1'000'000));
  d.next_attempt_at = row.column_int64(8);
  d.created_at = row.column_int64(9);
  d.last_attempt_at = row.column_int64(10);
  d.last_status = static_cast<int>(std::clamp<std::int64_t>(row.column_int64(11), 0, 999));
  d.last_error = row.column_text(12);
  return d;
}

}  // namespace

Result<void> SqliteWebhookStore::insert(const WebhookRecord& r) {
  auto stmt = db_.statement(
      "INSERT INTO webhooks (id, url, secret, events, ca_file, source, enabled, created_at, "
      "created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!stmt) return fail(stmt.error());
  (*stmt)
      ->bind(1, std::string_view(r.id))
      .bind(2, std::string_view(r.url))
      .bind(3, std::string_view(r.secret))
      .bind(4, std::string_view(join_list(r.events)))
      .bind(5, std::string_view(r.ca_file))
      .bind(6, std::string_view(r.source))
      .bind(7, r.enabled)
      .bind(8, r.created_at)
      .bind(9, std::string_view(r.created_by));
  if (auto done = (*stmt)->run(); !done) {
    if ((*stmt)->failed_on_unique()) {
      return fail("conflict", "id: a webhook named '" + r.id + "' exists already");
    }
    return done;
  }
  return {};
}

Result<WebhookRecord> SqliteWebhookStore::add_webhook(const WebhookRecord& record) {
  if (auto done = insert(record); !done) return fail(done.error());
  return record;
}

Result<void> SqliteWebhookStore::sync_config_webhooks(const std::vector<WebhookRecord>& records) {
  auto txn = Transaction::begin(db_);
  if (!txn) return fail(txn.error());
  auto existing = list_webhooks();
  if (!existing) return fail(existing.error());
  std::set<std::string> wanted;
  for (const WebhookRecord& r : records) wanted.insert(r.id);
  for (const WebhookRecord& old : *existing) {
    if (old.source != "config") {
      if (wanted.contains(old.id)) {
        return fail("conflict", "webhook '" + old.id +
                                    "' was created through the API; give the relay.toml one "
                                    "another name or remove the API one first");
      }
      continue;
    }
    if (wanted.contains(old.id)) continue;
    if (auto removed = remove_webhook(old.id); !removed) return removed;
  }
  for (const WebhookRecord& r : records) {
    auto stmt = db_.statement(
        "UPDATE webhooks SET url = ?, secret = ?, events = ?, ca_file = ?, enabled = ? "
        "WHERE id = ? AND source = 'config'");
    if (!stmt) return fail(stmt.error());
    (*stmt)
        ->bind(1, std::string_view(r.url))
        .bind(2, std::string_view(r.secret))
        .bind(3, std::string_view(join_list(r.events)))
        .bind(4, std::string_view(r.ca_file))
        .bind(5, r.enabled)
        .bind(6, std::string_view(r.id));
    if (auto done = (*stmt)->run(); !done) return done;
    if (db_.changes() == 0) {
      WebhookRecord fresh = r;
      fresh.source = "config";
      if (auto added = insert(fresh); !added) return added;
    }
  }
  return txn->commit();
}

Result<void> SqliteWebhookStore::remove_webhook(std::string_view id) {
  auto stmt = db_.statement("DELETE FROM webhooks WHERE id = ?");
  if (!stmt) return fail(stmt.error());
  (*stmt)->bind(1, id);
  if (auto done = (*stmt)->run(); !done) return done;
  if (db_.changes() == 0) return fail("not_found", "no webhook '" + std::string(id) + "'");
  return {};
}

Result<std::optional<WebhookRecord>> SqliteWebhookStore::find_webhook(std::string_view id) {
  static const std::string kSql = select_sql(kWebhookColumns, "FROM webhooks WHERE id = ?");
  auto stmt = db_.statement(kSql.c_str());
  if (!stmt) return fail(stmt.error());
  (*stmt)->bind(1, id);
  return first_row(*stmt, read_webhook);
}

Result<std::vector<WebhookRecord>> SqliteWebhookStore::list_webhooks() {
  static const std::string kSql = select_sql(kWebhookColumns, "FROM webhooks ORDER BY id");
  auto stmt = db_.statement(kSql.c_str());
  if (!stmt) return fail(stmt.error());
  return all_rows(*stmt, read_webhook);
}

Result<std::size_t> SqliteWebhookStore::enqueue(std::string_view event_id, std::string_view event,
                                                std::int64_t ticket_id,
                                                const std::function<std::string()>& payload,
                                                UnixMillis now, std::string_view only) {
  std::vector<std::string> targets;
  {
    // Events are identifiers without commas, so a match against ",a,b," is exact.
    auto stmt = db_.statement(
        "SELECT id FROM webhooks WHERE CASE WHEN ?2 != '' THEN id = ?2 ELSE enabled = 1 AND "
        "(events = '' OR instr(',' || events || ',', ',' || ?1 || ',') > 0) END ORDER BY id");
    if (!stmt) return fail(stmt.error());
    (*stmt)->bind(1, event).bind(2, only);
    auto ids = all_rows(
        *stmt, [](const Statement& row) -> Result<std::string> { return row.column_text(0); });
    if (!ids) return fail(ids.error());
    targets = std::move(*ids);
  }
  if (targets.empty()) return std::size_t{0};
  const std::string body = payload();
  for (const std::string& webhook : targets) {
    auto stmt = db_.statement(
        "INSERT INTO webhook_deliveries (webhook_id, event_id, event, ticket_id, payload, state, "
        "attempts, next_attempt_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, 'pending', 0, ?6, ?6)");
    if (!stmt) return fail(stmt.error());
    (*stmt)
        ->bind(1, std::string_view(webhook))
        .bind(2, event_id)
        .bind(3, event)
        .bind(4, ticket_id)
        .bind(5, std::string_view(body))
        .bind(6, now);
    if (auto done = (*stmt)->run(); !done) return fail(done.error());
  }
  return targets.size();
}

Result<std::optional<WebhookDelivery>> SqliteWebhookStore::next_pending(
    std::string_view webhook_id) {
  static const std::string kSql = select_sql(
      kDeliveryColumns,
      "FROM webhook_deliveries WHERE webhook_id = ? AND state = 'pending' ORDER BY id LIMIT 1");
  auto stmt = db_.statement(kSql.c_str());
  if (!stmt) return fail(stmt.error());
  (*stmt)->bind(1, webhook_id);
  return first_row(*stmt, read_delivery);
}

Result<void> SqliteWebhookStore::record_attempt(std::int64_t id, const AttemptOutcome& outcome) {
  auto stmt = db_.statement(
      "UPDATE webhook_deliveries SET state = ?, attempts = attempts + 1, next_attempt_at = ?, "
      "last_attempt_at = ?, last_status = ?, last_error = ? WHERE id = ?");
  if (!stmt) return fail(stmt.error());
  (*stmt)
      ->bind(1, std::string_view(to_string(outcome.state)))
      .bind(2, outcome.state == DeliveryState::kPending ? outcome.next_attempt_at : 0)
      .bind(3, outcome.at)
      .bind(4, std::int64_t{outcome.status})
      .bind(5, std::string_view(outcome.error))
      .bind(6, id);
  if (auto done = (*stmt)->run(); !done) return done;
  if (db_.changes() == 0) return fail("not_found", "no webhook delivery " + std::to_string(id));
  return {};
}

Result<std::size_t> SqliteWebhookStore::pending_deliveries(std::string_view webhook_id) {
  auto stmt = db_.statement(
      "SELECT count(*) FROM webhook_deliveries WHERE webhook_id = ? AND state = 'pending'");
  if (!stmt) return fail(stmt.error());
  (*stmt)->bind(1, webhook_id);
  auto count = first_row(
      *stmt, [](const Statement& row) -> Result<std::int64_t> { return row.column_int64(0); });
  if (!count) return fail(count.error());
  return static_cast<std::size_t>(count->value_or(0));
}

Result<std::vector<WebhookDelivery>> SqliteWebhookStore::recent_deliveries(
    std::string_view webhook_id, std::size_t limit) {
  static const std::string kSql = select_sql(
      kDeliveryColumns, "FROM webhook_deliveries WHERE webhook_id = ? ORDER BY id DESC LIMIT ?");
  auto stmt = db_.statement(kSql.c_str());
  if (!stmt) return fail(stmt.error());
  (*stmt)
      ->bind(1, webhook_id)
      .bind(2, static_cast<std::int64_t>(std::min<std::size_t>(limit, 10000)));
  return all_rows(*stmt, read_delivery);
}

Result<std::size_t> SqliteWebhookStore::purge_deliveries(UnixMillis before) {
  auto stmt = db_.statement(
      "DELETE FROM webhook_deliveries WHERE state != 'pending' AND last_attempt_at < ?");
  if (!stmt) return fail(stmt.error());
  (*stmt)->bind(1, before);
  if (auto done = (*stmt)->run(); !done) return fail(done.error());
  return static_cast<std::size_t>(db_.changes());
}

}  // namespace helpline::relay::sqlite
