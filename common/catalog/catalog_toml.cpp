// TOML to Catalog. This file only maps keys to fields and checks their TOML
// types; the rules a catalog must satisfy live in validate.cpp, so that the
// same rules hold for a catalog that arrives as protobuf.
#include "common/catalog/catalog_toml.h"

#include <toml++/toml.h>

#include <limits>
#include <set>

#include "common/catalog/validate.h"
#include "common/core/duration.h"

namespace helpline::catalog {
namespace {

constexpr std::uint64_t kDefaultTimeoutMs = 60'000;
constexpr std::uint64_t kDefaultMaxOutput = 256u << 10;

class Reader {
 public:
  explicit Reader(std::string_view source) : source_(source) {}
  void set_action(std::string action) { action_ = std::move(action); }

  [[nodiscard]] tl::unexpected<Error> bad(std::string_view field, std::string_view why) const {
    std::string where = std::string(source_) + ": ";
    if (!action_.empty()) where += "action " + action_ + ": ";
    return fail("bad_catalog", where + std::string(field) + ": " + std::string(why));
  }

  // Refuses keys of `table` that are not in `known`.
  [[nodiscard]] Result<void> only_keys(const toml::table& table, std::string_view prefix,
                                       std::initializer_list<std::string_view> known) const {
    for (const auto& [key, value] : table) {
      std::string_view k = key.str();
      if (std::find(known.begin(), known.end(), k) == known.end()) {
        return bad(std::string(prefix) + std::string(k), "unknown key");
      }
    }
    return {};
  }

  [[nodiscard]] Result<std::string> text(const toml::table& t, std::string_view key,
                                         std::string_view field, bool required) const {
    const toml::node* node = t.get(key);
    if (node == nullptr) {
      if (required) return bad(field, "required");
      return std::string();
    }
    const auto* s = node->as_string();
    if (s == nullptr) return bad(field, "expected a string");
    return s->get();
  }

  [[nodiscard]] Result<std::int64_t> integer(const toml::table& t, std::string_view key,
                                             std::string_view field, std::int64_t fallback) const {
    const toml::node* node = t.get(key);
    if (node == nullptr) return fallback;
    const auto* i = node->as_integer();
    if (i == nullptr) return bad(field, "expected an integer");
    return i->get();
  }

  [[nodiscard]] Result<bool> boolean(const toml::table& t, std::string_view key,
                                     std::string_view field) const {
    const toml::node* node = t.get(key);
    if (node == nullptr) return false;
    const auto* b = node->as_boolean();
    if (b == nullptr) return bad(field, "expected true or false");
    return b->get();
  }

  [[nodiscard]] Result<void> strings(const toml::table& t, std::string_view key,
                                     std::string_view field,
                                     google::protobuf::RepeatedPtrField<std::string>* out) const {
    const toml::node* node = t.get(key);
    if (node == nullptr) return {};
    const auto* array = node->as_array();
    if (array == nullptr) return bad(field, "expected an array of strings");
    for (std::size_t i = 0; i < array->size(); ++i) {
      const auto* s = array->get(i)->as_string();
      if (s == nullptr)
        return bad(std::string(field) + "[" + std::to_string(i) + "]", "expected a string");
      out->Add(std::string(s->get()));
    }
    return {};
  }

