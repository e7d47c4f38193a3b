#include "common/catalog/params.h"

#include <algorithm>
#include <charconv>
#include <regex>

#include "common/catalog/validate.h"
#include "common/core/encoding.h"
#include "common/catalog/value_rules.h"

namespace helpline::catalog {
namespace {

[[nodiscard]] tl::unexpected<Error> refuse(const v1::Parameter& parameter, std::string_view rule,
                                           std::string_view why) {
  return fail(std::string(rule), "parameter " + parameter.name() + ": " + std::string(why) +
                                     " (rule " + std::string(rule) + ")");
}

[[nodiscard]] std::string in_quotes(std::string_view value) {
  constexpr std::size_t kShown = 64;
  std::string out = "\"";
  for (char c : value.substr(0, kShown)) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) {
      out += "\\x";
      append_hex(out, u);
    } else {
      out += c;
    }
  }
  if (value.size() > kShown) out += "...";
  return out + "\"";
}

[[nodiscard]] Result<std::string> check_integer(const v1::Parameter& p, std::string_view value) {
  const auto& range = p.integer();
  std::int64_t number = 0;
  bool negative = !value.empty() && value.front() == '-';
  std::string_view digits = negative ? value.substr(1) : value;
  bool canonical =
      !digits.empty() && (digits.size() == 1 || digits.front() != '0') &&
      std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
  if (!canonical || ec != std::errc() || end != value.data() + value.size() ||
      (negative && number == 0)) {
    return refuse(p, rules::kNotAnInteger, in_quotes(value) + " is not a decimal integer");
  }
  if (number < range.min() || number > range.max()) {
    return refuse(p, rules::kOutOfRange,
                  std::to_string(number) + " is outside " + std::to_string(range.min()) + ".." +
                      std::to_string(range.max()));
  }
  return std::to_string(number);
}

[[nodiscard]] Result<std::string> check_text(const v1::Parameter& p, std::string_view value) {
  const auto& text = p.text();
  if (value.size() > text.max_length()) {
    return refuse(
        p, rules::kTooLong,
        std::to_string(value.size()) + " bytes, at most " + std::to_string(text.max_length()));
  }
  // The pattern compiled when the catalog was validated; compiling it again
  // here keeps this function free of caches. A throw means a catalog that
  // skipped validation: refuse rather than crash.
  try {
    std::regex re(text.pattern(), std::regex::ECMAScript);
    if (!std::regex_match(value.begin(), value.end(), re)) {
      return refuse(p, rules::kPatternMismatch,
                    in_quotes(value) + " does not match " + text.pattern());
    }
  } catch (const std::regex_error&) {
    return refuse(p, rules::kPatternMismatch, "the catalog's pattern does not compile");
  }
  return std::string(value);
}

[[nodiscard]] bool unit_allowed(const v1::UnitParam& unit, std::string_view value) {
  if (unit.allowed().empty()) return true;
  return std::any_of(unit.allowed().begin(), unit.allowed().end(), [&](const std::string& entry) {
    if (!entry.empty() && entry.back() == '*') {
      return value.starts_with(std::string_view(entry).substr(0, entry.size() - 1));
    }
    return value == entry;
  });
}

[[nodiscard]] Result<std::string> check_unit(const v1::Parameter& p, std::string_view value) {
  if (auto why = unit_name_problem(value)) {
    return refuse(p, rules::kBadUnitName, in_quotes(value) + ": " + *why);
  }
  if (!unit_allowed(p.unit(), value)) {
    return refuse(p, rules::kUnitNotAllowed, in_quotes(value) + " is not one of the allowed units");
  }
  return std::string(value);
}

[[nodiscard]] Result<std::string> check_path_syntax(const v1::Parameter& p,
                                                    std::string_view value) {
  if (value.empty() || value.front() != '/') {
    return refuse(p, rules::kNotAbsolute, in_quotes(value) + " is not an absolute path");
  }
  if (!is_normal_path(value)) {
    return refuse(p, rules::kNotNormalized,
                  in_quotes(value) + " has an empty or \".\" component or a trailing \"/\"");
  }
  const auto& roots = p.path().roots();
  if (std::none_of(roots.begin(), roots.end(),
                   [&](const std::string& root) { return path_is_under(value, root); })) {
    return refuse(p, rules::kOutsideRoots, in_quotes(value) + " is not under an allowed root");
  }
  return std::string(value);
}

[[nodiscard]] Result<std::string> check_path_host(const v1::Parameter& p, std::string_view value,
                                                  const HostFacts& host) {
  auto resolved = host.resolve_path(value);
  if (!resolved) {
    std::string_view rule = resolved.error().code == rules::kDanglingSymlink
                                ? rules::kDanglingSymlink
                                : rules::kSymlinkEscape;
    return refuse(p, rule, resolved.error().message);
  }
  bool inside = false;
  for (const auto& root : p.path().roots()) {
    auto real_root = host.resolve_path(root);
    if (real_root && path_is_under(resolved->path, real_root->path)) inside = true;
  }
  if (!inside) {
    return refuse(
        p, rules::kSymlinkEscape,
        in_quotes(value) + " leads to " + in_quotes(resolved->path) + ", outside the allowed roots");
  }
  if (p.path().must_exist() && !resolved->exists) {
    return refuse(p, rules::kNotFound, in_quotes(value) + " does not exist");
  }
  return std::string(value);
}

