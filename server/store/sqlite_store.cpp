// The embedded SQLite implementation of Store.
//
// Every value is a bound parameter. Statements come from the Db's cache, so
// the hot paths (touch_devices on heartbeat batches, user_for_api_token on
// every API request) compile their SQL once per connection.
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "server/store/migrations.h"
#include "server/store/sqlite_db.h"
#include "server/store/sqlite_diag_store.h"
#include "server/store/sqlite_rows.h"
#include "server/store/store.h"

namespace helpline::relay {
namespace {

using sqlite::all_rows;
using sqlite::CachedStatement;
using sqlite::Db;
using sqlite::first_row;
using sqlite::select_sql;
using sqlite::Statement;
using sqlite::Transaction;

constexpr int kBusyTimeoutMs = 5000;

// Column lists, in the order the row readers below expect them.
constexpr const char* kUserColumns = "id, name, role, password_hash, created_at, disabled";
constexpr const char* kEnrollTokenColumns =
    "id, token_hash, group_name, uses, used, created_at, expires_at, created_by, revoked";
constexpr const char* kDeviceColumns =
    "id, hostname, platform, agent_version, os_release, group_name, enrolled_at, last_seen, "
    "revoked, revoked_at, cert_serial, enroll_token_id, retired_at";

[[nodiscard]] std::uint32_t to_count(std::int64_t value) {
  return static_cast<std::uint32_t>(
      std::clamp<std::int64_t>(value, 0, std::numeric_limits<std::uint32_t>::max()));
}

[[nodiscard]] Result<User> read_user(const Statement& row) {
  User user;
  user.id = row.column_int64(0);
  user.name = row.column_text(1);
  std::string role_name = row.column_text(2);
  auto role = parse_role(role_name);
  if (!role) {
    return fail("store_error",
                "user '" + user.name + "' has an unknown role '" + role_name + "' in the database");
  }
  user.role = *role;
  user.password_hash = row.column_text(3);
  user.created_at = row.column_int64(4);
  user.disabled = row.column_bool(5);
  return user;
}

[[nodiscard]] Result<EnrollToken> read_enroll_token(const Statement& row) {
  EnrollToken token;
  token.id = row.column_text(0);
  token.token_hash = row.column_text(1);
  token.group = row.column_text(2);
  token.uses = to_count(row.column_int64(3));
  token.used = to_count(row.column_int64(4));
  token.created_at = row.column_int64(5);
  token.expires_at = row.column_int64(6);
  token.created_by = row.column_text(7);
  token.revoked = row.column_bool(8);
  return token;
}

[[nodiscard]] Result<Device> read_device(const Statement& row) {
  Device device;
  device.id = row.column_text(0);
  device.hostname = row.column_text(1);
  device.platform = row.column_text(2);
  device.agent_version = row.column_text(3);
  device.os_release = row.column_text(4);
  device.group = row.column_text(5);
  device.enrolled_at = row.column_int64(6);
  device.last_seen = row.column_int64(7);
  device.revoked = row.column_bool(8);
  device.revoked_at = row.column_int64(9);
  device.cert_serial = row.column_text(10);
  device.enroll_token_id = row.column_text(11);
  device.retired_at = row.column_int64(12);
  return device;
}

[[nodiscard]] Error enroll_error(const EnrollToken& token, UnixMillis now) {
  if (token.revoked) {
    return Error{"token_revoked", "enrollment token " + token.id + " has been revoked"};
  }
  if (token.expires_at != 0 && now >= token.expires_at) {
    return Error{"token_expired", "enrollment token " + token.id + " expired at " +
                                      format_rfc3339(token.expires_at)};
  }
  return Error{"token_used_up", "enrollment token has already been used " +
                                    std::to_string(token.used) + " of " +
                                    std::to_string(token.uses) + " times"};
}

[[nodiscard]] bool token_usable(const EnrollToken& token, UnixMillis now) {
  return !token.revoked && (token.expires_at == 0 || now < token.expires_at) &&
         token.used < token.uses;
}

// Users, tokens, devices and settings here; bundles and tickets in
// SqliteDiagStore (sqlite_diag_store.cpp), which owns the connection.
class SqliteStore final : public sqlite::SqliteDiagStore {
 public:
  explicit SqliteStore(std::unique_ptr<Db> db) : SqliteDiagStore(std::move(db)) {}

  // --- users ---

