#include "server/config/webhooks_config.h"

#include <toml++/toml.h>

#include <string>

#include "common/core/duration.h"
#include "common/core/files.h"
#include "server/config/toml_text.h"

namespace helpline::relay {
namespace {

using std::chrono::milliseconds;

class WebhooksReader {
 public:
  explicit WebhooksReader(std::string_view origin) : origin_(origin) {}

  [[nodiscard]] tl::unexpected<Error> bad(std::string_view path, std::string_view why) const {
    return fail("bad_config",
                std::string(origin_) + ": " + std::string(path) + ": " + std::string(why));
  }

  [[nodiscard]] Result<milliseconds> duration(std::string_view path, const toml::node& node,
                                              milliseconds min, milliseconds max) const {
    auto text = node.value<std::string>();
    if (!text) return bad(path, "expected a duration string such as \"10s\"");
    auto parsed = parse_duration(*text);
    if (!parsed) return bad(path, parsed.error().message);
    milliseconds value = *parsed;
    if (value < min || value > max) {
      return bad(path, "expected " +
                           format_duration(std::chrono::duration_cast<std::chrono::seconds>(min)) +
                           " to " +
                           format_duration(std::chrono::duration_cast<std::chrono::seconds>(max)));
    }
    return value;
  }

  [[nodiscard]] Result<std::string> text(std::string_view path, const toml::node& node) const {
    auto value = node.value<std::string>();
    if (!value) return bad(path, "expected a string");
    return *value;
  }

  [[nodiscard]] Result<webhooks::Target> target(std::size_t index, const toml::node& node) const {
    const std::string base = "webhooks.target[" + std::to_string(index) + "]";
    const auto* table = node.as_table();
    if (table == nullptr) return bad(base, "expected a table");
    webhooks::Target t;
    std::string secret_file;
    for (const auto& [key, value] : *table) {
      std::string k(key.str());
      std::string path = base + "." + k;
      if (k == "id" || k == "url" || k == "secret" || k == "secret_file" || k == "ca_file") {
        auto s = text(path, value);
        if (!s) return fail(s.error());
        if (k == "id") t.id = *s;
        if (k == "url") t.url = *s;
        if (k == "secret") t.secret = *s;
        if (k == "secret_file") secret_file = *s;
        if (k == "ca_file") t.ca_file = *s;
      } else if (k == "enabled") {
        auto flag = value.value<bool>();
        if (!flag) return bad(path, "expected true or false");
        t.enabled = *flag;
      } else if (k == "events") {
        const auto* array = value.as_array();
        if (array == nullptr) return bad(path, "expected an array of event names");
        for (const auto& item : *array) {
          auto name = item.value<std::string>();
          if (!name) return bad(path, "expected an array of event names");
          t.events.push_back(*name);
        }
      } else {
        return bad(path, "unknown key; use id, url, secret, secret_file, events, ca_file, enabled");
      }
    }
    if (!t.secret.empty() && !secret_file.empty()) {
      return bad(base + ".secret_file", "give secret or secret_file, not both");
    }
    if (!secret_file.empty()) {
      auto read = files::read(secret_file, 4096);
      if (!read) return bad(base + ".secret_file", read.error().message);
      t.secret = *read;
      while (!t.secret.empty() && (t.secret.back() == '\n' || t.secret.back() == '\r')) {
        t.secret.pop_back();
      }
    }
    if (t.secret.empty()) return bad(base + ".secret", "required (or secret_file)");
    if (auto ok = webhooks::check_target(t, ""); !ok) {
      return fail("bad_config", std::string(origin_) + ": " + base + "." + ok.error().message);
    }
    return t;
  }

 private:
  std::string_view origin_;
};

}  // namespace

Result<WebhooksConfig> parse_webhooks_config(std::string_view toml_text, std::string_view origin) {
  auto parsed = parse_toml_text(toml_text, origin);
  if (!parsed) return fail(parsed.error());
  const toml::table& root = *parsed;
  WebhooksConfig config;
  WebhooksReader r(origin);
  const auto* section = root.get_as<toml::table>("webhooks");
  if (section == nullptr) {
    if (root.contains("webhooks")) return r.bad("webhooks", "expected a table");
    return config;
  }
  webhooks::Settings& s = config.settings;
  for (const auto& [key, node] : *section) {
    std::string k(key.str());
    std::string path = "webhooks." + k;
    if (k == "max_attempts") {
      auto value = node.value<std::int64_t>();
      if (!value || *value < 1 || *value > 100) return r.bad(path, "expected 1 to 100");
      s.max_attempts = static_cast<int>(*value);
    } else if (k == "retry_base" || k == "retry_max" || k == "timeout" || k == "keep") {
      const milliseconds max = k == "keep" ? milliseconds(365LL * 86'400'000)
                                           : milliseconds(k == "timeout" ? 300'000 : 86'400'000);
      auto value = r.duration(path, node, milliseconds(1000), max);
      if (!value) return fail(value.error());
      if (k == "retry_base") s.retry_base = *value;
      if (k == "retry_max") s.retry_max = *value;
      if (k == "timeout") s.timeout = *value;
      if (k == "keep") s.keep = *value;
    } else if (k == "target") {
      const auto* array = node.as_array();
      if (array == nullptr) return r.bad(path, "expected [[webhooks.target]] tables");
      for (std::size_t i = 0; i < array->size(); ++i) {
        auto target = r.target(i, *array->get(i));
        if (!target) return fail(target.error());
        for (const auto& earlier : config.targets) {
          if (earlier.id == target->id) {
            return r.bad("webhooks.target[" + std::to_string(i) + "].id",
                         "'" + target->id + "' is used twice");
          }
        }
        config.targets.push_back(std::move(*target));
      }
    } else {
      return r.bad(path,
                   "unknown key; use max_attempts, retry_base, retry_max, timeout, keep, target");
    }
  }
  if (s.retry_max < s.retry_base) {
    return r.bad("webhooks.retry_max", "must not be shorter than retry_base");
  }
  return config;
}

}  // namespace helpline::relay
