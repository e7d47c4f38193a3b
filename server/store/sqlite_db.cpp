#include "server/store/sqlite_db.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstring>
#include <utility>

namespace helpline::relay::sqlite {
namespace {

// SQLITE_TRANSIENT is an old-style cast in a macro; this is the same value.
// SQLite copies the bound text, so a binding never outlives its argument.
const sqlite3_destructor_type kTransient =
    reinterpret_cast<sqlite3_destructor_type>(static_cast<std::intptr_t>(-1));

[[nodiscard]] std::string errmsg(sqlite3* db) {
  const char* msg = db != nullptr ? sqlite3_errmsg(db) : nullptr;
  return msg != nullptr ? msg : "out of memory";
}

// Creates the file ourselves so it is 0600 from its first byte; SQLite then
// gives the -wal and -shm files it creates the same mode as the database.
[[nodiscard]] Result<void> create_private_file(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return fail("store_error",
                "cannot open database " + path.string() + ": " + std::strerror(errno));
  }
  int rc = ::fchmod(fd, 0600);
  int err = errno;
  ::close(fd);
  if (rc != 0) {
    return fail("store_error",
                "cannot make database " + path.string() + " private: " + std::strerror(err));
  }
  return {};
}

}  // namespace

Error store_error(sqlite3* db, std::string_view context) {
  return Error{"store_error", std::string(context) + ": " + errmsg(db)};
}

// --- Statement ---

Statement::~Statement() { sqlite3_finalize(stmt_); }

void Statement::note_bind(int rc) {
  if (rc == SQLITE_OK || bind_rc_ != SQLITE_OK) return;
  bind_rc_ = rc;
  bind_error_ = errmsg(db_);
}

Statement& Statement::bind(int index, std::int64_t value) {
  note_bind(sqlite3_bind_int64(stmt_, index, value));
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  if (text.size() > static_cast<std::size_t>(INT_MAX)) {
    if (bind_rc_ == SQLITE_OK) {
      bind_rc_ = SQLITE_TOOBIG;
      bind_error_ = "value too large to store";
    }
    return *this;
  }
  // A null data pointer would bind SQL NULL; an empty string_view means "".
  const char* data = text.data() != nullptr ? text.data() : "";
  note_bind(sqlite3_bind_text(stmt_, index, data, static_cast<int>(text.size()), kTransient));
  return *this;
}

Result<bool> Statement::step() {
  if (bind_rc_ != SQLITE_OK) {
    last_rc_ = bind_rc_;
    return fail("store_error", bind_error_);
  }
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  last_rc_ = rc;
  return fail("store_error", errmsg(db_));
}

Result<void> Statement::run() {
  auto row = step();
  if (!row) return fail(row.error());
  if (*row) return fail("store_error", "statement returned a row where none was expected");
  return {};
}

std::int64_t Statement::column_int64(int col) const { return sqlite3_column_int64(stmt_, col); }

std::string Statement::column_text(int col) const {
  const unsigned char* text = sqlite3_column_text(stmt_, col);
  if (text == nullptr) return {};
  int bytes = sqlite3_column_bytes(stmt_, col);
  return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(bytes));
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_rc_ = SQLITE_OK;
  bind_error_.clear();
  last_rc_ = SQLITE_OK;
}

// --- Db ---

Result<std::unique_ptr<Db>> Db::open(const std::filesystem::path& path, int busy_timeout_ms) {
  if (auto made = create_private_file(path); !made) return fail(made.error());
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Error error = store_error(raw, "cannot open database " + path.string());
    sqlite3_close_v2(raw);  // SQLite may allocate a handle even on failure
    return fail(std::move(error));
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, busy_timeout_ms);
  return std::unique_ptr<Db>(new Db(raw, path));
}

Db::~Db() {
  cache_.clear();  // statements are finalized before their connection closes
  sqlite3_close_v2(db_);
}

Result<void> Db::exec(const char* sql) {
  char* raw_error = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &raw_error);
  if (rc == SQLITE_OK) return {};
  std::string message = raw_error != nullptr ? raw_error : errmsg(db_);
  sqlite3_free(raw_error);
  return fail("store_error", path_.string() + ": " + message);
}

Result<CachedStatement> Db::statement(const char* sql) {
  auto it = cache_.find(std::string_view(sql));
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(stmt);
      return fail(store_error(db_, path_.string() + ": cannot prepare statement"));
    }
    it = cache_.emplace(sql, std::make_unique<Statement>(db_, stmt)).first;
  }
  Statement& statement = *it->second;
  if (statement.borrowed_) {
    return fail("store_error", "internal error: statement used twice at once: " + std::string(sql));
  }
  statement.borrowed_ = true;
  return CachedStatement(statement);
}

std::int64_t Db::changes() const { return sqlite3_changes64(db_); }

std::int64_t Db::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

// --- Transaction ---

Result<Transaction> Transaction::begin(Db& db, Mode mode) {
  auto begun = db.exec(mode == Mode::kImmediate ? "BEGIN IMMEDIATE" : "BEGIN");
  if (!begun) return fail(begun.error());
  return Transaction(db);
}

Transaction::~Transaction() {
  // Best effort: if ROLLBACK fails the connection is already outside the
  // transaction (SQLite rolled it back itself) or closing.
  if (db_ != nullptr) sqlite3_exec(db_->handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

Result<void> Transaction::commit() {
  if (db_ == nullptr) return fail("store_error", "internal error: transaction already finished");
  auto committed = db_->exec("COMMIT");
  if (!committed) return committed;  // still open: the destructor rolls back
  db_ = nullptr;
  return {};
}

}  // namespace helpline::relay::sqlite
