#include "common/catalog/validate.h"

#include <algorithm>
#include <regex>
#include <set>

#include "common/catalog/params.h"
#include "common/catalog/value_rules.h"

namespace helpline::catalog {
namespace {

// Collects the context ("catalog.toml: action x: ") so that every message
// names where the problem is.
class Checker {
 public:
  explicit Checker(std::string_view source) : source_(source) {}
  void set_action(std::string_view id) { action_ = id; }

  [[nodiscard]] tl::unexpected<Error> bad(std::string_view field, std::string_view why) const {
    std::string where = std::string(source_) + ": ";
    if (!action_.empty()) where += "action " + action_ + ": ";
    return fail("bad_catalog", where + std::string(field) + ": " + std::string(why));
  }

 private:
  std::string_view source_;
  std::string action_;
};

[[nodiscard]] bool is_printable_text(std::string_view text, bool allow_newlines) {
  return std::all_of(text.begin(), text.end(), [&](char c) {
    auto u = static_cast<unsigned char>(c);
    if (c == '\n' || c == '\t') return allow_newlines;
    return u >= 0x20 && u != 0x7f;
  });
}

[[nodiscard]] bool is_action_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxActionIdLength) return false;
  bool segment_start = true;
  for (char c : id) {
    if (c == '.') {
      if (segment_start) return false;
      segment_start = true;
      continue;
    }
    bool lower = c >= 'a' && c <= 'z';
    bool digit_or_underscore = (c >= '0' && c <= '9') || c == '_';
    if (segment_start ? !lower : !(lower || digit_or_underscore)) return false;
    segment_start = false;
  }
  return !segment_start;
}

[[nodiscard]] bool is_parameter_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxParameterNameLength) return false;
  if (name.front() < 'a' || name.front() > 'z') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

[[nodiscard]] bool is_link(std::string_view text) {
  if (text.empty() || text.size() > kMaxLinkLength) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-' || c == ':' || c == '/';
  });
}

[[nodiscard]] Result<void> check_text_field(const Checker& ck, std::string_view field,
                                            std::string_view text, std::size_t max, bool required,
                                            bool allow_newlines) {
  if (required && text.empty()) return ck.bad(field, "must not be empty");
  if (text.size() > max) return ck.bad(field, "longer than " + std::to_string(max) + " bytes");
  if (!is_printable_text(text, allow_newlines)) return ck.bad(field, "holds a control character");
  return {};
}

