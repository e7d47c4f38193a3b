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

struct CollectArgs {
  // agent.toml here gives the device id and the optional [collect] table;
  // without one (not enrolled) the defaults apply.
  std::filesystem::path state_dir;
  std::string sections;                      // "system,logs"; empty: every section
  std::optional<std::string> since;          // journal from this long ago ("2h")
  std::optional<std::filesystem::path> out;  // default: ./helpline-bundle-<host>-<time>.hlb
  std::filesystem::path root = "/";          // read files below this (tests)
  bool json = false;
};
// Collects, redacts and writes a bundle (mode 0600), then prints its id,
// sizes, collector summary and findings. Needs no relay. Errors:
// "unknown_section" listing the valid ones, "bad_duration", "bad_config",
// "bad_redact_pattern", "write_failed", and collect_bundle's.
[[nodiscard]] Result<std::string> collect_command(const CollectArgs& args);

struct ShowArgs {
  std::filesystem::path file;
  bool json = false;
};
// A readable summary of a bundle file with its findings. Errors:
// "read_failed", and the decoder's ("truncated", "corrupted",
// "not_a_bundle", "too_large", "unsupported_version") naming the file.
[[nodiscard]] Result<std::string> show_command(const ShowArgs& args);

}  // namespace helpline::agent