[[nodiscard]] Result<std::string> check_user_host(const v1::Parameter& p, std::string_view value,
                                                  const HostFacts& host) {
  auto user = host.find_user(value);
  if (!user) return refuse(p, rules::kUnknownUser, "no local user " + in_quotes(value));
  std::uint32_t min_uid = p.user().min_uid() == 0 ? kDefaultMinUid : p.user().min_uid();
  if (user->uid == 0 ? !p.user().allow_root() : user->uid < min_uid) {
    return refuse(p, rules::kSystemUser,
                  in_quotes(value) + " is a system account (uid " + std::to_string(user->uid) + ")");
  }
  return std::string(value);
}

}  // namespace

Result<std::string> check_value_syntax(const v1::Parameter& p, std::string_view value) {
  bool leading_dash_allowed =
      p.type_case() == v1::Parameter::kEnumValues || p.type_case() == v1::Parameter::kInteger;
  if (auto problem = common_value_problem(value, leading_dash_allowed)) {
    return refuse(p, problem->rule, in_quotes(value) + ": " + problem->why);
  }
  switch (p.type_case()) {
    case v1::Parameter::kEnumValues: {
      const auto& values = p.enum_values().values();
      if (std::find(values.begin(), values.end(), value) == values.end()) {
        return refuse(p, rules::kNotInEnum, in_quotes(value) + " is not one of the allowed values");
      }
      return std::string(value);
    }
    case v1::Parameter::kInteger:
      return check_integer(p, value);
    case v1::Parameter::kText:
      return check_text(p, value);
    case v1::Parameter::kUnit:
      return check_unit(p, value);
    case v1::Parameter::kPath:
      return check_path_syntax(p, value);
    case v1::Parameter::kUser:
      if (!is_user_name(value)) {
        return refuse(p, rules::kBadUserName, in_quotes(value) + " is not a valid user name");
      }
      return std::string(value);
    case v1::Parameter::kProcess:
      if (!is_process_name(value)) {
        return refuse(
            p, rules::kBadProcessName,
            in_quotes(value) + " is not a process name (1 to 15 of A-Z a-z 0-9 . _ + : @ -)");
      }
      return std::string(value);
    case v1::Parameter::TYPE_NOT_SET:
      break;
  }
  return refuse(p, rules::kBadType, "the catalog gives this parameter no type");
}

Result<std::string> check_value(const v1::Parameter& p, std::string_view value,
                                const HostFacts& host) {
  auto checked = check_value_syntax(p, value);
  if (!checked) return checked;
  switch (p.type_case()) {
    case v1::Parameter::kPath:
      return check_path_host(p, *checked, host);
    case v1::Parameter::kUser:
      return check_user_host(p, *checked, host);
    case v1::Parameter::kProcess:
      if (auto why = host.protected_process(*checked)) {
        return refuse(p, rules::kProtectedProcess, *why);
      }
      return checked;
    default:
      return checked;
  }
}

Result<std::vector<std::string>> expand_argv(const v1::Action& action,
                                             const ParameterValues& values) {
  std::vector<std::string> argv;
  argv.reserve(static_cast<std::size_t>(action.argv_size()));
  for (const auto& element : action.argv()) {
    auto parts = parse_template(element);
    if (!parts) return fail(parts.error());
    std::string out;
    for (const auto& part : *parts) {
      if (!part.placeholder) {
        out += part.text;
        continue;
      }
      auto it = values.find(part.text);
      if (it == values.end()) {
        return fail(std::string(rules::kMissingParameter),
                    "parameter " + part.text + ": no value to substitute");
      }
      out += it->second;
    }
    argv.push_back(std::move(out));
  }
  return argv;
}

Result<PreparedAction> prepare_action(const v1::Action& action, const ParameterValues& given,
                                      const HostFacts& host) {
  auto refused = [&](const Error& e) {
    return fail(e.code, "action " + action.id() + ": " + e.message);
  };
  for (const auto& [name, value] : given) {
    if (find_parameter(action, name) == nullptr) {
      return refused(Error{std::string(rules::kUnknownParameter),
                           "parameter " + in_quotes(name) +
                               ": the action has no such parameter (rule " +
                               std::string(rules::kUnknownParameter) + ")"});
    }
  }
  PreparedAction prepared;
  for (const auto& parameter : action.parameters()) {
    auto it = given.find(parameter.name());
    if (it == given.end() && !parameter.has_default_value()) {
      return refused(Error{std::string(rules::kMissingParameter),
                           "parameter " + parameter.name() + ": required and not given (rule " +
                               std::string(rules::kMissingParameter) + ")"});
    }
    std::string_view value = it != given.end() ? std::string_view(it->second)
                                               : std::string_view(parameter.default_value());
    auto checked = check_value(parameter, value, host);
    if (!checked) return refused(checked.error());
    prepared.values.emplace(parameter.name(), std::move(*checked));
  }
  auto argv = expand_argv(action, prepared.values);
  if (!argv) return refused(argv.error());
  prepared.argv = std::move(*argv);
  return prepared;
}

}  // namespace helpline::catalog