[[nodiscard]] Result<void> check_type(const Checker& ck, const std::string& field,
                                      const v1::Parameter& p) {
  switch (p.type_case()) {
    case v1::Parameter::kEnumValues: {
      const auto& values = p.enum_values().values();
      if (values.empty() || static_cast<std::size_t>(values.size()) > kMaxEnumValues) {
        return ck.bad(field + ".values", "1 to " + std::to_string(kMaxEnumValues) + " values");
      }
      std::set<std::string_view> seen;
      for (const auto& v : values) {
        if (auto problem = common_value_problem(v, true)) {
          return ck.bad(field + ".values", "\"" + v + "\": " + problem->why);
        }
        if (!seen.insert(v).second) return ck.bad(field + ".values", "\"" + v + "\" twice");
      }
      return {};
    }
    case v1::Parameter::kInteger:
      if (p.integer().min() > p.integer().max()) return ck.bad(field + ".min", "above max");
      return {};
    case v1::Parameter::kText: {
      const auto& text = p.text();
      if (text.max_length() == 0 || text.max_length() > kMaxValueLength) {
        return ck.bad(field + ".max_length", "1 to " + std::to_string(kMaxValueLength));
      }
      if (text.pattern().empty()) return ck.bad(field + ".pattern", "required");
      try {
        std::regex re(text.pattern(), std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        return ck.bad(field + ".pattern", std::string("does not compile: ") + e.what());
      }
      return {};
    }
    case v1::Parameter::kUnit:
      for (const auto& entry : p.unit().allowed()) {
        std::string_view name = entry;
        bool prefix = !name.empty() && name.back() == '*';
        if (prefix ? name.size() < 2 || name.find_first_of("*") != name.size() - 1
                   : unit_name_problem(name).has_value()) {
          return ck.bad(field + ".allowed", "\"" + entry + "\" is not a unit name or PREFIX*");
        }
      }
      return {};
    case v1::Parameter::kPath:
      if (p.path().roots().empty()) return ck.bad(field + ".roots", "at least one root");
      for (const auto& root : p.path().roots()) {
        if (!is_normal_path(root)) {
          return ck.bad(field + ".roots", "\"" + root + "\" is not an absolute, normal path");
        }
      }
      return {};
    case v1::Parameter::kUser:
    case v1::Parameter::kProcess:
      return {};
    case v1::Parameter::TYPE_NOT_SET:
      break;
  }
  return ck.bad(field + ".type", "missing");
}

[[nodiscard]] Result<void> check_parameters(const Checker& ck, const v1::Action& action) {
  if (static_cast<std::size_t>(action.parameters_size()) > kMaxParameters) {
    return ck.bad("params", "at most " + std::to_string(kMaxParameters));
  }
  std::set<std::string_view> names;
  for (const auto& p : action.parameters()) {
    std::string field = "params." + p.name();
    if (!is_parameter_name(p.name())) {
      return ck.bad("params", "\"" + p.name() + "\" is not a parameter name ([a-z][a-z0-9_]*)");
    }
    if (!names.insert(p.name()).second) return ck.bad(field, "declared twice");
    if (auto r = check_text_field(ck, field + ".description", p.description(),
                                  kMaxDescriptionLength, false, true);
        !r) {
      return r;
    }
    if (auto r = check_type(ck, field, p); !r) return r;
    if (p.has_default_value()) {
      if (auto d = check_value_syntax(p, p.default_value()); !d) {
        return ck.bad(field + ".default", d.error().message);
      }
    }
  }
  return {};
}

[[nodiscard]] Result<void> check_argv(const Checker& ck, const v1::Action& action,
                                      std::set<std::string>& used) {
  if (action.argv().empty() || static_cast<std::size_t>(action.argv_size()) > kMaxArgvElements) {
    return ck.bad("argv", "1 to " + std::to_string(kMaxArgvElements) + " elements");
  }
  for (int i = 0; i < action.argv_size(); ++i) {
    std::string field = "argv[" + std::to_string(i) + "]";
    const std::string& element = action.argv(i);
    if (auto r = check_text_field(ck, field, element, kMaxArgvElementLength, i == 0, false); !r) {
      return r;
    }
    auto parts = parse_template(element);
    if (!parts) return ck.bad(field, parts.error().message);
    for (const auto& part : *parts) {
      if (!part.placeholder) continue;
      if (i == 0) return ck.bad(field, "the program may not come from a parameter");
      if (find_parameter(action, part.text) == nullptr) {
        return ck.bad(field, "{" + part.text + "} names no declared parameter");
      }
      used.insert(part.text);
    }
  }
  if (!is_normal_path(action.argv(0)) || action.argv(0) == "/") {
    return ck.bad("argv[0]", "must be an absolute, normal path to the program");
  }
  return {};
}

[[nodiscard]] Result<void> check_run_as(const Checker& ck, const v1::Action& action,
                                        std::set<std::string>& used) {
  const auto& run_as = action.run_as();
  switch (run_as.who_case()) {
    case v1::RunAs::kRoot:
    case v1::RunAs::kLoggedInUser:
      return {};
    case v1::RunAs::kUser:
      if (!is_user_name(run_as.user())) return ck.bad("run_as", "not a valid user name");
      return {};
    case v1::RunAs::kUserParameter: {
      const auto* p = find_parameter(action, run_as.user_parameter());
      if (p == nullptr || p->type_case() != v1::Parameter::kUser) {
        return ck.bad("run_as",
                      "\"" + run_as.user_parameter() + "\" is not a parameter of type user");
      }
      used.insert(run_as.user_parameter());
      return {};
    }
    case v1::RunAs::WHO_NOT_SET:
      break;
  }
  return ck.bad("run_as", "missing");
}

[[nodiscard]] Result<void> check_links(
    const Checker& ck, std::string_view field,
    const google::protobuf::RepeatedPtrField<std::string>& links) {
  if (static_cast<std::size_t>(links.size()) > kMaxLinks) {
    return ck.bad(field, "at most " + std::to_string(kMaxLinks) + " entries");
  }
  for (const auto& link : links) {
    if (!is_link(link)) {
      return ck.bad(field, "\"" + link + "\": 1 to 128 of A-Z a-z 0-9 . _ - : /");
    }
  }
  return {};
}

[[nodiscard]] Result<void> check_action(const Checker& ck, const v1::Action& action) {
  if (action.version() == 0) return ck.bad("version", "must be 1 or more");
  if (auto r = check_text_field(ck, "title", action.title(), kMaxTitleLength, true, false); !r) {
    return r;
  }
  if (auto r = check_text_field(ck, "description", action.description(), kMaxDescriptionLength,
                                false, true);
      !r) {
    return r;
  }
  if (action.platforms().empty()) return ck.bad("platforms", "at least one platform");
  const auto& known = known_platforms();
  for (const auto& platform : action.platforms()) {
    if (std::find(known.begin(), known.end(), platform) == known.end()) {
      return ck.bad("platforms", "\"" + platform + "\" is not linux, windows or macos");
    }
  }
  if (risk_name(action.risk()).empty()) return ck.bad("risk", "must be low, medium or high");
  if (auto r = check_parameters(ck, action); !r) return r;
  std::set<std::string> used;
  if (auto r = check_argv(ck, action, used); !r) return r;
  if (auto r = check_run_as(ck, action, used); !r) return r;
  for (const auto& p : action.parameters()) {
    if (used.count(p.name()) == 0) {
      return ck.bad("params." + p.name(), "declared but used neither in argv nor in run_as");
    }
  }
  if (action.timeout_ms() < kMinTimeoutMs || action.timeout_ms() > kMaxTimeoutMs) {
    return ck.bad("timeout", "must be between 1s and 6h");
  }
  if (action.max_output_bytes() == 0 || action.max_output_bytes() > kMaxOutputBytes) {
    return ck.bad("max_output_bytes", "must be between 1 and " + std::to_string(kMaxOutputBytes));
  }
  if (action.self_service() && action.risk() == v1::RISK_HIGH) {
    return ck.bad("self_service", "a high-risk action cannot be self-service");
  }
  if (auto r = check_links(ck, "kb_articles", action.kb_articles()); !r) return r;
  return check_links(ck, "finding_rules", action.finding_rules());
}

}  // namespace