 private:
  std::string_view source_;
  std::string action_;
};

[[nodiscard]] Result<v1::Risk> parse_risk(const Reader& r, std::string_view text) {
  if (text == "low") return v1::RISK_LOW;
  if (text == "medium") return v1::RISK_MEDIUM;
  if (text == "high") return v1::RISK_HIGH;
  return r.bad("risk", "must be low, medium or high");
}

[[nodiscard]] Result<v1::RunAs> parse_run_as(const Reader& r, std::string_view text) {
  v1::RunAs run_as;
  if (text.empty() || text == "root") {
    run_as.set_root(true);
  } else if (text == "logged-in-user") {
    run_as.set_logged_in_user(true);
  } else if (text.starts_with("user:")) {
    run_as.set_user(std::string(text.substr(5)));
  } else if (text.starts_with("param:")) {
    run_as.set_user_parameter(std::string(text.substr(6)));
  } else {
    return r.bad("run_as", "must be root, logged-in-user, user:NAME or param:NAME");
  }
  return run_as;
}

// A default may be written as a string or, for integers, as a number.
[[nodiscard]] Result<void> parse_default(const Reader& r, const toml::table& t,
                                         const std::string& field, v1::Parameter& p) {
  const toml::node* node = t.get("default");
  if (node == nullptr) return {};
  if (const auto* s = node->as_string()) {
    p.set_default_value(s->get());
  } else if (const auto* i = node->as_integer()) {
    p.set_default_value(std::to_string(i->get()));
  } else {
    return r.bad(field + ".default", "expected a string or an integer");
  }
  return {};
}

[[nodiscard]] Result<void> parse_type(const Reader& r, const toml::table& t,
                                      const std::string& field, std::string_view type,
                                      v1::Parameter& p) {
  auto keys = [&](std::initializer_list<std::string_view> extra) {
    std::vector<std::string_view> all = {"type", "description", "default"};
    all.insert(all.end(), extra.begin(), extra.end());
    for (const auto& [key, value] : t) {
      if (std::find(all.begin(), all.end(), key.str()) == all.end()) {
        return Result<void>(r.bad(field + "." + std::string(key.str()),
                                  "unknown key for type " + std::string(type)));
      }
    }
    return Result<void>();
  };
  if (type == "enum") {
    if (auto k = keys({"values"}); !k) return k;
    return r.strings(t, "values", field + ".values", p.mutable_enum_values()->mutable_values());
  }
  if (type == "integer") {
    if (auto k = keys({"min", "max"}); !k) return k;
    auto min = r.integer(t, "min", field + ".min", 0);
    auto max = r.integer(t, "max", field + ".max", std::numeric_limits<std::int32_t>::max());
    if (!min) return fail(min.error());
    if (!max) return fail(max.error());
    p.mutable_integer()->set_min(*min);
    p.mutable_integer()->set_max(*max);
    return {};
  }
  if (type == "string") {
    if (auto k = keys({"pattern", "max_length"}); !k) return k;
    auto pattern = r.text(t, "pattern", field + ".pattern", true);
    auto max_length = r.integer(t, "max_length", field + ".max_length", 256);
    if (!pattern) return fail(pattern.error());
    if (!max_length) return fail(max_length.error());
    if (*max_length < 1 || *max_length > 4096) return r.bad(field + ".max_length", "1 to 4096");
    p.mutable_text()->set_pattern(*pattern);
    p.mutable_text()->set_max_length(static_cast<std::uint32_t>(*max_length));
    return {};
  }
  if (type == "unit") {
    if (auto k = keys({"allowed"}); !k) return k;
    return r.strings(t, "allowed", field + ".allowed", p.mutable_unit()->mutable_allowed());
  }
  if (type == "path") {
    if (auto k = keys({"roots", "must_exist"}); !k) return k;
    auto must_exist = r.boolean(t, "must_exist", field + ".must_exist");
    if (!must_exist) return fail(must_exist.error());
    p.mutable_path()->set_must_exist(*must_exist);
    return r.strings(t, "roots", field + ".roots", p.mutable_path()->mutable_roots());
  }
  if (type == "user") {
    if (auto k = keys({"min_uid", "allow_root"}); !k) return k;
    auto min_uid = r.integer(t, "min_uid", field + ".min_uid", 0);
    auto allow_root = r.boolean(t, "allow_root", field + ".allow_root");
    if (!min_uid) return fail(min_uid.error());
    if (!allow_root) return fail(allow_root.error());
    if (*min_uid < 0 || *min_uid > std::numeric_limits<std::int32_t>::max()) {
      return r.bad(field + ".min_uid", "out of range");
    }
    p.mutable_user()->set_min_uid(static_cast<std::uint32_t>(*min_uid));
    p.mutable_user()->set_allow_root(*allow_root);
    return {};
  }
  if (type == "process") {
    if (auto k = keys({}); !k) return k;
    p.mutable_process();
    return {};
  }
  return r.bad(field + ".type", "must be enum, integer, string, unit, path, user or process");
}

[[nodiscard]] Result<void> parse_params(const Reader& r, const toml::node& node,
                                        v1::Action& action) {
  const auto* params = node.as_table();
  if (params == nullptr) return r.bad("params", "expected a table of parameters");
  for (const auto& [key, value] : *params) {
    std::string field = "params." + std::string(key.str());
    const auto* t = value.as_table();
    if (t == nullptr) return r.bad(field, "expected a table");
    v1::Parameter& p = *action.add_parameters();
    p.set_name(std::string(key.str()));
    auto type = r.text(*t, "type", field + ".type", true);
    auto description = r.text(*t, "description", field + ".description", false);
    if (!type) return fail(type.error());
    if (!description) return fail(description.error());
    p.set_description(*description);
    if (auto d = parse_default(r, *t, field, p); !d) return d;
    if (auto ty = parse_type(r, *t, field, *type, p); !ty) return ty;
  }
  return {};
}

[[nodiscard]] Result<std::uint64_t> parse_timeout(const Reader& r, const toml::table& t) {
  const toml::node* node = t.get("timeout");
  if (node == nullptr) return kDefaultTimeoutMs;
  const auto* s = node->as_string();
  if (s == nullptr) return r.bad("timeout", "expected a duration such as \"90s\" or \"5m\"");
  auto d = parse_duration(s->get());
  if (!d) return r.bad("timeout", d.error().message);
  return static_cast<std::uint64_t>(d->count()) * 1000u;
}

[[nodiscard]] Result<void> parse_action(Reader& r, const toml::table& t, v1::Action& action) {
  auto id = r.text(t, "id", "id", true);
  if (!id) return fail(id.error());
  action.set_id(*id);
  r.set_action(*id);
  if (auto k = r.only_keys(t, "",
                           {"id", "version", "title", "description", "platforms", "risk", "argv",
                            "params", "run_as", "timeout", "max_output_bytes", "needs_consent",
                            "self_service", "rollback", "kb_articles", "finding_rules"});
      !k) {
    return k;
  }
  auto version = r.integer(t, "version", "version", 1);
  auto title = r.text(t, "title", "title", true);
  auto description = r.text(t, "description", "description", false);
  auto risk_text = r.text(t, "risk", "risk", true);
  auto run_as_text = r.text(t, "run_as", "run_as", false);
  auto rollback = r.text(t, "rollback", "rollback", false);
  auto max_output = r.integer(t, "max_output_bytes", "max_output_bytes",
                              static_cast<std::int64_t>(kDefaultMaxOutput));
  auto consent = r.boolean(t, "needs_consent", "needs_consent");
  auto self_service = r.boolean(t, "self_service", "self_service");
  for (const Error* e :
       {version ? nullptr : &version.error(), title ? nullptr : &title.error(),
        description ? nullptr : &description.error(), risk_text ? nullptr : &risk_text.error(),
        run_as_text ? nullptr : &run_as_text.error(), rollback ? nullptr : &rollback.error(),
        max_output ? nullptr : &max_output.error(), consent ? nullptr : &consent.error(),
        self_service ? nullptr : &self_service.error()}) {
    if (e != nullptr) return fail(*e);
  }
  if (*version < 1 || *version > std::numeric_limits<std::int32_t>::max()) {
    return r.bad("version", "must be between 1 and 2^31-1");
  }
  if (*max_output < 1) return r.bad("max_output_bytes", "must be 1 or more");
  auto risk = parse_risk(r, *risk_text);
  if (!risk) return fail(risk.error());
  auto run_as = parse_run_as(r, *run_as_text);
  if (!run_as) return fail(run_as.error());
  auto timeout = parse_timeout(r, t);
  if (!timeout) return fail(timeout.error());
  if (*timeout > std::numeric_limits<std::uint32_t>::max()) return r.bad("timeout", "too long");

  action.set_version(static_cast<std::uint32_t>(*version));
  action.set_title(*title);
  action.set_description(*description);
  action.set_risk(*risk);
  *action.mutable_run_as() = *run_as;
  action.set_timeout_ms(static_cast<std::uint32_t>(*timeout));
  action.set_max_output_bytes(static_cast<std::uint64_t>(*max_output));
  action.set_needs_consent(*consent);
  action.set_self_service(*self_service);
  action.set_rollback_action(*rollback);
  if (!t.contains("argv")) return r.bad("argv", "required");
  for (auto [key, out] : {std::pair{"platforms", action.mutable_platforms()},
                          std::pair{"argv", action.mutable_argv()},
                          std::pair{"kb_articles", action.mutable_kb_articles()},
                          std::pair{"finding_rules", action.mutable_finding_rules()}}) {
    if (auto s = r.strings(t, key, key, out); !s) return s;
  }
  if (const toml::node* params = t.get("params")) {
    if (auto p = parse_params(r, *params, action); !p) return p;
  }
  r.set_action("");
  return {};
}

}  // namespace

Result<v1::Catalog> parse_catalog_toml(std::string_view text, std::string_view source) {
  toml::table root;
  try {
    root = toml::parse(text);
  } catch (const toml::parse_error& e) {
    return fail("bad_catalog", std::string(source) + ": line " +
                                   std::to_string(e.source().begin.line) + ": " +
                                   std::string(e.description()));
  }
  Reader r(source);
  if (auto k = r.only_keys(root, "", {"version", "issuer", "action"}); !k) return fail(k.error());
  v1::Catalog catalog;
  auto version = r.integer(root, "version", "version", 0);
  auto issuer = r.text(root, "issuer", "issuer", true);
  if (!version) return fail(version.error());
  if (!issuer) return fail(issuer.error());
  if (*version < 1) return r.bad("version", "must be 1 or more");
  catalog.set_version(static_cast<std::uint64_t>(*version));
  catalog.set_issuer(*issuer);
  const toml::node* actions = root.get("action");
  const toml::array* array = actions != nullptr ? actions->as_array() : nullptr;
  if (array == nullptr) return r.bad("action", "expected one or more [[action]] tables");
  for (std::size_t i = 0; i < array->size(); ++i) {
    const auto* t = array->get(i)->as_table();
    if (t == nullptr) return r.bad("action[" + std::to_string(i) + "]", "expected a table");
    if (auto a = parse_action(r, *t, *catalog.add_actions()); !a) return fail(a.error());
  }
  if (auto v = validate_catalog(catalog, source); !v) return fail(v.error());
  return catalog;
}

}  // namespace helpline::catalog
