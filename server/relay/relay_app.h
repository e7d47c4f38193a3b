// The relay process: `init` creates a data dir, `serve` runs the agent
// listener and the technician API on one io_context thread until SIGTERM.
//
// Data dir layout (0700): relay.toml, relay.db (SQLite, WAL), ca.key/ca.pem,
// server.key/server.pem, listen.json (the bound addresses of a running relay).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/core/host_port.h"
#include "common/core/result.h"
#include "helpline/v1/api.pb.h"

namespace helpline::relay {

struct InitOptions {
  std::filesystem::path data_dir;
  HostPort agent_listen{"0.0.0.0", 8443};
  HostPort api_listen{"127.0.0.1", 8444};
  std::vector<std::string> names;  // extra names for the server certificate
  std::string admin_user = "admin";
};

// Errors: "data_dir_exists" when the directory has content; others from the
// CA, config and store. A failed init removes what it created.
[[nodiscard]] Result<v1::api::InitReport> init_relay(const InitOptions& options);

struct ServeOptions {
  std::filesystem::path data_dir;
  std::optional<HostPort> agent_listen;  // overrides relay.toml
  std::optional<HostPort> api_listen;
  std::string log_level;                 // overrides relay.toml when set
  bool log_json = false;
};

// Runs until SIGTERM/SIGINT. Errors: configuration and listener failures.
[[nodiscard]] Result<void> serve_relay(const ServeOptions& options);

}  // namespace helpline::relay
