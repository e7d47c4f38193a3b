#include "agent/collect/registry.h"

#include <algorithm>

namespace helpline::agent::collect {
namespace {

[[nodiscard]] std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

[[nodiscard]] bool is_known(const std::vector<CollectorPtr>& all, std::string_view name) {
  return std::any_of(all.begin(), all.end(), [&](const CollectorPtr& c) {
    return c->section() == name || c->name() == name;
  });
}

[[nodiscard]] std::string valid_list() {
  std::string out;
  for (std::string_view s : kSections) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

}  // namespace

std::vector<std::string> split_sections(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    std::size_t comma = text.find(',');
    std::string_view item = trim(text.substr(0, comma));
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

Result<std::vector<CollectorPtr>> select_collectors(const std::vector<CollectorPtr>& all,
                                                    const std::vector<std::string>& names) {
  std::string unknown;
  for (const std::string& name : names) {
    if (is_known(all, name)) continue;
    if (!unknown.empty()) unknown += ", ";
    unknown += "'" + name + "'";
  }
  if (!unknown.empty()) {
    return fail("unknown_section", "unknown section " + unknown +
                                       "; valid sections: " + valid_list() +
                                       " (or one collector, such as hardware.smart)");
  }
  std::vector<CollectorPtr> out;
  for (const CollectorPtr& c : all) {
    bool wanted = names.empty() || std::any_of(names.begin(), names.end(), [&](const auto& n) {
                    return c->section() == n || c->name() == n;
                  });
    if (wanted) out.push_back(c);
  }
  return out;
}

}  // namespace helpline::agent::collect