  Result<User> create_user(std::string_view name, Role role, std::string_view password_hash,
                           UnixMillis now) override {
    auto stmt = db_->statement(
        "INSERT INTO users (name, role, password_hash, created_at, disabled) "
        "VALUES (?, ?, ?, ?, 0)");
    if (!stmt) return fail(stmt.error());
    (*stmt)
        ->bind(1, name)
        .bind(2, std::string_view(to_string(role)))
        .bind(3, password_hash)
        .bind(4, now);
    if (auto done = (*stmt)->run(); !done) {
      if ((*stmt)->failed_on_unique()) {
        return fail("user_exists", "a user named '" + std::string(name) + "' already exists");
      }
      return fail(done.error());
    }
    return User{
        db_->last_insert_rowid(), std::string(name), role, std::string(password_hash), now, false};
  }

  Result<std::optional<User>> find_user(std::string_view name) override {
    static const std::string kSql = select_sql(kUserColumns, "FROM users WHERE name = ?");
    auto stmt = db_->statement(kSql.c_str());
    if (!stmt) return fail(stmt.error());
    (*stmt)->bind(1, name);
    return first_row(*stmt, read_user);
  }

  Result<std::vector<User>> list_users() override {
    static const std::string kSql = select_sql(kUserColumns, "FROM users ORDER BY name");
    auto stmt = db_->statement(kSql.c_str());
    if (!stmt) return fail(stmt.error());
    return all_rows(*stmt, read_user);
  }

  // --- API tokens ---

  Result<void> add_api_token(const ApiToken& token) override {
    auto stmt = db_->statement(
        "INSERT INTO api_tokens (token_hash, user_id, created_at, expires_at) "
        "VALUES (?, ?, ?, ?)");
    if (!stmt) return fail(stmt.error());
    (*stmt)
        ->bind(1, std::string_view(token.token_hash))
        .bind(2, token.user_id)
        .bind(3, token.created_at)
        .bind(4, token.expires_at);
    if (auto done = (*stmt)->run(); !done) {
      if ((*stmt)->failed_on_foreign_key()) {
        return fail("store_error", "no user with id " + std::to_string(token.user_id));
      }
      if ((*stmt)->failed_on_unique()) return fail("store_error", "API token already stored");
      return fail(done.error());
    }
    return {};
  }

  Result<std::optional<User>> user_for_api_token(std::string_view token_hash,
                                                 UnixMillis now) override {
    auto stmt = db_->statement(
        "SELECT u.id, u.name, u.role, u.password_hash, u.created_at, u.disabled "
        "FROM api_tokens t JOIN users u ON u.id = t.user_id "
        "WHERE t.token_hash = ? AND (t.expires_at = 0 OR t.expires_at > ?) AND u.disabled = 0");
    if (!stmt) return fail(stmt.error());
    (*stmt)->bind(1, token_hash).bind(2, now);
    return first_row(*stmt, read_user);
  }

  Result<void> delete_api_token(std::string_view token_hash) override {
    auto stmt = db_->statement("DELETE FROM api_tokens WHERE token_hash = ?");
    if (!stmt) return fail(stmt.error());
    (*stmt)->bind(1, token_hash);
    return (*stmt)->run();
  }

  Result<std::size_t> purge_expired_api_tokens(UnixMillis now) override {
    auto stmt = db_->statement("DELETE FROM api_tokens WHERE expires_at <> 0 AND expires_at <= ?");
    if (!stmt) return fail(stmt.error());
    (*stmt)->bind(1, now);
    if (auto done = (*stmt)->run(); !done) return fail(done.error());
    return static_cast<std::size_t>(db_->changes());
  }

  // --- enrollment tokens ---

