#include "common/catalog/value_rules.h"

#include <algorithm>
#include <array>

#include "common/catalog/params.h"

namespace helpline::catalog {
namespace {

constexpr std::string_view kShellMeta = ";|&$`<>()\\'\"*?[]{}~!#";

constexpr std::array<std::string_view, 11> kUnitTypes = {"service", "socket",    "target", "device",
                                                         "mount",   "automount", "swap",   "timer",
                                                         "path",    "slice",     "scope"};

[[nodiscard]] bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

[[nodiscard]] bool has_dotdot_segment(std::string_view value) {
  std::size_t start = 0;
  while (start <= value.size()) {
    std::size_t end = value.find('/', start);
    if (end == std::string_view::npos) end = value.size();
    if (value.substr(start, end - start) == "..") return true;
    start = end + 1;
  }
  return false;
}

}  // namespace

std::optional<ValueProblem> common_value_problem(std::string_view value,
                                                 bool leading_dash_allowed) {
  if (value.empty()) return ValueProblem{rules::kEmptyValue, "an empty value"};
  if (value.size() > kMaxValueLength) {
    return ValueProblem{rules::kTooLong, std::to_string(value.size()) + " bytes, at most " +
                                             std::to_string(kMaxValueLength)};
  }
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      return ValueProblem{rules::kControlCharacter,
                          "control character " + std::to_string(u) + " (NUL, newline, tab, ...)"};
    }
    if (u > 0x7f) return ValueProblem{rules::kNonAscii, "only printable ASCII is accepted"};
  }
  if (auto at = value.find_first_of(kShellMeta); at != std::string_view::npos) {
    return ValueProblem{rules::kShellMetacharacter,
                        std::string("the character '") + value[at] + "' is not accepted"};
  }
  if (has_dotdot_segment(value)) {
    return ValueProblem{rules::kPathTraversal, "a \"..\" path segment is not accepted"};
  }
  if (!leading_dash_allowed && value.front() == '-') {
    return ValueProblem{rules::kOptionInjection,
                        "a value starting with '-' could be read as an option"};
  }
  return std::nullopt;
}

std::optional<std::string> unit_name_problem(std::string_view name) {
  if (name.empty() || name.size() > kMaxUnitNameLength) return "1 to 255 characters";
  if (!std::all_of(name.begin(), name.end(), [](char c) {
        return is_alnum(c) || c == ':' || c == '_' || c == '.' || c == '@' || c == '-';
      })) {
    return "only A-Z a-z 0-9 : _ . @ - are allowed in a unit name";
  }
  std::size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return "a unit name is NAME.TYPE";
  std::string_view type = name.substr(dot + 1);
  if (std::find(kUnitTypes.begin(), kUnitTypes.end(), type) == kUnitTypes.end()) {
    return "unknown unit type \"" + std::string(type) + "\"";
  }
  std::string_view prefix = name.substr(0, dot);
  std::size_t at = prefix.find('@');
  if (at == 0) return "the unit name before '@' is empty";
  if (at != std::string_view::npos && prefix.find('@', at + 1) != std::string_view::npos) {
    return "more than one '@'";
  }
  if (prefix.front() == '-' || prefix.front() == '.')
    return "a unit name starts with a letter or digit";
  return std::nullopt;
}

bool is_normal_path(std::string_view path) {
  if (path.empty() || path.front() != '/') return false;
  if (path == "/") return true;
  if (path.back() == '/') return false;
  std::size_t start = 1;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

bool path_is_under(std::string_view path, std::string_view root) {
  if (root == "/") return !path.empty() && path.front() == '/';
  if (!path.starts_with(root)) return false;
  return path.size() == root.size() || path[root.size()] == '/';
}

bool is_user_name(std::string_view name) {
  if (name.empty() || name.size() > 32) return false;
  if (!(name.front() == '_' || (name.front() >= 'a' && name.front() <= 'z'))) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

bool is_process_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxProcessNameLength || name.front() == '-') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return is_alnum(c) || c == '.' || c == '_' || c == '+' || c == ':' || c == '@' || c == '-';
  });
}

}  // namespace helpline::catalog
