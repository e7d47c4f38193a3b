// Bundles, minimal tickets and ticket attachments in SQLite. Empty text and
// zero ids are stored as NULL where a column references another table
// (NULLIF in the SQL), so "no device" and "no ticket" satisfy the foreign keys.
#include "server/store/sqlite_diag_store.h"

#include <limits>

#include "server/store/sqlite_rows.h"

namespace helpline::relay::sqlite {
namespace {

constexpr const char* kTicketColumns =
    "id, title, description, impact, urgency, priority, status, created_at, created_by, "
    "device_id";
constexpr const char* kBundleColumns =
    "id, device_id, collected_at, received_at, size, raw_size, sections, findings_json, "
    "requested_by, ticket_id";

[[nodiscard]] std::int64_t to_sql_size(std::uint64_t value) {
  return static_cast<std::int64_t>(
      std::min<std::uint64_t>(value, std::numeric_limits<std::int64_t>::max()));
}

[[nodiscard]] std::uint64_t from_sql_size(std::int64_t value) {
  return value < 0 ? 0 : static_cast<std::uint64_t>(value);
}

[[nodiscard]] Result<Ticket> read_ticket(const Statement& row) {
  Ticket ticket;
  ticket.id = row.column_int64(0);
  ticket.title = row.column_text(1);
  ticket.description = row.column_text(2);
  ticket.impact = static_cast<int>(row.column_int64(3));
  ticket.urgency = static_cast<int>(row.column_int64(4));
  ticket.priority = static_cast<int>(row.column_int64(5));
  ticket.status = row.column_text(6);
  ticket.created_at = row.column_int64(7);
  ticket.created_by = row.column_text(8);
  ticket.device_id = row.column_text(9);
  return ticket;
}

[[nodiscard]] Result<TicketAttachment> read_attachment(const Statement& row) {
  TicketAttachment attachment;
  attachment.ticket_id = row.column_int64(0);
  attachment.kind = row.column_text(1);
  attachment.ref = row.column_text(2);
  attachment.added_at = row.column_int64(3);
  attachment.added_by = row.column_text(4);
  attachment.name = row.column_text(5);
  attachment.size = from_sql_size(row.column_int64(6));
  attachment.content_type = row.column_text(7);
  return attachment;
}

[[nodiscard]] Result<BundleRecord> read_bundle(const Statement& row) {
  BundleRecord record;
  record.id = row.column_text(0);
  record.device_id = row.column_text(1);
  record.collected_at = row.column_int64(2);
  record.received_at = row.column_int64(3);
  record.size = from_sql_size(row.column_int64(4));
  record.raw_size = from_sql_size(row.column_int64(5));
  record.sections = split_list(row.column_text(6));
  record.findings_json = row.column_text(7);
  record.requested_by = row.column_text(8);
  record.ticket_id = row.column_int64(9);
  return record;
}

}  // namespace

Result<Ticket> SqliteDiagStore::create_ticket(Ticket ticket) {
  auto stmt = db_->statement(
      "INSERT INTO tickets (title, description, impact, urgency, priority, status, created_at, "
      "created_by, device_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULLIF(?, ''))");
  if (!stmt) return fail(stmt.error());
  (*stmt)
      ->bind(1, std::string_view(ticket.title))
      .bind(2, std::string_view(ticket.description))
      .bind(3, std::int64_t{ticket.impact})
      .bind(4, std::int64_t{ticket.urgency})
      .bind(5, std::int64_t{ticket.priority})
      .bind(6, std::string_view(ticket.status))
      .bind(7, ticket.created_at)
      .bind(8, std::string_view(ticket.created_by))
      .bind(9, std::string_view(ticket.device_id));
  if (auto done = (*stmt)->run(); !done) {
    if ((*stmt)->failed_on_foreign_key()) {
      return fail("not_found", "no device with id '" + ticket.device_id + "'");
    }
    return fail(done.error());
  }
  ticket.id = db_->last_insert_rowid();
  return ticket;
}

Result<std::optional<Ticket>> SqliteDiagStore::find_ticket(std::int64_t id) {
  static const std::string kSql = select_sql(kTicketColumns, "FROM tickets WHERE id = ?");
  auto stmt = db_->statement(kSql.c_str());
  if (!stmt) return fail(stmt.error());
  (*stmt)->bind(1, id);
  return first_row(*stmt, read_ticket);
}

Result<std::vector<TicketAttachment>> SqliteDiagStore::list_attachments(std::int64_t ticket_id) {
  auto stmt = db_->statement(
      "SELECT ticket_id, kind, ref, added_at, added_by, name, size, content_type FROM "
      "ticket_attachments "
      "WHERE ticket_id = ? ORDER BY added_at, rowid");
  if (!stmt) return fail(stmt.error());
  (*stmt)->bind(1, ticket_id);
  return all_rows(*stmt, read_attachment);
}

Result<BundleRecord> SqliteDiagStore::record_bundle(const BundleRecord& record) {
  auto txn = Transaction::begin(*db_);
  if (!txn) return fail(txn.error());
  {
    auto stmt = db_->statement(
        "INSERT INTO bundles (id, device_id, collected_at, received_at, size, raw_size, "
        "sections, findings_json, requested_by, ticket_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULLIF(?, 0)) ON CONFLICT (id) DO NOTHING");
    if (!stmt) return fail(stmt.error());
    (*stmt)
        ->bind(1, std::string_view(record.id))
        .bind(2, std::string_view(record.device_id))
        .bind(3, record.collected_at)
        .bind(4, record.received_at)
        .bind(5, to_sql_size(record.size))
        .bind(6, to_sql_size(record.raw_size))
        .bind(7, std::string_view(join_list(record.sections)))
        .bind(8, std::string_view(record.findings_json))
        .bind(9, std::string_view(record.requested_by))
        .bind(10, record.ticket_id);
    if (auto done = (*stmt)->run(); !done) {
      if ((*stmt)->failed_on_foreign_key()) {
        return fail("not_found", "no device '" + record.device_id + "' or ticket " +
                                     std::to_string(record.ticket_id) + " to record bundle " +
                                     record.id + " for");
      }
      return fail(done.error());
    }
  }
  if (record.ticket_id != 0) {
    auto stmt = db_->statement(
        "INSERT INTO ticket_attachments (ticket_id, kind, ref, added_at, added_by) "
        "VALUES (?, 'bundle', ?, ?, ?) ON CONFLICT DO NOTHING");
    if (!stmt) return fail(stmt.error());
    (*stmt)
        ->bind(1, record.ticket_id)
        .bind(2, std::string_view(record.id))
        .bind(3, record.received_at)
        .bind(4, std::string_view(record.requested_by));
    if (auto done = (*stmt)->run(); !done) {
      if ((*stmt)->failed_on_foreign_key()) {
        return fail("not_found", "no ticket " + std::to_string(record.ticket_id));
      }
      return fail(done.error());
    }
  }
  auto stored = find_bundle(record.id);
  if (!stored) return fail(stored.error());
  if (!*stored) return fail("store_error", "bundle " + record.id + " vanished while recorded");
  if (auto committed = txn->commit(); !committed) return fail(committed.error());
  return std::move(**stored);
}

Result<std::optional<BundleRecord>> SqliteDiagStore::find_bundle(std::string_view id) {
  static const std::string kSql = select_sql(kBundleColumns, "FROM bundles WHERE id = ?");
  auto stmt = db_->statement(kSql.c_str());
  if (!stmt) return fail(stmt.error());
  (*stmt)->bind(1, id);
  return first_row(*stmt, read_bundle);
}

Result<std::vector<BundleRecord>> SqliteDiagStore::list_bundles(const BundleFilter& filter) {
  static const std::string kSql = select_sql(
      kBundleColumns,
      "FROM bundles b WHERE (?1 = '' OR b.device_id = ?1) AND (?2 = 0 OR EXISTS ("
      "SELECT 1 FROM ticket_attachments a WHERE a.ticket_id = ?2 AND a.kind = 'bundle' AND "
      "a.ref = b.id)) ORDER BY b.received_at DESC, b.id LIMIT ?3");
  auto stmt = db_->statement(kSql.c_str());
  if (!stmt) return fail(stmt.error());
  (*stmt)
      ->bind(1, std::string_view(filter.device_id))
      .bind(2, filter.ticket_id)
      .bind(3, to_sql_size(filter.limit));
  return all_rows(*stmt, read_bundle);
}

}  // namespace helpline::relay::sqlite
