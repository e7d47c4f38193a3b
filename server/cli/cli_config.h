// The technician CLI's configuration: which relay, its CA pin, and the
// bearer token of the current login. Stored as TOML (0600) at
// $HELPLINE_CONFIG, else $XDG_CONFIG_HOME/helpline/config.toml, else
// ~/.config/helpline/config.toml.
#pragma once

#include <filesystem>
#include <string>

#include "common/core/result.h"

namespace helpline::cli {

struct CliConfig {
  std::string url;         // https://HOST:PORT
  std::string ca_pin;      // SHA256:<hex> of the relay CA
  std::string user;
  std::string token;       // bearer token; empty when logged out
  std::string expires_at;  // RFC 3339
};

[[nodiscard]] std::filesystem::path config_path();

// Errors: "not_logged_in" when the file is missing, "bad_config" naming the
// field when it is malformed.
[[nodiscard]] Result<CliConfig> load_config(const std::filesystem::path& path);
[[nodiscard]] Result<void> save_config(const std::filesystem::path& path, const CliConfig& config);

}  // namespace helpline::cli
