// The agent's state directory: what enrollment produced and what `run`
// reports. Public face of agent/state.
//
//   agent.toml   relay, ca_pin, device_id, group, enrolled_at, heartbeat,
//                optional proxy, optional [collect] table          0600
//   key.pem      the device's private key                          0600
//   cert.pem     the device certificate the relay's CA signed      0644
//   ca.pem       the relay CA (its fingerprint is ca_pin)          0644
//   status.json  written by `run`: connected, last error, pid      0644
//
// The directory itself is 0700. Every error names the file and, for
// agent.toml, the field ("agent.toml: relay: expected host:port"). Loading
// never writes; saving writes each file atomically and agent.toml last, so
// a directory with agent.toml is a complete enrollment.
//
// Thread: none; plain functions over the file system.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/result.h"
#include "common/core/time_format.h"
#include "common/session/session.h"

namespace helpline::agent {

inline constexpr std::string_view kConfigFile = "agent.toml";
inline constexpr std::string_view kKeyFile = "key.pem";
inline constexpr std::string_view kCertFile = "cert.pem";
inline constexpr std::string_view kCaFile = "ca.pem";
inline constexpr std::string_view kStatusFile = "status.json";

inline constexpr std::chrono::seconds kDefaultHeartbeat{30};
inline constexpr std::chrono::seconds kMinHeartbeat{1};
inline constexpr std::chrono::seconds kMaxHeartbeat{3600};

// A host and port as written in config and on the command line:
// "relay.example.com:8443", "10.0.0.5:8443", "[2001:db8::1]:8443".
struct Endpoint {
  std::string host;  // without brackets
  std::uint16_t port = 0;

  // host:port, with brackets around an IPv6 literal.
  [[nodiscard]] std::string to_string() const;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

// Errors: "bad_endpoint" explaining the expected form.
[[nodiscard]] Result<Endpoint> parse_endpoint(std::string_view text);

// The optional [collect] table of agent.toml: what a diagnostic collection
// reads beyond the defaults and which extra secrets it redacts
// (docs/agent.md, docs/redaction.md).
struct CollectConfig {
  // Extra redaction regexes (ECMAScript), counted as custom_1, custom_2, ...
  // Checked when agent.toml is parsed: one that does not compile is refused.
  std::vector<std::string> redact_patterns;
  std::vector<std::string> log_files;          // absolute paths whose tails are collected
  std::optional<std::size_t> max_log_entries;  // journal and kernel, each; unset: default
  std::optional<std::size_t> top_processes;    // per list; unset: default

  friend bool operator==(const CollectConfig&, const CollectConfig&) = default;
};

inline constexpr std::size_t kMaxCollectLogFiles = 64;
inline constexpr std::size_t kMaxRedactPatterns = 64;
inline constexpr std::size_t kMaxCollectLogEntries = 100000;
inline constexpr std::size_t kMaxCollectTopProcesses = 1000;

// The optional [sessions] table of agent.toml: what remote sessions may do
// on this machine (docs/sessions.md). The relay cannot change any of it.
struct SessionsConfig {
  // The pinned consent policy: the agent applies the stricter of this and
  // what the relay says per session. Written at enrollment from the group's
  // policy; "prompt" when absent.
  ::helpline::session::Policy consent_policy = ::helpline::session::Policy::kPrompt;
  bool allow_root_shell = false;   // a technician (l3+) may ask for a root shell
  std::vector<std::string> file_roots{"/home", "/tmp"};  // where pull/push may go
  std::uint64_t max_file_bytes = 1ull << 30;
  std::vector<std::uint32_t> forward_ports{5900, 3389};  // loopback ports a forward may reach
  std::chrono::seconds idle_timeout{900};  // no traffic this long ends the session
  std::optional<std::string> shell;        // absolute path; unset: the user's login shell
  // TEST ONLY: who counts as logged in at the seat, instead of asking
  // systemd-logind ("" = nobody). Consent answers, the shell's account and
  // "no user logged in" all follow it. Logged as a warning at every start;
  // never written by enrollment or the installers.
  std::optional<std::string> test_seat_user;

  friend bool operator==(const SessionsConfig&, const SessionsConfig&) = default;
};

inline constexpr std::size_t kMaxFileRoots = 32;
inline constexpr std::size_t kMaxForwardPorts = 64;

// The contents of agent.toml.
struct AgentConfig {
  Endpoint relay;
  std::string ca_pin;     // "SHA256:<64 lowercase hex>"
  std::string device_id;  // the certificate's CN
  std::string group;
  UnixMillis enrolled_at = 0;
  std::chrono::seconds heartbeat = kDefaultHeartbeat;
  // "http://host:port" (overrides https_proxy), "none" (ignore the
  // environment and connect directly), or unset (use the environment).
  std::optional<std::string> proxy;
  CollectConfig collect;
  SessionsConfig sessions;
};

// Errors: "bad_config" with "agent.toml: <field>: <what is wrong>"; unknown
// keys are refused so that a typo does not silently fall back to a default.
[[nodiscard]] Result<AgentConfig> parse_agent_config(std::string_view toml_text);
[[nodiscard]] std::string render_agent_config(const AgentConfig& config);

struct AgentState {
  std::filesystem::path dir;
  AgentConfig config;
  std::string key_pem;
  std::string cert_pem;
  std::string ca_pem;
};

// True when `dir` holds an agent.toml (complete or not).
[[nodiscard]] bool has_enrollment(const std::filesystem::path& dir);

// Reads and cross-checks everything: the key is private (no group/other
// access), the certificate matches the key and its CN is device_id, the CA's
// fingerprint is ca_pin. Errors: "not_enrolled" when agent.toml is missing,
// "bad_config", "bad_state" naming the file, "read_failed".
[[nodiscard]] Result<AgentState> load_state(const std::filesystem::path& dir);

// Creates the directory (0700) and writes key.pem, cert.pem, ca.pem, then
// agent.toml. Errors: "write_failed", "mkdir_failed".
[[nodiscard]] Result<void> save_state(const AgentState& state);

// What `run` reports about itself in status.json.
struct AgentStatus {
  bool connected = false;
  UnixMillis connected_since = 0;  // 0: not connected
  std::string last_error;
  UnixMillis last_error_at = 0;
  std::int64_t pid = 0;
  std::string relay;
};

[[nodiscard]] std::string render_status(const AgentStatus& status);
// Errors: "bad_state" naming status.json and what did not parse.
[[nodiscard]] Result<AgentStatus> parse_status(std::string_view json);

[[nodiscard]] Result<void> write_status(const std::filesystem::path& dir,
                                        const AgentStatus& status);
// std::nullopt when status.json does not exist (the agent never ran).
[[nodiscard]] Result<std::optional<AgentStatus>> read_status(const std::filesystem::path& dir);

}  // namespace helpline::agent
