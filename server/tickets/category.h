// Ticket categories: a validated name from a configurable list.
//
// Why a string and not an enum: organisations add their own categories
// ("printing", "telephony") in relay.toml; the name is what the store keeps
// and what statistics group by, so a new category needs no code change and
// no migration. The six built-in categories are always present.
//
// A Category can only be made by a CategoryCatalog (which validates it) or,
// for values read back from the store, by Category::from_storage().
#pragma once

#include <array>
#include <compare>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/core/result.h"

namespace helpline::relay::tickets {

class Category {
 public:
  // "other".
  Category();

  // For a name the store wrote earlier (it was validated then). Keeps a
  // category that has since been removed from the configuration readable.
  [[nodiscard]] static Category from_storage(std::string name);

  [[nodiscard]] const std::string& name() const { return name_; }

  friend bool operator==(const Category&, const Category&) = default;
  friend auto operator<=>(const Category&, const Category&) = default;

 private:
  friend class CategoryCatalog;
  explicit Category(std::string name) : name_(std::move(name)) {}

  std::string name_;
};

class CategoryCatalog {
 public:
  static constexpr std::array<const char*, 6> kBuiltin{"hardware", "software", "network",
                                                       "access",   "request",  "other"};
  static constexpr std::size_t kMaxExtras = 64;
  static constexpr std::size_t kMaxNameLength = 32;

  // The built-in categories only.
  CategoryCatalog();

  // The built-ins plus `extras`. Each extra is 1-32 characters of a-z, 0-9,
  // '_' or '-', not a duplicate. Errors: "bad_config" naming the entry.
  [[nodiscard]] static Result<CategoryCatalog> with_extras(std::vector<std::string> extras);

  // Case-insensitive. Errors: "bad_value" ("category: 'x' is not valid; use
  // one of hardware, ...").
  [[nodiscard]] Result<Category> parse(std::string_view text) const;
  [[nodiscard]] bool contains(std::string_view name) const;

  // Built-ins first, then extras in configuration order.
  [[nodiscard]] const std::vector<std::string>& names() const { return names_; }

 private:
  std::vector<std::string> names_;
};

}  // namespace helpline::relay::tickets
