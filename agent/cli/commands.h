// agent/cli: the helpline-agent subcommands behind main.cpp's argument
// parsing. Each returns what to print on success, or an Error that main
// prints as one line "helpline-agent: <message>" and turns into the exit
// code exit_code_for() gives.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "common/core/result.h"

namespace helpline::agent {

inline constexpr const char* kDefaultStateDir = "/var/lib/helpline/agent";
inline constexpr const char* kStateDirEnv = "HELPLINE_AGENT_STATE";

// --state if given, else $HELPLINE_AGENT_STATE, else kDefaultStateDir.
[[nodiscard]] std::filesystem::path state_dir_from(const std::optional<std::string>& flag);

// 78 for "revoked" (kExitRevoked), 1 for everything else.
[[nodiscard]] int exit_code_for(const Error& error);

struct EnrollArgs {
  std::string relay;
  std::string token;
  std::string ca_pin;
  std::filesystem::path state_dir;
  bool force = false;
  bool json = false;
};
// "enrolled as dev_x (group G) with relay HOST:PORT\n", or one JSON object.
[[nodiscard]] Result<std::string> enroll_command(const EnrollArgs& args);

struct RunArgs {
  std::filesystem::path state_dir;
  std::optional<std::string> heartbeat;  // overrides agent.toml
};
// Runs until SIGTERM/SIGINT (success) or until the relay revokes the
// device (error code "revoked"). Logging must be set up by the caller.
[[nodiscard]] Result<void> run_command(const RunArgs& args);

struct StatusArgs {
  std::filesystem::path state_dir;
  bool json = false;
};
[[nodiscard]] Result<std::string> status_command(const StatusArgs& args);

}  // namespace helpline::agent
