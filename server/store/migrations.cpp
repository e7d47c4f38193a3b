#include "server/store/migrations.h"

#include <array>
#include <cstdint>
#include <string>

#include "common/core/time_format.h"

namespace helpline::relay::sqlite {
namespace {

// "HLPN" in the SQLite header's application_id: marks the file as ours, so
// the relay never adds its tables to another program's database.
constexpr std::int64_t kApplicationId = 0x484C504E;

// Times are INTEGER unix milliseconds; 0 means "never" for expires_at,
// last_seen and revoked_at. Booleans are INTEGER 0/1.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE users (
  id            INTEGER PRIMARY KEY,
  name          TEXT NOT NULL UNIQUE,
  role          TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  created_at    INTEGER NOT NULL DEFAULT 0,
  disabled      INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE api_tokens (
  token_hash TEXT PRIMARY KEY,
  user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL DEFAULT 0,
  expires_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX api_tokens_user_id ON api_tokens(user_id);
CREATE INDEX api_tokens_expires_at ON api_tokens(expires_at);

CREATE TABLE enroll_tokens (
  id         TEXT PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  group_name TEXT NOT NULL DEFAULT 'default',
  uses       INTEGER NOT NULL DEFAULT 1 CHECK (uses >= 0),
  used       INTEGER NOT NULL DEFAULT 0 CHECK (used >= 0),
  created_at INTEGER NOT NULL DEFAULT 0,
  expires_at INTEGER NOT NULL DEFAULT 0,
  created_by TEXT NOT NULL DEFAULT '',
  revoked    INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE devices (
  id              TEXT PRIMARY KEY,
  hostname        TEXT NOT NULL DEFAULT '',
  platform        TEXT NOT NULL DEFAULT '',
  agent_version   TEXT NOT NULL DEFAULT '',
  os_release      TEXT NOT NULL DEFAULT '',
  group_name      TEXT NOT NULL DEFAULT 'default',
  enrolled_at     INTEGER NOT NULL DEFAULT 0,
  last_seen       INTEGER NOT NULL DEFAULT 0,
  revoked         INTEGER NOT NULL DEFAULT 0,
  revoked_at      INTEGER NOT NULL DEFAULT 0,
  cert_serial     TEXT NOT NULL DEFAULT '',
  enroll_token_id TEXT NOT NULL DEFAULT ''
);
CREATE INDEX devices_group_name ON devices(group_name);
CREATE INDEX devices_cert_serial ON devices(cert_serial);

CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
)sql";

// Diagnostics received from agents (the encoded bytes live in the blob
// store under the same id) and the minimal ticket tables they attach to;
// the tickets issue extends these. `sections` is the requested list joined
// with commas ('' = all); findings_json is a JSON array of findings.
constexpr const char* kSchemaV2 = R"sql(
CREATE TABLE tickets (
  id          INTEGER PRIMARY KEY,
  title       TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  impact      INTEGER NOT NULL CHECK (impact BETWEEN 1 AND 5),
  urgency     INTEGER NOT NULL CHECK (urgency BETWEEN 1 AND 5),
  priority    INTEGER NOT NULL CHECK (priority BETWEEN 1 AND 6),
  status      TEXT NOT NULL DEFAULT 'new',
  created_at  INTEGER NOT NULL DEFAULT 0,
  created_by  TEXT NOT NULL DEFAULT '',
  device_id   TEXT NULL REFERENCES devices(id)
);
CREATE INDEX tickets_device_id ON tickets(device_id);

CREATE TABLE bundles (
  id            TEXT PRIMARY KEY,
  device_id     TEXT NOT NULL REFERENCES devices(id),
  collected_at  INTEGER NOT NULL DEFAULT 0,
  received_at   INTEGER NOT NULL DEFAULT 0,
  size          INTEGER NOT NULL DEFAULT 0 CHECK (size >= 0),
  raw_size      INTEGER NOT NULL DEFAULT 0 CHECK (raw_size >= 0),
  sections      TEXT NOT NULL DEFAULT '',
  findings_json TEXT NOT NULL DEFAULT '[]',
  requested_by  TEXT NOT NULL DEFAULT '',
  ticket_id     INTEGER NULL REFERENCES tickets(id)
);
CREATE INDEX bundles_device_received ON bundles(device_id, received_at);
CREATE INDEX bundles_ticket_id ON bundles(ticket_id);

CREATE TABLE ticket_attachments (
  ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
  kind      TEXT NOT NULL,
  ref       TEXT NOT NULL,
  added_at  INTEGER NOT NULL DEFAULT 0,
  added_by  TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (ticket_id, kind, ref)
);
CREATE INDEX ticket_attachments_ref ON ticket_attachments(kind, ref);
)sql";

// The full helpdesk ticket (server/tickets/ticket.h). The v2 table gains
// its columns, so v2 rows keep their id, title, impact, urgency, priority,
// status and device; they read back as API-channel tickets without SLA
// deadlines. Derived columns for the store's own queries: is_open
// (not resolved or closed), queue_due (the next SLA deadline, or the
// largest integer when there is none, so it sorts last) and next_check_at
// (when the escalation sweep must look again; 0: never). finding_ids is the
// rule ids joined with commas (identifiers have none). History, the
// conversation, fired escalations and idempotency keys are tables of their
// own; attachments keep the v2 table.
constexpr const char* kSchemaV3 = R"sql(
ALTER TABLE tickets ADD COLUMN requester TEXT NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN channel TEXT NOT NULL DEFAULT 'api';
ALTER TABLE tickets ADD COLUMN category TEXT NOT NULL DEFAULT 'other';
ALTER TABLE tickets ADD COLUMN type TEXT NOT NULL DEFAULT 'incident';
ALTER TABLE tickets ADD COLUMN priority_overridden INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN level TEXT NOT NULL DEFAULT 'L1';
ALTER TABLE tickets ADD COLUMN assignee TEXT NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN group_name TEXT NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN pending_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN started TEXT NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN started_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN frequency TEXT NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN affected TEXT NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN symptoms TEXT NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN business_impact TEXT NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN finding_ids TEXT NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN solution TEXT NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN first_response_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN resolved_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN closed_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN sla_start INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN sla_first_response_target INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN sla_resolve_target INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN first_response_due INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN resolve_due INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN sla_paused_since INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN sla_paused_total INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN rating INTEGER NOT NULL DEFAULT 0 CHECK (rating BETWEEN 0 AND 5);
ALTER TABLE tickets ADD COLUMN rating_comment TEXT NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN rated_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN reopen_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN is_open INTEGER NOT NULL DEFAULT 1;
ALTER TABLE tickets ADD COLUMN queue_due INTEGER NOT NULL DEFAULT 9223372036854775807;
ALTER TABLE tickets ADD COLUMN next_check_at INTEGER NOT NULL DEFAULT 0;

UPDATE tickets SET requester = created_by, updated_at = created_at, sla_start = created_at,
  is_open = CASE WHEN status IN ('resolved', 'closed') THEN 0 ELSE 1 END;

DROP INDEX tickets_device_id;
CREATE INDEX tickets_queue ON tickets(is_open, priority DESC, queue_due, id);
CREATE INDEX tickets_status_queue ON tickets(status, priority DESC, queue_due, id);
CREATE INDEX tickets_assignee_queue ON tickets(assignee, priority DESC, queue_due, id);
CREATE INDEX tickets_device_queue ON tickets(device_id, priority DESC, queue_due, id);
CREATE INDEX tickets_created_at ON tickets(created_at);
CREATE INDEX tickets_next_check ON tickets(next_check_at) WHERE next_check_at > 0;

CREATE TABLE ticket_history (
  id         INTEGER PRIMARY KEY,
  ticket_id  INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
  field      TEXT NOT NULL,
  old_value  TEXT NOT NULL DEFAULT '',
  new_value  TEXT NOT NULL DEFAULT '',
  actor_kind TEXT NOT NULL,
  actor_name TEXT NOT NULL DEFAULT '',
  actor_level TEXT NOT NULL DEFAULT 'L1',
  at         INTEGER NOT NULL DEFAULT 0,
  reason     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ticket_history_ticket ON ticket_history(ticket_id, id);

CREATE TABLE ticket_messages (
  id          INTEGER PRIMARY KEY,
  ticket_id   INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
  internal    INTEGER NOT NULL DEFAULT 0,
  author      TEXT NOT NULL DEFAULT '',
  author_kind TEXT NOT NULL,
  body        TEXT NOT NULL,
  at          INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX ticket_messages_ticket ON ticket_messages(ticket_id, id);

CREATE TABLE ticket_escalations (
  ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
  rule_id   TEXT NOT NULL,
  fired_at  INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (ticket_id, rule_id)
);

CREATE TABLE ticket_idempotency (
  source     TEXT NOT NULL,
  key        TEXT NOT NULL,
  ticket_id  INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (source, key)
);
)sql";

// A device whose agent was uninstalled (package purge: `helpline-agent
// retire`) is retired: revoked, and marked so that it reads as gone rather
// than compromised.
constexpr const char* kSchemaV4 = R"sql(
ALTER TABLE devices ADD COLUMN retired_at INTEGER NOT NULL DEFAULT 0;
)sql";

// The helpdesk's knowledge base, file attachments and webhooks.
// kb_articles: `n` is the row number the FTS5 index (kb_search, an
// external-content table over title and body, kept in step by the
// triggers) points at; `id` is the public id ("KB-0042"). Links from an
// article to finding rules and catalog actions are rows of
// kb_article_links(kind 'finding' or 'action'). ticket_kb_links: articles a
// technician linked to a ticket. Attachments gain the file name, size and
// media type. webhooks: targets (source 'config' ones mirror relay.toml);
// webhook_deliveries: the durable queue, one row per event and webhook, its
// id the order events happened in; state 'pending', 'delivered', 'failed'.
// The escalation sweep now also closes resolved tickets after the reopen
// window: resolved ones get a next check so it looks at them once. The
// device index leaves out tickets without a device (phone, e-mail, API):
// one index page less to write per such ticket; `device_id = ?` implies
// NOT NULL, so queries by device still use it.
constexpr const char* kSchemaV5 = R"sql(
CREATE TABLE kb_articles (
  n          INTEGER PRIMARY KEY,
  id         TEXT NOT NULL UNIQUE,
  title      TEXT NOT NULL,
  body       TEXT NOT NULL DEFAULT '',
  category   TEXT NOT NULL DEFAULT 'other',
  audience   TEXT NOT NULL DEFAULT 'internal',
  version    INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL DEFAULT 0,
  created_by TEXT NOT NULL DEFAULT '',
  updated_at INTEGER NOT NULL DEFAULT 0,
  updated_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX kb_articles_category ON kb_articles(category, id);

CREATE TABLE kb_article_links (
  article INTEGER NOT NULL REFERENCES kb_articles(n) ON DELETE CASCADE,
  kind    TEXT NOT NULL CHECK (kind IN ('finding', 'action')),
  target  TEXT NOT NULL,
  PRIMARY KEY (article, kind, target)
);
CREATE INDEX kb_article_links_target ON kb_article_links(kind, target);

CREATE VIRTUAL TABLE kb_search USING fts5(
  title, body, content = 'kb_articles', content_rowid = 'n',
  tokenize = 'porter unicode61 remove_diacritics 2');
CREATE TRIGGER kb_articles_insert AFTER INSERT ON kb_articles BEGIN
  INSERT INTO kb_search (rowid, title, body) VALUES (new.n, new.title, new.body);
END;
CREATE TRIGGER kb_articles_delete AFTER DELETE ON kb_articles BEGIN
  INSERT INTO kb_search (kb_search, rowid, title, body) VALUES ('delete', old.n, old.title, old.body);
END;
CREATE TRIGGER kb_articles_update AFTER UPDATE OF title, body ON kb_articles BEGIN
  INSERT INTO kb_search (kb_search, rowid, title, body) VALUES ('delete', old.n, old.title, old.body);
  INSERT INTO kb_search (rowid, title, body) VALUES (new.n, new.title, new.body);
END;

CREATE TABLE ticket_kb_links (
  ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
  article   INTEGER NOT NULL REFERENCES kb_articles(n) ON DELETE CASCADE,
  linked_at INTEGER NOT NULL DEFAULT 0,
  linked_by TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (ticket_id, article)
);
CREATE INDEX ticket_kb_links_article ON ticket_kb_links(article);

ALTER TABLE ticket_attachments ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE ticket_attachments ADD COLUMN size INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ticket_attachments ADD COLUMN content_type TEXT NOT NULL DEFAULT '';

CREATE TABLE webhooks (
  id         TEXT PRIMARY KEY,
  url        TEXT NOT NULL,
  secret     TEXT NOT NULL,
  events     TEXT NOT NULL DEFAULT '',
  ca_file    TEXT NOT NULL DEFAULT '',
  source     TEXT NOT NULL DEFAULT 'api' CHECK (source IN ('api', 'config')),
  enabled    INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL DEFAULT 0,
  created_by TEXT NOT NULL DEFAULT ''
);

CREATE TABLE webhook_deliveries (
  id              INTEGER PRIMARY KEY,
  webhook_id      TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  event_id        TEXT NOT NULL,
  event           TEXT NOT NULL,
  ticket_id       INTEGER NOT NULL DEFAULT 0,
  payload         TEXT NOT NULL,
  state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL DEFAULT 0,
  created_at      INTEGER NOT NULL DEFAULT 0,
  last_attempt_at INTEGER NOT NULL DEFAULT 0,
  last_status     INTEGER NOT NULL DEFAULT 0,
  last_error      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries(webhook_id, id) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries(webhook_id, id);
CREATE INDEX webhook_deliveries_finished ON webhook_deliveries(last_attempt_at) WHERE state != 'pending';

UPDATE tickets SET next_check_at = resolved_at + 1 WHERE status = 'resolved' AND resolved_at > 0;

DROP INDEX tickets_device_queue;
CREATE INDEX tickets_device_queue ON tickets(device_id, priority DESC, queue_due, id)
  WHERE device_id IS NOT NULL;
)sql";

constexpr std::array kMigrations{
    Migration{1, "users, api tokens, enrollment tokens, devices, settings", kSchemaV1},
    Migration{2, "diagnostic bundles, minimal tickets and their attachments", kSchemaV2},
    Migration{3, "full helpdesk tickets: history, conversation, escalations, idempotency",
              kSchemaV3},
    Migration{4, "devices retired by their own uninstall", kSchemaV4},
    Migration{5, "knowledge base, file attachments, webhooks and their delivery queue", kSchemaV5},
};

constexpr bool versions_are_consecutive(std::span<const Migration> list) {
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (list[i].version != static_cast<int>(i) + 1) return false;
  }
  return !list.empty();
}
static_assert(versions_are_consecutive(kMigrations),
              "migration versions must be 1, 2, 3, ... in order");

constexpr const char* kCreateMigrationsTable = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version     INTEGER PRIMARY KEY,
  description TEXT NOT NULL,
  applied_at  INTEGER NOT NULL
))sql";

