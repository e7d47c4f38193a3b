#include "server/cli/cli_config.h"

#include <toml++/toml.h>

#include <cstdlib>
#include <sstream>

#include "common/core/files.h"

namespace helpline::cli {

std::filesystem::path config_path() {
  if (const char* explicit_path = std::getenv("HELPLINE_CONFIG");
      explicit_path != nullptr && *explicit_path != '\0') {
    return explicit_path;
  }
  return files::user_config_dir() / "helpline" / "config.toml";
}

Result<CliConfig> load_config(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return fail("not_logged_in", "not logged in (no " + path.string() +
                                     "); run: helpline login --url https://HOST:PORT "
                                     "--ca-pin SHA256:... --user NAME");
  }
  auto text = files::read(path, 64 * 1024);
  if (!text) return fail(text.error());
  toml::table root;
  try {
    root = toml::parse(*text, path.string());
  } catch (const toml::parse_error& e) {
    return fail("bad_config", path.string() + ": " + std::string(e.description()));
  }
  CliConfig config;
  for (auto [key, field] : {std::pair{"url", &config.url}, std::pair{"ca_pin", &config.ca_pin},
                            std::pair{"user", &config.user}, std::pair{"token", &config.token},
                            std::pair{"expires_at", &config.expires_at}}) {
    auto node = root[key];
    if (!node) continue;
    auto value = node.value<std::string>();
    if (!value) return fail("bad_config", path.string() + ": " + key + ": expected a string");
    *field = *value;
  }
  if (config.url.empty() || config.ca_pin.empty()) {
    return fail("bad_config", path.string() + ": url and ca_pin are required; log in again");
  }
  return config;
}

Result<void> save_config(const std::filesystem::path& path, const CliConfig& config) {
  if (auto dir = path.parent_path(); !dir.empty()) {
    std::error_code ec;
    if (!std::filesystem::exists(dir, ec)) {
      if (auto r = files::ensure_private_dir(dir); !r) return r;
    }
  }
  toml::table root{{"url", config.url},
                   {"ca_pin", config.ca_pin},
                   {"user", config.user},
                   {"token", config.token},
                   {"expires_at", config.expires_at}};
  std::ostringstream out;
  out << "# Helpline technician CLI. Holds a bearer token: keep it private (0600).\n"
      << root << "\n";
  return files::write_atomic(path, out.str(), 0600);
}

}  // namespace helpline::cli
