// Row reading helpers shared by the SQLite Store's files, private to
// server/store.
#pragma once

#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/core/result.h"
#include "server/store/sqlite_db.h"

namespace helpline::relay::sqlite {

// SELECT <columns> <rest>, built once per call site (a constant, never a value).
[[nodiscard]] inline std::string select_sql(const char* columns, const char* rest) {
  return std::string("SELECT ") + columns + " " + rest;
}

// What a row reader (Statement -> Result<T>) yields: T.
template <class Read>
using RowType = typename std::invoke_result_t<Read, const Statement&>::value_type;

// The first row through `read`, or nullopt when there is none.
template <class Read>
[[nodiscard]] Result<std::optional<RowType<Read>>> first_row(CachedStatement& stmt, Read read) {
  auto row = stmt->step();
  if (!row) return fail(row.error());
  if (!*row) return std::nullopt;
  auto value = read(*stmt);
  if (!value) return fail(value.error());
  return std::move(*value);
}

// Every row through `read`.
template <class Read>
[[nodiscard]] Result<std::vector<RowType<Read>>> all_rows(CachedStatement& stmt, Read read) {
  std::vector<RowType<Read>> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) return fail(row.error());
    if (!*row) return out;
    auto value = read(*stmt);
    if (!value) return fail(value.error());
    out.push_back(std::move(*value));
  }
}

}  // namespace helpline::relay::sqlite