[[nodiscard]] Result<std::int64_t> read_application_id(Db& db) {
  auto stmt = db.statement("PRAGMA application_id");
  if (!stmt) return fail(stmt.error());
  auto row = (*stmt)->step();
  if (!row) return fail("store_error", db.path().string() + ": " + row.error().message);
  return *row ? (*stmt)->column_int64(0) : 0;
}

// Refuses another program's database and marks a new file as ours.
[[nodiscard]] Result<void> claim_file(Db& db) {
  auto id = read_application_id(db);
  if (!id) return fail(id.error());
  if (*id == kApplicationId) return {};
  if (*id != 0) {
    return fail("store_error", db.path().string() +
                                   " belongs to another program (SQLite application_id " +
                                   std::to_string(*id) + "); choose another data directory");
  }
  // A constant, not a value: PRAGMA takes no bound parameters.
  static const std::string kMark = "PRAGMA application_id = " + std::to_string(kApplicationId);
  return db.exec(kMark.c_str());
}

[[nodiscard]] Error newer_than_code(const Db& db, int found, int latest) {
  return Error{"store_version", db.path().string() + " has schema version " +
                                    std::to_string(found) + " but this relay knows only up to " +
                                    std::to_string(latest) +
                                    ": it was written by a newer Helpline; upgrade helpline-relay"};
}

