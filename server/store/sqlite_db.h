// A thin RAII layer over the SQLite C API, private to server/store.
//
// Db owns one connection and a cache of prepared statements keyed by their
// SQL text, so a statement used on a hot path is compiled once. Values are
// only ever bound as parameters, never spliced into SQL.
//
// Thread: like the connection (opened with SQLITE_OPEN_NOMUTEX), a Db and its
// statements are used by one thread at a time.
// Errors: every failure is "store_error" with SQLite's message.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/core/result.h"

namespace helpline::relay::sqlite {

// One prepared statement. Bind errors are remembered and reported by the next
// step(), so a chain of binds needs no checks of its own.
class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Parameters are 1-based, as in SQLite.
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, bool value) { return bind(index, std::int64_t{value ? 1 : 0}); }

  // true: a row is ready to read; false: the statement is done.
  [[nodiscard]] Result<bool> step();
  // Steps once and expects no row (INSERT, UPDATE, DELETE).
  [[nodiscard]] Result<void> run();

  // Columns are 0-based. NULL reads as 0 or "".
  [[nodiscard]] std::int64_t column_int64(int col) const;
  [[nodiscard]] std::string column_text(int col) const;
  [[nodiscard]] bool column_bool(int col) const { return column_int64(col) != 0; }

  // SQLite's extended result code of the last failed step (SQLITE_OK if none).
  [[nodiscard]] int last_error_code() const { return last_rc_; }
  // The last step broke a UNIQUE or PRIMARY KEY constraint.
  [[nodiscard]] bool failed_on_unique() const {
    return last_rc_ == SQLITE_CONSTRAINT_UNIQUE || last_rc_ == SQLITE_CONSTRAINT_PRIMARYKEY;
  }
  [[nodiscard]] bool failed_on_foreign_key() const {
    return last_rc_ == SQLITE_CONSTRAINT_FOREIGNKEY;
  }

  // Ready for reuse: rewound, bindings cleared, remembered errors dropped.
  void reset();

 private:
  friend class Db;
  friend class CachedStatement;
  void note_bind(int rc);

  sqlite3* db_;
  sqlite3_stmt* stmt_;
  int bind_rc_ = SQLITE_OK;
  std::string bind_error_;
  int last_rc_ = SQLITE_OK;
  bool borrowed_ = false;  // handed out by Db::statement() and not yet returned
};

// A statement borrowed from the Db's cache; resets it when it goes out of
// scope so the next borrower starts clean. Must not outlive the Db.
class CachedStatement {
 public:
  explicit CachedStatement(Statement& statement) : statement_(&statement) {}
  CachedStatement(CachedStatement&& other) noexcept : statement_(other.statement_) {
    other.statement_ = nullptr;
  }
  CachedStatement(const CachedStatement&) = delete;
  CachedStatement& operator=(const CachedStatement&) = delete;
  CachedStatement& operator=(CachedStatement&&) = delete;
  ~CachedStatement() {
    if (statement_ == nullptr) return;
    statement_->reset();
    statement_->borrowed_ = false;
  }

  Statement* operator->() const { return statement_; }
  Statement& operator*() const { return *statement_; }

 private:
  Statement* statement_;
};

class Db {
 public:
  // Opens (creating if missing) the database file, with extended result
  // codes and the given busy timeout. The file is created with mode 0600.
  [[nodiscard]] static Result<std::unique_ptr<Db>> open(const std::filesystem::path& path,
                                                        int busy_timeout_ms);
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  ~Db();

  // Runs SQL text with no parameters (pragmas, schema scripts, BEGIN/COMMIT).
  [[nodiscard]] Result<void> exec(const char* sql);

  // The cached statement for `sql`, prepared on first use. Borrowing a
  // statement that is still borrowed is an internal bug and fails.
  [[nodiscard]] Result<CachedStatement> statement(const char* sql);

  [[nodiscard]] std::int64_t changes() const;
  [[nodiscard]] std::int64_t last_insert_rowid() const;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] sqlite3* handle() const { return db_; }

 private:
  Db(sqlite3* db, std::filesystem::path path) : db_(db), path_(std::move(path)) {}

  sqlite3* db_;
  std::filesystem::path path_;
  // Looks up by the SQL text without building a std::string per call.
  struct SqlHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view sql) const {
      return std::hash<std::string_view>{}(sql);
    }
  };
  // Statements are held by unique_ptr, so the addresses handed out stay put.
  std::unordered_map<std::string, std::unique_ptr<Statement>, SqlHash, std::equal_to<>> cache_;
};

// A transaction that rolls back unless commit() succeeds. Write paths use
// kImmediate so the write lock is taken up front (no upgrade deadlocks).
class Transaction {
 public:
  enum class Mode { kDeferred, kImmediate };

  [[nodiscard]] static Result<Transaction> begin(Db& db, Mode mode = Mode::kImmediate);
  Transaction(Transaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();

  [[nodiscard]] Result<void> commit();

 private:
  explicit Transaction(Db& db) : db_(&db) {}
  Db* db_;  // null once committed, rolled back or moved from
};

// "store_error" with context and SQLite's message for the connection.
[[nodiscard]] Error store_error(sqlite3* db, std::string_view context);

}  // namespace helpline::relay::sqlite