  Result<void> add_enroll_token(const EnrollToken& token) override {
    auto stmt = db_->statement(
        "INSERT INTO enroll_tokens (id, token_hash, group_name, uses, used, created_at, "
        "expires_at, created_by, revoked) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!stmt) return fail(stmt.error());
    (*stmt)
        ->bind(1, std::string_view(token.id))
        .bind(2, std::string_view(token.token_hash))
        .bind(3, std::string_view(token.group))
        .bind(4, std::int64_t{token.uses})
        .bind(5, std::int64_t{token.used})
        .bind(6, token.created_at)
        .bind(7, token.expires_at)
        .bind(8, std::string_view(token.created_by))
        .bind(9, token.revoked);
    if (auto done = (*stmt)->run(); !done) {
      if ((*stmt)->failed_on_unique()) {
        return fail("store_error", "an enrollment token with id " + token.id +
                                       " or the same secret already exists");
      }
      return fail(done.error());
    }
    return {};
  }

  Result<std::vector<EnrollToken>> list_enroll_tokens() override {
    static const std::string kSql =
        select_sql(kEnrollTokenColumns, "FROM enroll_tokens ORDER BY created_at, id");
    auto stmt = db_->statement(kSql.c_str());
    if (!stmt) return fail(stmt.error());
    return all_rows(*stmt, read_enroll_token);
  }

  Result<void> revoke_enroll_token(std::string_view id) override {
    auto stmt = db_->statement("UPDATE enroll_tokens SET revoked = 1 WHERE id = ?");
    if (!stmt) return fail(stmt.error());
    (*stmt)->bind(1, id);
    if (auto done = (*stmt)->run(); !done) return done;
    if (db_->changes() == 0) {
      return fail("not_found", "no enrollment token with id '" + std::string(id) + "'");
    }
    return {};
  }

  Result<Device> enroll_device(std::string_view token_hash, Device device,
                               UnixMillis now) override {
    auto txn = Transaction::begin(*db_);
    if (!txn) return fail(txn.error());

    auto token = find_enroll_token_by_hash(token_hash);
    if (!token) return fail(token.error());
    if (!*token) return fail("bad_token", "enrollment token is not valid");
    if (!token_usable(**token, now)) return fail(enroll_error(**token, now));

    if (auto counted = count_enroll_use((*token)->id); !counted) return fail(counted.error());

    device.group = (*token)->group;
    device.enroll_token_id = (*token)->id;
    device.enrolled_at = now;
    device.last_seen = now;
    device.revoked = false;
    device.revoked_at = 0;
    if (auto inserted = insert_device(device); !inserted) return fail(inserted.error());

    if (auto committed = txn->commit(); !committed) return fail(committed.error());
    return device;
  }

  // --- devices ---

  Result<std::optional<Device>> find_device(std::string_view id) override {
    static const std::string kSql = select_sql(kDeviceColumns, "FROM devices WHERE id = ?");
    auto stmt = db_->statement(kSql.c_str());
    if (!stmt) return fail(stmt.error());
    (*stmt)->bind(1, id);
    return first_row(*stmt, read_device);
  }

  Result<std::vector<Device>> list_devices() override {
    static const std::string kSql = select_sql(kDeviceColumns, "FROM devices ORDER BY id");
    auto stmt = db_->statement(kSql.c_str());
    if (!stmt) return fail(stmt.error());
    return all_rows(*stmt, read_device);
  }

  Result<void> update_device_hello(const Device& facts, UnixMillis now) override {
    auto stmt = db_->statement(
        "UPDATE devices SET hostname = ?, platform = ?, agent_version = ?, os_release = ?, "
        "last_seen = ? WHERE id = ?");
    if (!stmt) return fail(stmt.error());
    (*stmt)
        ->bind(1, std::string_view(facts.hostname))
        .bind(2, std::string_view(facts.platform))
        .bind(3, std::string_view(facts.agent_version))
        .bind(4, std::string_view(facts.os_release))
        .bind(5, now)
        .bind(6, std::string_view(facts.id));
    if (auto done = (*stmt)->run(); !done) return done;
    if (db_->changes() == 0) return fail("not_found", "no device with id '" + facts.id + "'");
    return {};
  }

  Result<void> touch_devices(std::span<const std::string> ids, UnixMillis now) override {
    if (ids.empty()) return {};
    auto txn = Transaction::begin(*db_);
    if (!txn) return fail(txn.error());
    for (const std::string& id : ids) {
      auto stmt = db_->statement("UPDATE devices SET last_seen = ? WHERE id = ?");
      if (!stmt) return fail(stmt.error());
      (*stmt)->bind(1, now).bind(2, std::string_view(id));
      if (auto done = (*stmt)->run(); !done) return done;  // unknown ids match no row
    }
    return txn->commit();
  }

  Result<Device> revoke_device(std::string_view id, UnixMillis now) override {
    // A second revocation keeps the first revoked_at.
    return switch_off_device(
        id, now, "UPDATE devices SET revoked = 1, revoked_at = ? WHERE id = ? AND revoked = 0");
  }

  Result<Device> retire_device(std::string_view id, UnixMillis now) override {
    return switch_off_device(
        id, now,
        "UPDATE devices SET revoked = 1, "
        "revoked_at = CASE WHEN revoked = 0 THEN ?1 ELSE revoked_at END, "
        "retired_at = CASE WHEN retired_at = 0 THEN ?1 ELSE retired_at END WHERE id = ?2");
  }

  // --- settings ---

  Result<std::optional<std::string>> get_setting(std::string_view key) override {
    auto stmt = db_->statement("SELECT value FROM settings WHERE key = ?");
    if (!stmt) return fail(stmt.error());
    (*stmt)->bind(1, key);
    return first_row(
        *stmt, [](const Statement& row) -> Result<std::string> { return row.column_text(0); });
  }

  Result<void> set_setting(std::string_view key, std::string_view value) override {
    auto stmt = db_->statement(
        "INSERT INTO settings (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
    if (!stmt) return fail(stmt.error());
    (*stmt)->bind(1, key).bind(2, value);
    return (*stmt)->run();
  }

 private:
  Result<std::optional<EnrollToken>> find_enroll_token_by_hash(std::string_view token_hash) {
    static const std::string kSql =
        select_sql(kEnrollTokenColumns, "FROM enroll_tokens WHERE token_hash = ?");
    auto stmt = db_->statement(kSql.c_str());
    if (!stmt) return fail(stmt.error());
    (*stmt)->bind(1, token_hash);
    return first_row(*stmt, read_enroll_token);
  }

  // Runs `sql` (binding now, then id) and returns the device as it is now,
  // all in one transaction. Errors: "not_found".
  Result<Device> switch_off_device(std::string_view id, UnixMillis now, const char* sql) {
    auto txn = Transaction::begin(*db_);
    if (!txn) return fail(txn.error());
    {
      auto stmt = db_->statement(sql);
      if (!stmt) return fail(stmt.error());
      (*stmt)->bind(1, now).bind(2, id);
      if (auto done = (*stmt)->run(); !done) return fail(done.error());
    }
    auto device = find_device(id);
    if (!device) return fail(device.error());
    if (!*device) return fail("not_found", "no device with id '" + std::string(id) + "'");
    if (auto committed = txn->commit(); !committed) return fail(committed.error());
    return std::move(**device);
  }

  Result<void> count_enroll_use(std::string_view token_id) {
    auto stmt = db_->statement("UPDATE enroll_tokens SET used = used + 1 WHERE id = ?");
    if (!stmt) return fail(stmt.error());
    (*stmt)->bind(1, token_id);
    return (*stmt)->run();
  }

  Result<void> insert_device(const Device& device) {
    auto stmt = db_->statement(
        "INSERT INTO devices (id, hostname, platform, agent_version, os_release, group_name, "
        "enrolled_at, last_seen, revoked, revoked_at, cert_serial, enroll_token_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!stmt) return fail(stmt.error());
    (*stmt)
        ->bind(1, std::string_view(device.id))
        .bind(2, std::string_view(device.hostname))
        .bind(3, std::string_view(device.platform))
        .bind(4, std::string_view(device.agent_version))
        .bind(5, std::string_view(device.os_release))
        .bind(6, std::string_view(device.group))
        .bind(7, device.enrolled_at)
        .bind(8, device.last_seen)
        .bind(9, device.revoked)
        .bind(10, device.revoked_at)
        .bind(11, std::string_view(device.cert_serial))
        .bind(12, std::string_view(device.enroll_token_id));
    if (auto done = (*stmt)->run(); !done) {
      if ((*stmt)->failed_on_unique()) {
        return fail("store_error", "a device with id '" + device.id + "' already exists");
      }
      return done;
    }
    return {};
  }
};

// Sets the connection's pragmas. journal_mode answers with the mode it got,
// which is not WAL on file systems that cannot share memory maps.
[[nodiscard]] Result<void> configure(Db& db) {
  if (auto set = db.exec("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; "
                         "PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = 8192");
      !set) {
    return set;
  }
  auto stmt = db.statement("PRAGMA journal_mode = WAL");
  if (!stmt) return fail(stmt.error());
  auto row = (*stmt)->step();
  if (!row) return fail("store_error", db.path().string() + ": " + row.error().message);
  std::string mode = *row ? (*stmt)->column_text(0) : "";
  if (mode != "wal") {
    return fail("store_error", db.path().string() + ": cannot use write-ahead logging (journal " +
                                   "mode is '" + mode + "'); put the data directory on a " +
                                   "local file system");
  }
  return {};
}

// SQLite created the -wal and -shm files with the database's mode, but ones
// left by an older run may be looser.
[[nodiscard]] Result<void> make_sidecars_private(const std::filesystem::path& path) {
  for (const char* suffix : {"-wal", "-shm"}) {
    std::filesystem::path sidecar = path;
    sidecar += suffix;
    if (::chmod(sidecar.c_str(), 0600) != 0 && errno != ENOENT) {
      return fail("store_error",
                  "cannot make " + sidecar.string() + " private: " + std::strerror(errno));
    }
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite_store(const std::filesystem::path& path) {
  auto db = Db::open(path, kBusyTimeoutMs);
  if (!db) return fail(db.error());
  if (auto configured = configure(**db); !configured) return fail(configured.error());
  if (auto migrated = sqlite::migrate(**db); !migrated) return fail(migrated.error());
  if (auto private_files = make_sidecars_private(path); !private_files) {
    return fail(private_files.error());
  }
  return std::unique_ptr<Store>(std::make_unique<SqliteStore>(std::move(*db)));
}

}  // namespace helpline::relay