[[nodiscard]] Result<void> apply(Db& db, const Migration& migration, int latest) {
  auto txn = Transaction::begin(db);
  if (!txn) return fail(txn.error());
  // Another process may have migrated between our first look and the lock.
  auto current = schema_version(db);
  if (!current) return fail(current.error());
  if (*current > latest) return fail(newer_than_code(db, *current, latest));
  if (*current >= migration.version) return {};  // the transaction rolls back: nothing to do

  if (auto done = db.exec(migration.sql); !done) {
    return fail("store_error", "schema migration " + std::to_string(migration.version) + " (" +
                                   migration.description + ") failed: " + done.error().message);
  }
  auto record = db.statement(
      "INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)");
  if (!record) return fail(record.error());
  (*record)
      ->bind(1, std::int64_t{migration.version})
      .bind(2, std::string_view(migration.description))
      .bind(3, unix_now_ms());
  if (auto recorded = (*record)->run(); !recorded) return recorded;
  return txn->commit();
}

}  // namespace

std::span<const Migration> migrations() { return kMigrations; }

int latest_schema_version() { return kMigrations.back().version; }

Result<int> schema_version(Db& db) {
  auto stmt = db.statement("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  if (!stmt) return fail(stmt.error());
  auto row = (*stmt)->step();
  if (!row) return fail("store_error", db.path().string() + ": " + row.error().message);
  if (!*row) return 0;
  std::int64_t version = (*stmt)->column_int64(0);
  if (version < 0 || version > 1'000'000) {
    return fail("store_error", db.path().string() +
                                   ": schema_migrations holds an impossible version " +
                                   std::to_string(version));
  }
  return static_cast<int>(version);
}

Result<void> migrate(Db& db, std::span<const Migration> list) {
  if (!versions_are_consecutive(list)) {
    return fail("store_error", "internal error: schema migrations are not numbered 1, 2, 3, ...");
  }
  const int latest = list.back().version;
  if (auto ours = claim_file(db); !ours) return ours;
  if (auto made = db.exec(kCreateMigrationsTable); !made) return made;
  auto current = schema_version(db);
  if (!current) return fail(current.error());
  if (*current > latest) return fail(newer_than_code(db, *current, latest));
  for (const Migration& migration : list) {
    if (migration.version <= *current) continue;
    if (auto applied = apply(db, migration, latest); !applied) return applied;
  }
  return {};
}

}  // namespace helpline::relay::sqlite
