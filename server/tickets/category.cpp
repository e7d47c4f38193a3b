#include "server/tickets/category.h"

#include <algorithm>
#include <utility>

#include "server/tickets/ticket_error.h"

namespace helpline::relay::tickets {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > CategoryCatalog::kMaxNameLength) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

}  // namespace

Category::Category() : name_("other") {}

Category Category::from_storage(std::string name) { return Category(std::move(name)); }

CategoryCatalog::CategoryCatalog() : names_(kBuiltin.begin(), kBuiltin.end()) {}

Result<CategoryCatalog> CategoryCatalog::with_extras(std::vector<std::string> extras) {
  if (extras.size() > kMaxExtras) {
    return fail(make_error(TicketError::kBadConfig,
                           "categories: at most " + std::to_string(kMaxExtras) +
                               " extra categories, got " + std::to_string(extras.size())));
  }
  CategoryCatalog catalog;
  for (std::string& extra : extras) {
    if (!valid_name(extra)) {
      return fail(make_error(TicketError::kBadConfig,
                             "categories: '" + extra +
                                 "' is not a valid category name; use 1-32 characters of "
                                 "a-z, 0-9, '_' or '-'"));
    }
    if (catalog.contains(extra)) {
      return fail(make_error(TicketError::kBadConfig,
                             "categories: '" + extra + "' is listed twice or is built in"));
    }
    catalog.names_.push_back(std::move(extra));
  }
  return catalog;
}

bool CategoryCatalog::contains(std::string_view name) const {
  return std::find(names_.begin(), names_.end(), name) != names_.end();
}

Result<Category> CategoryCatalog::parse(std::string_view text) const {
  std::string key = lower(text);
  if (contains(key)) return Category(std::move(key));
  std::string valid;
  for (const std::string& name : names_) {
    if (!valid.empty()) valid += ", ";
    valid += name;
  }
  return fail(make_error(TicketError::kBadValue, "category: '" + std::string(text) +
                                                     "' is not valid; use one of " + valid));
}

}  // namespace helpline::relay::tickets
