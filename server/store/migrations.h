// The relay database's schema, as an ordered list of migrations, private to
// server/store.
//
// To change the schema, append a Migration with the next version to the list
// in migrations.cpp; never edit one that has shipped. Each migration runs in
// its own transaction and is recorded in schema_migrations(version,
// description, applied_at), so a crash between two leaves a consistent
// database at the earlier version.
#pragma once

#include <span>

#include "common/core/result.h"
#include "server/store/sqlite_db.h"

namespace helpline::relay::sqlite {

struct Migration {
  int version;              // 1, 2, 3, ... with no gaps
  const char* description;  // one line, recorded with the version
  const char* sql;          // one or more statements, no parameters
};

[[nodiscard]] std::span<const Migration> migrations();
[[nodiscard]] int latest_schema_version();

// The highest applied version, 0 for a fresh database.
[[nodiscard]] Result<int> schema_version(Db& db);

// Brings the database to the last version in `list`. Safe when several processes
// open the same file: each step re-reads the version under the write lock.
// Errors: "store_error" (naming the migration that failed, or a file that is
// another program's database), "store_version" if the file is newer than
// this code.
// `list` is for tests; it must be numbered 1, 2, 3, ...
[[nodiscard]] Result<void> migrate(Db& db, std::span<const Migration> list = migrations());

}  // namespace helpline::relay::sqlite
