// Full tickets in SQLite (schema v3). Queries are assembled from constant
// fragments only (which filters are present), never from values: every
// value is a bound parameter, and each shape is prepared once and cached.
#include "server/store/sqlite_ticket_store.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>

#include "server/store/sqlite_rows.h"
#include "server/store/sqlite_ticket_rows.h"

namespace helpline::relay::sqlite {
namespace {

using tickets::Ticket;

[[nodiscard]] std::int64_t to_sql_count(std::size_t value) {
  return static_cast<std::int64_t>(std::min<std::size_t>(value, 1'000'000'000));
}

[[nodiscard]] Result<TicketMessage> read_message(const Statement& row) {
  TicketMessage m;
  m.id = row.column_int64(0);
  m.ticket_id = row.column_int64(1);
  m.internal = row.column_bool(2);
  m.author = row.column_text(3);
  auto kind = parse_actor_kind(row.column_text(4));
  if (!kind)
    return fail("store_error", "message " + std::to_string(m.id) + ": " + kind.error().message);
  m.author_kind = *kind;
  m.body = row.column_text(5);
  m.at = row.column_int64(6);
  return m;
}

[[nodiscard]] Result<tickets::HistoryEntry> read_history(const Statement& row) {
  tickets::HistoryEntry h;
  h.field = row.column_text(0);
  h.old_value = row.column_text(1);
  h.new_value = row.column_text(2);
  auto kind = parse_actor_kind(row.column_text(3));
  if (!kind) return fail("store_error", "history entry: " + kind.error().message);
  h.actor.kind = *kind;
  h.actor.name = row.column_text(4);
  auto level = tickets::parse_level(row.column_text(5));
  if (!level) return fail("store_error", "history entry: " + level.error().message);
  h.actor.level = *level;
  h.at = row.column_int64(6);
  h.reason = row.column_text(7);
  return h;
}

[[nodiscard]] Result<std::int64_t> read_id(const Statement& row) { return row.column_int64(0); }

[[nodiscard]] std::string insert_sql() {
  std::string values;
  for (int i = 0; i < kWritableTicketColumnCount + 4; ++i) values += i == 0 ? "?" : ", ?";
  // device_id is NULL when empty so that "no device" satisfies the foreign key.
  std::string sql = std::string("INSERT INTO tickets (") + kWritableTicketColumns +
                    ", is_open, queue_due, next_check_at, created_by) VALUES (" + values + ")";
  auto device = sql.find("?", sql.find("VALUES"));
  for (int skip = 0; skip < 3; ++skip) device = sql.find("?", device + 1);
  sql.replace(device, 1, "NULLIF(?, '')");
  return sql;
}

[[nodiscard]] std::string update_sql() {
  std::string sql = "UPDATE tickets SET ";
  std::string columns = kWritableTicketColumns;
  std::size_t start = 0;
  bool first = true;
  while (start < columns.size()) {
    auto comma = columns.find(',', start);
    if (comma == std::string::npos) comma = columns.size();
    std::string name = columns.substr(start, comma - start);
    while (!name.empty() && name.front() == ' ') name.erase(0, 1);
    sql += (first ? "" : ", ") + name + (name == "device_id" ? " = NULLIF(?, '')" : " = ?");
    first = false;
    start = comma + 1;
  }
  return sql + ", is_open = ?, queue_due = ?, next_check_at = ? WHERE id = ?";
}

// Binds the derived columns after the ticket's own.
void bind_derived(Statement& stmt, int first, const TicketWrite& write) {
  stmt.bind(first, !tickets::is_finished(write.ticket.status))
      .bind(first + 1, queue_due(write.ticket))
      .bind(first + 2, write.next_check_at);
}

[[nodiscard]] Error device_not_found(const Ticket& ticket) {
  return Error{"not_found",
               "requester.device_id: no device with id '" + ticket.requester.device_id + "'"};
}

}  // namespace

Result<std::int64_t> SqliteTicketStore::write_row(const TicketWrite& write) {
  const Ticket& t = write.ticket;
  if (t.id == 0) {
    static const std::string kInsert = insert_sql();
    auto stmt = db_.statement(kInsert.c_str());
    if (!stmt) return fail(stmt.error());
    bind_ticket(**stmt, 1, t);
    bind_derived(**stmt, kWritableTicketColumnCount + 1, write);
    (*stmt)->bind(kWritableTicketColumnCount + 4, std::string_view(write.created_by));
    if (auto done = (*stmt)->run(); !done) {
      if ((*stmt)->failed_on_foreign_key()) return fail(device_not_found(t));
      return fail(done.error());
    }
    return db_.last_insert_rowid();
  }
  static const std::string kUpdate = update_sql();
  auto stmt = db_.statement(kUpdate.c_str());
  if (!stmt) return fail(stmt.error());
  bind_ticket(**stmt, 1, t);
  bind_derived(**stmt, kWritableTicketColumnCount + 1, write);
  (*stmt)->bind(kWritableTicketColumnCount + 4, t.id);
  if (auto done = (*stmt)->run(); !done) {
    if ((*stmt)->failed_on_foreign_key()) return fail(device_not_found(t));
    return fail(done.error());
  }
  if (db_.changes() == 0) return fail("not_found", "no ticket " + t.display_id());
  return t.id;
}

Result<void> SqliteTicketStore::write_children(std::int64_t id, const TicketWrite& write,
                                               const std::vector<TicketMessage>& extra) {
  for (const tickets::HistoryEntry& h : write.history) {
    auto stmt = db_.statement(
        "INSERT INTO ticket_history (ticket_id, field, old_value, new_value, actor_kind, "
        "actor_name, actor_level, at, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!stmt) return fail(stmt.error());
    (*stmt)
        ->bind(1, id)
        .bind(2, std::string_view(h.field))
        .bind(3, std::string_view(h.old_value))
        .bind(4, std::string_view(h.new_value))
        .bind(5, std::string_view(tickets::to_string(h.actor.kind)))
        .bind(6, std::string_view(h.actor.name))
        .bind(7, std::string_view(tickets::to_string(h.actor.level)))
        .bind(8, h.at)
        .bind(9, std::string_view(h.reason));
    if (auto done = (*stmt)->run(); !done) return done;
  }
  for (const auto* list : {&extra, &write.messages}) {
    for (const TicketMessage& m : *list) {
      auto stmt = db_.statement(
          "INSERT INTO ticket_messages (ticket_id, internal, author, author_kind, body, at) "
          "VALUES (?, ?, ?, ?, ?, ?)");
      if (!stmt) return fail(stmt.error());
      (*stmt)
          ->bind(1, id)
          .bind(2, m.internal)
          .bind(3, std::string_view(m.author))
          .bind(4, std::string_view(tickets::to_string(m.author_kind)))
          .bind(5, std::string_view(m.body))
          .bind(6, m.at);
      if (auto done = (*stmt)->run(); !done) return done;
    }
  }
  for (const AttachmentDraft& a : write.attachments) {
    if (!is_attachment_kind(a.kind)) {
      return fail("bad_value", "attachment kind '" + a.kind +
                                   "' is not one of bundle, action_result, recording, file");
    }
    auto stmt = db_.statement(
        "INSERT INTO ticket_attachments (ticket_id, kind, ref, added_at, added_by, name, size, "
        "content_type) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING");
    if (!stmt) return fail(stmt.error());
    (*stmt)
        ->bind(1, id)
        .bind(2, std::string_view(a.kind))
        .bind(3, std::string_view(a.ref))
        .bind(4, a.added_at)
        .bind(5, std::string_view(a.added_by))
        .bind(6, std::string_view(a.name))
        .bind(7, static_cast<std::int64_t>(std::min<std::uint64_t>(a.size, INT64_MAX)))
        .bind(8, std::string_view(a.content_type));
    if (auto done = (*stmt)->run(); !done) return done;
  }
  for (const std::string& rule : write.fired) {
    auto stmt = db_.statement(
        "INSERT INTO ticket_escalations (ticket_id, rule_id, fired_at) VALUES (?, ?, ?) "
        "ON CONFLICT DO NOTHING");
    if (!stmt) return fail(stmt.error());
    (*stmt)->bind(1, id).bind(2, std::string_view(rule)).bind(3, write.ticket.updated_at);
    if (auto done = (*stmt)->run(); !done) return done;
  }
  if (write.idempotency) {
    auto stmt = db_.statement(
        "INSERT INTO ticket_idempotency (source, key, ticket_id, created_at) VALUES (?, ?, ?, ?)");
    if (!stmt) return fail(stmt.error());
    (*stmt)
        ->bind(1, std::string_view(write.idempotency->source))
        .bind(2, std::string_view(write.idempotency->key))
        .bind(3, id)
        .bind(4, write.ticket.updated_at);
    if (auto done = (*stmt)->run(); !done) {
      if ((*stmt)->failed_on_unique()) {
        return fail("conflict", "idempotency key '" + write.idempotency->key +
                                    "' was already used for another change");
      }
      return done;
    }
  }
  return {};
}

Result<Ticket> SqliteTicketStore::save(TicketWrite write) {
  auto txn = Transaction::begin(db_);
  if (!txn) return fail(txn.error());
  auto id = write_row(write);
  if (!id) return fail(id.error());
  write.ticket.id = *id;
  std::vector<TicketMessage> extra;
  if (write.messages_for_new && write.ticket.id != 0) extra = write.messages_for_new(write.ticket);
  if (auto children = write_children(*id, write, extra); !children) return fail(children.error());
  if (write.in_transaction) {
    if (auto more = write.in_transaction(write.ticket); !more) return fail(more.error());
  }
  if (auto committed = txn->commit(); !committed) return fail(committed.error());
  return std::move(write.ticket);
}

Result<std::optional<Ticket>> SqliteTicketStore::load(std::int64_t id) {
  static const std::string kSql = select_sql(kFullTicketColumns, "FROM tickets WHERE id = ?");
  auto stmt = db_.statement(kSql.c_str());
  if (!stmt) return fail(stmt.error());
  (*stmt)->bind(1, id);
  return first_row(*stmt, read_full_ticket);
}

Result<std::optional<std::int64_t>> SqliteTicketStore::find_idempotent(const IdempotencyKey& key) {
  auto stmt =
      db_.statement("SELECT ticket_id FROM ticket_idempotency WHERE source = ? AND key = ?");
  if (!stmt) return fail(stmt.error());
  (*stmt)->bind(1, std::string_view(key.source)).bind(2, std::string_view(key.key));
  return first_row(*stmt, read_id);
}

Result<tickets::FiredSet> SqliteTicketStore::fired(std::int64_t id) {
  auto stmt = db_.statement("SELECT rule_id FROM ticket_escalations WHERE ticket_id = ?");
  if (!stmt) return fail(stmt.error());
  (*stmt)->bind(1, id);
  auto rows = all_rows(
      *stmt, [](const Statement& row) -> Result<std::string> { return row.column_text(0); });
  if (!rows) return fail(rows.error());
  return tickets::FiredSet(rows->begin(), rows->end());
}

Result<std::vector<TicketMessage>> SqliteTicketStore::messages(std::int64_t id,
                                                               bool include_internal) {
  auto stmt = db_.statement(
      "SELECT id, ticket_id, internal, author, author_kind, body, at FROM ticket_messages "
      "WHERE ticket_id = ?1 AND (?2 OR internal = 0) ORDER BY id");
  if (!stmt) return fail(stmt.error());
  (*stmt)->bind(1, id).bind(2, include_internal);
  return all_rows(*stmt, read_message);
}

Result<std::vector<tickets::HistoryEntry>> SqliteTicketStore::history(std::int64_t id) {
  auto stmt = db_.statement(
      "SELECT field, old_value, new_value, actor_kind, actor_name, actor_level, at, reason "
      "FROM ticket_history WHERE ticket_id = ? ORDER BY id");
  if (!stmt) return fail(stmt.error());
  (*stmt)->bind(1, id);
  return all_rows(*stmt, read_history);
}

Result<TicketPage> SqliteTicketStore::query(const TicketQuery& q) {
  if (q.limit < 1 || q.limit > TicketQuery::kMaxLimit) {
    return fail("bad_value", "limit: must be 1.." + std::to_string(TicketQuery::kMaxLimit));
  }
  std::string where;
  auto add = [&where](const char* clause) {
    where += (where.empty() ? " WHERE " : " AND ") + std::string(clause);
  };
  if (q.statuses.empty()) {
    add("is_open = 1");
  } else {
    std::string in = "status IN (";
    for (std::size_t i = 0; i < q.statuses.size(); ++i) in += i == 0 ? "?" : ", ?";
    add((in + ")").c_str());
  }
  if (q.priority) add("priority = ?");
  if (q.assignee) add("assignee = ?");
  if (q.device_id) add("device_id = ?");
  // sla_state() of server/tickets, in SQL.
  if (q.breaching) {
    add("((first_response_due != 0 AND (CASE WHEN first_response_at != 0 THEN first_response_at "
        "ELSE ? END) > first_response_due) OR (resolve_due != 0 AND (CASE WHEN sla_paused_since "
        "!= 0 THEN sla_paused_since ELSE ? END) > resolve_due))");
  }
  if (q.after) {
    add("(priority < ? OR (priority = ? AND (queue_due > ? OR (queue_due = ? AND id > ?))))");
  }
  std::string sql = std::string("SELECT ") + kFullTicketColumns + ", queue_due FROM tickets" +
                    where + " ORDER BY priority DESC, queue_due ASC, id ASC LIMIT ?";
  auto stmt = db_.statement(sql.c_str());
  if (!stmt) return fail(stmt.error());
  int i = 1;
  for (tickets::Status s : q.statuses) (*stmt)->bind(i++, std::string_view(tickets::to_string(s)));
  if (q.priority) (*stmt)->bind(i++, std::int64_t{tickets::to_int(*q.priority)});
  if (q.assignee) (*stmt)->bind(i++, std::string_view(*q.assignee));
  if (q.device_id) (*stmt)->bind(i++, std::string_view(*q.device_id));
  if (q.breaching) {
    (*stmt)->bind(i, q.now).bind(i + 1, q.now);
    i += 2;
  }
  if (q.after) {
    (*stmt)
        ->bind(i, std::int64_t{q.after->priority})
        .bind(i + 1, std::int64_t{q.after->priority})
        .bind(i + 2, q.after->queue_due)
        .bind(i + 3, q.after->queue_due)
        .bind(i + 4, q.after->id);
    i += 5;
  }
  (*stmt)->bind(i, to_sql_count(q.limit + 1));
  TicketPage page;
  std::int64_t last_due = 0;
  for (;;) {
    auto row = (*stmt)->step();
    if (!row) return fail(row.error());
    if (!*row) break;
    if (page.tickets.size() == q.limit) {
      const Ticket& last = page.tickets.back();
      page.next = TicketCursor{tickets::to_int(last.priority), last_due, last.id};
      break;
    }
    auto ticket = read_full_ticket(**stmt);
    if (!ticket) return fail(ticket.error());
    last_due = (*stmt)->column_int64(41);
    page.tickets.push_back(std::move(*ticket));
  }
  return page;
}

Result<std::vector<Ticket>> SqliteTicketStore::device_tickets(std::string_view device_id,
                                                              bool include_closed,
                                                              std::size_t limit) {
  static const std::string kSql = select_sql(
      kFullTicketColumns,
      "FROM tickets WHERE device_id = ?1 AND (?2 OR status != 'closed') ORDER BY created_at "
      "DESC, id DESC LIMIT ?3");
  auto stmt = db_.statement(kSql.c_str());
  if (!stmt) return fail(stmt.error());
  (*stmt)->bind(1, device_id).bind(2, include_closed).bind(3, to_sql_count(limit));
  return all_rows(*stmt, read_full_ticket);
}

Result<std::vector<Ticket>> SqliteTicketStore::created_between(UnixMillis from, UnixMillis to,
                                                               std::size_t limit) {
  static const std::string kSql = select_sql(
      kFullTicketColumns,
      "FROM tickets WHERE created_at >= ?1 AND (?2 = 0 OR created_at < ?2) ORDER BY created_at, "
      "id LIMIT ?3");
  auto stmt = db_.statement(kSql.c_str());
  if (!stmt) return fail(stmt.error());
  (*stmt)->bind(1, from).bind(2, to).bind(3, to_sql_count(limit));
  return all_rows(*stmt, read_full_ticket);
}

Result<std::vector<std::int64_t>> SqliteTicketStore::due_checks(UnixMillis now, std::size_t limit) {
  auto stmt = db_.statement(
      "SELECT id FROM tickets WHERE next_check_at > 0 AND next_check_at <= ? "
      "ORDER BY next_check_at, id LIMIT ?");
  if (!stmt) return fail(stmt.error());
  (*stmt)->bind(1, now).bind(2, to_sql_count(limit));
  return all_rows(*stmt, read_id);
}

}  // namespace helpline::relay::sqlite
