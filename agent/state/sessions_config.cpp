// The [sessions] table of agent.toml (docs/sessions.md, "Agent settings").
#include <set>

#include "agent/state/config_toml.h"
#include "common/core/duration.h"

namespace helpline::agent::detail {
namespace {

[[nodiscard]] std::string field(std::string_view key) { return "sessions." + std::string(key); }

[[nodiscard]] Result<std::string> text(const toml::node& node, std::string_view key) {
  const auto* s = node.as_string();
  if (s == nullptr) return bad_field(field(key), "expected a string");
  return s->get();
}

}  // namespace

Result<SessionsConfig> parse_sessions_table(const toml::node& node) {
  const toml::table* table = node.as_table();
  if (table == nullptr) return bad_field("sessions", "expected a table [sessions]");
  static const std::set<std::string, std::less<>> kKnown = {
      "consent_policy", "allow_root_shell", "file_roots", "max_file_bytes",
      "forward_ports",  "idle_timeout",     "shell",      "test_seat_user"};
  for (const auto& [key, value] : *table) {
    if (kKnown.count(key.str()) == 0) {
      return bad_field(field(key.str()),
                       "unknown key (expected one of consent_policy, allow_root_shell, "
                       "file_roots, max_file_bytes, forward_ports, idle_timeout, shell, "
                       "test_seat_user)");
    }
  }
  SessionsConfig out;
  if (const toml::node* n = table->get("consent_policy")) {
    auto t = text(*n, "consent_policy");
    if (!t) return fail(t.error());
    auto policy = ::helpline::session::parse_policy(*t);
    if (!policy) return bad_field(field("consent_policy"), policy.error().message);
    out.consent_policy = *policy;
  }
  if (const toml::node* n = table->get("allow_root_shell")) {
    const auto* b = n->as_boolean();
    if (b == nullptr) return bad_field(field("allow_root_shell"), "expected true or false");
    out.allow_root_shell = b->get();
  }
  if (const toml::node* n = table->get("file_roots")) {
    const toml::array* array = n->as_array();
    if (array == nullptr) return bad_field(field("file_roots"), "expected an array of paths");
    if (array->size() > kMaxFileRoots) {
      return bad_field(field("file_roots"), "at most " + std::to_string(kMaxFileRoots) + " roots");
    }
    out.file_roots.clear();
    for (std::size_t i = 0; i < array->size(); ++i) {
      std::string where = "file_roots[" + std::to_string(i) + "]";
      const auto* s = array->get(i)->as_string();
      if (s == nullptr) return bad_field(field(where), "expected a string");
      auto normal = ::helpline::session::normalise_path(s->get());
      if (!normal || *normal != s->get()) {
        return bad_field(field(where), "expected an absolute, normalised path like /home");
      }
      out.file_roots.push_back(*normal);
    }
  }
  if (const toml::node* n = table->get("max_file_bytes")) {
    const auto* i = n->as_integer();
    if (i == nullptr || i->get() < 1) {
      return bad_field(field("max_file_bytes"), "expected a positive number of bytes");
    }
    out.max_file_bytes = static_cast<std::uint64_t>(i->get());
  }
  if (const toml::node* n = table->get("forward_ports")) {
    const toml::array* array = n->as_array();
    if (array == nullptr) return bad_field(field("forward_ports"), "expected an array of ports");
    if (array->size() > kMaxForwardPorts) {
      return bad_field(field("forward_ports"),
                       "at most " + std::to_string(kMaxForwardPorts) + " ports");
    }
    out.forward_ports.clear();
    for (std::size_t i = 0; i < array->size(); ++i) {
      const auto* p = array->get(i)->as_integer();
      if (p == nullptr || p->get() < 1 || p->get() > 65535) {
        return bad_field(field("forward_ports[" + std::to_string(i) + "]"),
                         "expected a TCP port 1..65535");
      }
      out.forward_ports.push_back(static_cast<std::uint32_t>(p->get()));
    }
  }
  if (const toml::node* n = table->get("idle_timeout")) {
    auto t = text(*n, "idle_timeout");
    if (!t) return fail(t.error());
    auto d = parse_duration(*t);
    if (!d || *d < std::chrono::seconds(1) || *d > std::chrono::hours(24)) {
      return bad_field(field("idle_timeout"), "expected a duration from 1s to 24h, e.g. \"15m\"");
    }
    out.idle_timeout = std::chrono::duration_cast<std::chrono::seconds>(*d);
  }
  if (const toml::node* n = table->get("shell")) {
    auto t = text(*n, "shell");
    if (!t) return fail(t.error());
    if (t->empty() || t->front() != '/' || t->size() > 4096) {
      return bad_field(field("shell"), "expected the absolute path of a shell");
    }
    out.shell = *t;
  }
  if (const toml::node* n = table->get("test_seat_user")) {
    auto t = text(*n, "test_seat_user");
    if (!t) return fail(t.error());
    if (t->size() > 64) return bad_field(field("test_seat_user"), "a login name");
    out.test_seat_user = *t;
  }
  return out;
}

std::string render_sessions_table(const SessionsConfig& config) {
  const SessionsConfig defaults;
  if (config == defaults) return "";
  std::string out = "\n[sessions]\n";
  out += "consent_policy = " + toml_string(::helpline::session::to_string(config.consent_policy)) + "\n";
  if (config.allow_root_shell != defaults.allow_root_shell) {
    out += std::string("allow_root_shell = ") + (config.allow_root_shell ? "true" : "false") + "\n";
  }
  if (config.file_roots != defaults.file_roots) {
    out += "file_roots = [";
    for (std::size_t i = 0; i < config.file_roots.size(); ++i) {
      out += (i == 0 ? "" : ", ") + toml_string(config.file_roots[i]);
    }
    out += "]\n";
  }
  if (config.max_file_bytes != defaults.max_file_bytes) {
    out += "max_file_bytes = " + std::to_string(config.max_file_bytes) + "\n";
  }
  if (config.forward_ports != defaults.forward_ports) {
    out += "forward_ports = [";
    for (std::size_t i = 0; i < config.forward_ports.size(); ++i) {
      out += (i == 0 ? "" : ", ") + std::to_string(config.forward_ports[i]);
    }
    out += "]\n";
  }
  if (config.idle_timeout != defaults.idle_timeout) {
    out += "idle_timeout = " + toml_string(format_duration(config.idle_timeout)) + "\n";
  }
  if (config.shell) out += "shell = " + toml_string(*config.shell) + "\n";
  if (config.test_seat_user) {
    out += "test_seat_user = " + toml_string(*config.test_seat_user) + "\n";
  }
  return out;
}

}  // namespace helpline::agent::detail