const std::vector<std::string>& known_platforms() {
  static const std::vector<std::string> kPlatforms = {"linux", "windows", "macos"};
  return kPlatforms;
}

std::string_view this_platform() { return "linux"; }

std::string_view risk_name(v1::Risk risk) {
  switch (risk) {
    case v1::RISK_LOW:
      return "low";
    case v1::RISK_MEDIUM:
      return "medium";
    case v1::RISK_HIGH:
      return "high";
    default:
      return "";
  }
}

Result<std::vector<TemplatePart>> parse_template(std::string_view element) {
  std::vector<TemplatePart> parts;
  std::string literal;
  std::size_t i = 0;
  while (i < element.size()) {
    char c = element[i];
    if ((c == '{' || c == '}') && i + 1 < element.size() && element[i + 1] == c) {
      literal += c;
      i += 2;
      continue;
    }
    if (c == '}') {
      return fail("bad_template", "unmatched '}' at position " + std::to_string(i) +
                                      " (write \"}}\" for a literal brace)");
    }
    if (c != '{') {
      literal += c;
      ++i;
      continue;
    }
    std::size_t close = element.find('}', i + 1);
    if (close == std::string_view::npos) {
      return fail("bad_template", "unclosed '{' at position " + std::to_string(i));
    }
    std::string_view name = element.substr(i + 1, close - i - 1);
    if (!is_parameter_name(name)) {
      return fail("bad_template", "\"{" + std::string(name) + "}\" is not a placeholder");
    }
    if (!literal.empty()) parts.push_back({false, std::move(literal)});
    literal.clear();
    parts.push_back({true, std::string(name)});
    i = close + 1;
  }
  if (!literal.empty()) parts.push_back({false, std::move(literal)});
  return parts;
}

const v1::Action* find_action(const v1::Catalog& catalog, std::string_view id) {
  for (const auto& action : catalog.actions()) {
    if (action.id() == id) return &action;
  }
  return nullptr;
}

const v1::Parameter* find_parameter(const v1::Action& action, std::string_view name) {
  for (const auto& p : action.parameters()) {
    if (p.name() == name) return &p;
  }
  return nullptr;
}

Result<void> validate_catalog(const v1::Catalog& catalog, std::string_view source) {
  Checker ck(source);
  if (catalog.version() == 0) return ck.bad("version", "must be 1 or more");
  if (auto r = check_text_field(ck, "issuer", catalog.issuer(), kMaxIssuerLength, true, false);
      !r) {
    return r;
  }
  if (catalog.actions().empty() || static_cast<std::size_t>(catalog.actions_size()) > kMaxActions) {
    return ck.bad("action", "1 to " + std::to_string(kMaxActions) + " actions");
  }
  std::set<std::string_view> ids;
  for (int i = 0; i < catalog.actions_size(); ++i) {
    const auto& action = catalog.actions(i);
    if (!is_action_id(action.id())) {
      return ck.bad("action[" + std::to_string(i) + "].id",
                    "\"" + action.id() + "\" is not an action id (lower-case words joined by '.')");
    }
    if (!ids.insert(action.id()).second) {
      return ck.bad("action[" + std::to_string(i) + "].id", "\"" + action.id() + "\" twice");
    }
    ck.set_action(action.id());
    if (auto r = check_action(ck, action); !r) return r;
    ck.set_action("");
  }
  for (const auto& action : catalog.actions()) {
    if (action.rollback_action().empty()) continue;
    ck.set_action(action.id());
    if (action.rollback_action() == action.id() || ids.count(action.rollback_action()) == 0) {
      return ck.bad("rollback",
                    "\"" + action.rollback_action() + "\" is not another action of this catalog");
    }
  }
  return {};
}

}  // namespace helpline::catalog
