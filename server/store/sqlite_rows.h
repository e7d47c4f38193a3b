// Row reading helpers shared by the SQLite Store's files, private to
// server/store.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/core/result.h"
#include "server/store/sqlite_db.h"

namespace helpline::relay::sqlite {

// Lists of identifiers stored in one TEXT column, joined with commas
// (identifiers never hold one): finding ids, requested sections, events.
[[nodiscard]] inline std::string join_list(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += ',';
    out += item;
  }
  return out;
}

// The items of a joined list, in stored order; empty items are dropped.
[[nodiscard]] inline std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    if (comma > start) out.emplace_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

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
