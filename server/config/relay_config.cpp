#include "server/config/relay_config.h"

#include <toml++/toml.h>

#include <sstream>

#include "common/core/duration.h"
#include "common/core/files.h"
#include "server/config/toml_text.h"

namespace helpline::relay {
namespace {

class Reader {
 public:
  Reader(const toml::table& root, std::string_view origin) : root_(root), origin_(origin) {}

  [[nodiscard]] Result<void> address(std::string_view path, HostPort& out) {
    auto node = root_.at_path(path);
    if (!node) return {};
    auto text = node.value<std::string>();
    if (!text) return bad(path, "expected a string \"HOST:PORT\"");
    auto parsed = parse_host_port(*text, /*allow_port_zero=*/true);
    if (!parsed) return bad(path, parsed.error().message);
    out = *parsed;
    return {};
  }

  [[nodiscard]] Result<void> duration(std::string_view path, std::chrono::seconds& out) {
    auto node = root_.at_path(path);
    if (!node) return {};
    auto text = node.value<std::string>();
    if (!text) return bad(path, "expected a duration string such as \"30s\"");
    auto parsed = parse_duration(*text);
    if (!parsed) return bad(path, parsed.error().message);
    out = *parsed;
    return {};
  }

  [[nodiscard]] Result<void> size(std::string_view path, std::uint32_t& out, std::int64_t min,
                                  std::int64_t max) {
    auto node = root_.at_path(path);
    if (!node) return {};
    auto value = node.value<std::int64_t>();
    if (!value || *value < min || *value > max) {
      return bad(path, "expected an integer from " + std::to_string(min) + " to " +
                           std::to_string(max));
    }
    out = static_cast<std::uint32_t>(*value);
    return {};
  }

  [[nodiscard]] Result<void> string(std::string_view path, std::string& out) {
    auto node = root_.at_path(path);
    if (!node) return {};
    auto value = node.value<std::string>();
    if (!value) return bad(path, "expected a string");
    out = *value;
    return {};
  }

  [[nodiscard]] Result<void> strings(std::string_view path, std::vector<std::string>& out) {
    auto node = root_.at_path(path);
    if (!node) return {};
    const auto* array = node.as_array();
    if (array == nullptr) return bad(path, "expected an array of strings");
    out.clear();
    for (const auto& item : *array) {
      auto value = item.value<std::string>();
      if (!value || value->empty()) return bad(path, "expected an array of strings");
      out.push_back(*value);
    }
    return {};
  }

  [[nodiscard]] tl::unexpected<Error> bad(std::string_view path, std::string_view why) const {
    return fail("bad_config", std::string(origin_) + ": " + std::string(path) + ": " +
                                  std::string(why));
  }

 private:
  const toml::table& root_;
  std::string_view origin_;
};

}  // namespace

Result<RelayConfig> parse_relay_config(std::string_view text, std::string_view origin) {
  auto parsed = parse_toml_text(text, origin);
  if (!parsed) return fail(parsed.error());
  const toml::table& root = *parsed;
  RelayConfig config;
  Reader r(root, origin);
  for (auto step : {r.address("agent.listen", config.agent_listen),
                    r.address("api.listen", config.api_listen),
                    r.duration("agent.heartbeat", config.heartbeat),
                    r.size("agent.max_frame_size", config.max_frame_size, 1024, 16 << 20),
                    r.duration("api.token_ttl", config.token_ttl),
                    r.size("api.max_body", config.max_body, 1024, 64 << 20),
                    r.strings("tls.names", config.names),
                    r.string("log.level", config.log_level)}) {
    if (!step) return fail(step.error());
  }
  auto helpdesk = parse_helpdesk_config(text, origin);
  if (!helpdesk) return fail(helpdesk.error());
  config.helpdesk = std::move(*helpdesk);
  auto hooks = parse_webhooks_config(text, origin);
  if (!hooks) return fail(hooks.error());
  config.webhooks = std::move(*hooks);
  return config;
}

Result<RelayConfig> load_relay_config(const std::filesystem::path& path) {
  auto text = files::read(path, 1u << 20);
  if (!text) return fail(text.error());
  return parse_relay_config(*text, path.string());
}

std::string RelayConfig::to_toml() const {
  toml::array toml_names;
  for (const auto& name : names) toml_names.push_back(name);
  toml::table root{
      {"agent", toml::table{{"listen", agent_listen.to_string()},
                            {"heartbeat", format_duration(heartbeat)},
                            {"max_frame_size", static_cast<std::int64_t>(max_frame_size)}}},
      {"api", toml::table{{"listen", api_listen.to_string()},
                          {"token_ttl", format_duration(token_ttl)},
                          {"max_body", static_cast<std::int64_t>(max_body)}}},
      {"tls", toml::table{{"names", toml_names}}},
      {"log", toml::table{{"level", log_level}}},
  };
  std::ostringstream out;
  out << "# Helpline relay configuration. See docs/deployment.md.\n" << root << "\n";
  return out.str();
}

}  // namespace helpline::relay
