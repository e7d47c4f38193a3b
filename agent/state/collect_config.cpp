// The [collect] table of agent.toml, and the TOML helpers agent_config.cpp
// shares. Redaction patterns are compiled here, at config time, so a bad one
// is refused when agent.toml is read, naming it, rather than when a
// technician asks for a bundle.
#include <cstdio>
#include <set>

#include "agent/state/config_toml.h"
#include "common/redact/redact.h"

namespace helpline::agent::detail {
namespace {

constexpr std::size_t kMaxTextLength = 4096;

[[nodiscard]] std::string item(std::string_view key, std::size_t index) {
  return "collect." + std::string(key) + "[" + std::to_string(index) + "]";
}

// An array of non-empty strings, at most `max` of them.
[[nodiscard]] Result<std::vector<std::string>> string_array(const toml::node& node,
                                                            std::string_view key, std::size_t max) {
  std::string field = "collect." + std::string(key);
  const toml::array* array = node.as_array();
  if (array == nullptr) return bad_field(field, "expected an array of strings");
  if (array->size() > max) return bad_field(field, "at most " + std::to_string(max) + " entries");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const auto* s = array->get(i)->as_string();
    if (s == nullptr) return bad_field(item(key, i), "expected a string");
    if (s->get().empty() || s->get().size() > kMaxTextLength) {
      return bad_field(item(key, i), "expected 1 to 4096 characters");
    }
    out.push_back(s->get());
  }
  return out;
}

[[nodiscard]] Result<std::size_t> count_field(const toml::node& node, std::string_view key,
                                              std::size_t max) {
  std::string field = "collect." + std::string(key);
  const auto* i = node.as_integer();
  if (i == nullptr) return bad_field(field, "expected a number");
  if (i->get() < 1 || static_cast<std::uint64_t>(i->get()) > max) {
    return bad_field(field, "must be between 1 and " + std::to_string(max));
  }
  return static_cast<std::size_t>(i->get());
}

[[nodiscard]] std::string toml_array(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    out += (i == 0 ? "\n  " : ",\n  ") + toml_string(items[i]);
  }
  return out + (items.empty() ? "]" : ",\n]");
}

}  // namespace

tl::unexpected<Error> bad_field(std::string_view field, std::string_view why) {
  return fail("bad_config",
              std::string(kConfigFile) + ": " + std::string(field) + ": " + std::string(why));
}

std::string toml_string(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

Result<CollectConfig> parse_collect_table(const toml::node& node) {
  const toml::table* table = node.as_table();
  if (table == nullptr) return bad_field("collect", "expected a table: [collect]");
  static const std::set<std::string, std::less<>> kKnown = {"redact_patterns", "log_files",
                                                            "max_log_entries", "top_processes"};
  for (const auto& [key, value] : *table) {
    if (kKnown.count(key.str()) == 0) {
      return bad_field("collect." + std::string(key.str()),
                       "unknown key (expected one of redact_patterns, log_files, "
                       "max_log_entries, top_processes)");
    }
  }

  CollectConfig config;
  if (const toml::node* n = table->get("redact_patterns"); n != nullptr) {
    auto patterns = string_array(*n, "redact_patterns", kMaxRedactPatterns);
    if (!patterns) return fail(patterns.error());
    redact::Options options;
    for (const std::string& p : *patterns) options.extra_patterns.push_back({"", p});
    if (auto compiled = redact::Redactor::create(std::move(options)); !compiled) {
      return bad_field("collect.redact_patterns", compiled.error().message);
    }
    config.redact_patterns = std::move(*patterns);
  }
  if (const toml::node* n = table->get("log_files"); n != nullptr) {
    auto files = string_array(*n, "log_files", kMaxCollectLogFiles);
    if (!files) return fail(files.error());
    for (std::size_t i = 0; i < files->size(); ++i) {
      const std::string& path = (*files)[i];
      if (path.front() != '/' || path.find('\0') != std::string::npos) {
        return bad_field(item("log_files", i),
                         "expected an absolute path, such as /var/log/app.log");
      }
    }
    config.log_files = std::move(*files);
  }
  if (const toml::node* n = table->get("max_log_entries"); n != nullptr) {
    auto value = count_field(*n, "max_log_entries", kMaxCollectLogEntries);
    if (!value) return fail(value.error());
    config.max_log_entries = *value;
  }
  if (const toml::node* n = table->get("top_processes"); n != nullptr) {
    auto value = count_field(*n, "top_processes", kMaxCollectTopProcesses);
    if (!value) return fail(value.error());
    config.top_processes = *value;
  }
  return config;
}

std::string render_collect_table(const CollectConfig& config) {
  if (config == CollectConfig{}) return {};
  std::string out = "\n[collect]\n";
  if (!config.redact_patterns.empty()) {
    out += "redact_patterns = " + toml_array(config.redact_patterns) + "\n";
  }
  if (!config.log_files.empty()) out += "log_files = " + toml_array(config.log_files) + "\n";
  if (config.max_log_entries) {
    out += "max_log_entries = " + std::to_string(*config.max_log_entries) + "\n";
  }
  if (config.top_processes) {
    out += "top_processes = " + std::to_string(*config.top_processes) + "\n";
  }
  return out;
}

}  // namespace helpline::agent::detail
