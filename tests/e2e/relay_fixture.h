// The end-to-end fixture: a real helpline-relay in a temporary data dir on
// 127.0.0.1 (ports chosen by the kernel), an admin logged in with the real
// `helpline` CLI, and helpers to enroll and run real `helpline-agent`s.
//
// Every wait is a bounded poll. TearDown stops every process it started
// (SIGTERM, then SIGKILL after a grace) and, when the test failed, prints
// the tail of the relay's and the agents' stderr.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "helpline/v1/tunnel.pb.h"
#include "tests/support/json.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/tls_test_client.h"
#include "tests/support/wait_until.h"

namespace helpline::e2e {

using namespace std::chrono_literals;
using google::protobuf::Struct;
using helpline::testing::RunResult;

// Bounds, generous for a loaded machine running sanitizer builds.
inline constexpr std::chrono::milliseconds kCommandTimeout = 20s;    // one CLI run
inline constexpr std::chrono::milliseconds kOnlineTimeout = 5s;      // agent start -> online
inline constexpr std::chrono::milliseconds kReconnectTimeout = 40s;  // after a relay restart
inline constexpr std::chrono::milliseconds kStartTimeout = 15s;      // relay start -> listen.json
inline constexpr std::chrono::milliseconds kStopGrace = 6s;          // SIGTERM -> exit
inline constexpr std::chrono::milliseconds kPoll = 100ms;

// helpline-agent run's exit status when the relay revoked the device.
inline constexpr int kExitRevoked = 78;

struct EnrollToken {
  std::string token;
  std::string id;
};

struct EnrolledAgent {
  std::filesystem::path state;  // the agent's --state dir
  std::string device_id;

  // Set: the daemon's socket is here instead (a directory other local
  // users can reach, for tests that answer as another uid).
  std::filesystem::path socket_path;

  // The daemon's local socket: inside its state dir, so tests never touch
  // the machine's /run/helpline.
  [[nodiscard]] std::filesystem::path socket() const {
    return socket_path.empty() ? state / "agent.sock" : socket_path;
  }
};

class RelayFixture : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // --- the relay ---
  [[nodiscard]] const std::filesystem::path& data_dir() const { return data_dir_; }
  [[nodiscard]] std::uint16_t agent_port() const { return agent_port_; }
  [[nodiscard]] std::uint16_t api_port() const { return api_port_; }
  [[nodiscard]] const std::string& ca_pin() const { return ca_pin_; }
  [[nodiscard]] std::string api_url() const;
  [[nodiscard]] std::string agent_address() const;  // "127.0.0.1:PORT"
  [[nodiscard]] bool relay_running();
  // SIGTERM (expects exit 0 within kStopGrace and listen.json removed),
  // then starts again on the same ports so agents can come back.
  void restart_relay();
  // The two halves of restart_relay, for tests that need the relay down
  // for a while (agents keep retrying with their backoff meanwhile).
  void stop_relay();
  void start_relay_again();

  // --- commands ---
  // `helpline ARGS` as the logged-in admin.
  [[nodiscard]] RunResult cli(std::vector<std::string> args);
  // `helpline ARGS` with another config file (another login).
  [[nodiscard]] RunResult cli_with(const std::filesystem::path& config,
                                   std::vector<std::string> args, const std::string& password = "");
  [[nodiscard]] RunResult agent_command(std::vector<std::string> args);
  // `helpline-agent ARGS --socket <agent's socket>`: an end-user command
  // talking to that running agent.
  [[nodiscard]] RunResult agent_local(const EnrolledAgent& agent, std::vector<std::string> args);
  [[nodiscard]] RunResult relay_command(std::vector<std::string> args);
  // The options the fixture runs a command with (scrubbed environment,
  // the admin's CLI config), for tests that spawn it themselves
  // (Process::spawn) or change it first; run_options() runs it to the end.
  [[nodiscard]] helpline::testing::ProcessOptions cli_options(std::vector<std::string> args) const;
  [[nodiscard]] helpline::testing::ProcessOptions agent_options(
      std::vector<std::string> args) const;
  [[nodiscard]] RunResult run_options(helpline::testing::ProcessOptions options);
  [[nodiscard]] static std::filesystem::path agent_binary();
  // A command's stdout as a JSON object; nullopt (the failure recorded)
  // when the command failed or printed something else.
  [[nodiscard]] std::optional<Struct> json_output(const RunResult& run);
  // `helpline user add NAME --role ROLE` as the admin, then `login` as that
  // user with a CLI config of its own, whose path is returned (the
  // failure recorded when either step fails).
  [[nodiscard]] std::filesystem::path login_new_user(const std::string& name,
                                                     const std::string& role);

  // A fresh path inside the test's temp dir (not created).
  [[nodiscard]] std::filesystem::path path_for(std::string_view name) const;

  // --- enrollment and agents ---
  // `enroll-token create --json` plus `extra` args; empty on failure (the
  // failure is recorded).
  [[nodiscard]] EnrollToken create_token(std::vector<std::string> extra = {});
  // `helpline-agent enroll` into `state` (pin defaults to the relay's).
  [[nodiscard]] RunResult enroll(const std::filesystem::path& state, const std::string& token,
                                 const std::string& pin = "");
  // A new single-use token and a successful enrollment into path_for(name);
  // device_id is empty on failure (recorded).
  [[nodiscard]] EnrolledAgent enroll_agent(std::string_view name);
  // Starts `helpline-agent run --state ... --heartbeat 1s --socket
  // <agent.socket()>`, with `env`
  // added to its environment. The process belongs to the fixture (stopped
  // in TearDown); nullptr (failure recorded) when it cannot be spawned.
  helpline::testing::Process* start_agent(
      const EnrolledAgent& agent, std::vector<std::pair<std::string, std::string>> env = {});

  // `helpline devices --json`, parsed; empty with a recorded failure when
  // the command fails.
  [[nodiscard]] std::vector<Struct> devices();
  // One device of `devices()`, if listed.
  [[nodiscard]] std::optional<Struct> device(const std::string& id);
  // Polls `devices --json` until the device's `online` equals `online`.
  [[nodiscard]] bool wait_online(const std::string& id, std::chrono::milliseconds timeout,
                                 bool online = true);
  // `helpline devices ping ID --json` succeeded with the right device_id.
  [[nodiscard]] bool ping(const std::string& id);

  // --- raw protocol ---
  // Options for a raw TLS client trusting the relay CA, presenting the
  // agent's device certificate when `identity` is given.
  [[nodiscard]] helpline::testing::TlsClientOptions raw_client_options(
      const EnrolledAgent* identity = nullptr) const;
  [[nodiscard]] static v1::Frame hello_frame(const std::string& device_id);

 private:
  struct Child {
    std::string name;
    helpline::testing::Process process;
  };

  [[nodiscard]] helpline::testing::ProcessOptions options_for(const std::filesystem::path& program,
                                                              std::vector<std::string> args) const;
  [[nodiscard]] RunResult run(helpline::testing::ProcessOptions options);
  void init_relay();
  void start_relay(const std::vector<std::string>& listen_overrides);
  void login_admin();
  void stop_everything();
  void print_logs();

  helpline::testing::TempDir temp_{"helpline-e2e"};
  std::filesystem::path data_dir_;
  std::filesystem::path admin_config_;
  std::string ca_pin_;
  std::string admin_user_;
  std::string admin_password_;
  std::uint16_t agent_port_ = 0;
  std::uint16_t api_port_ = 0;
  int relay_starts_ = 0;
  int names_ = 0;
  std::optional<helpline::testing::Process> relay_;
  std::vector<std::filesystem::path> relay_logs_;
  std::list<Child> agents_;  // std::list: start_agent hands out references
};

// The next frame `wanted` accepts from a raw client, skipping others
// (heartbeats, catalog offers, ...); nullopt when the link closes or nothing
// matching comes within `timeout` of a read (at most 100 frames are read).
template <class Wanted>
[[nodiscard]] std::optional<v1::Frame> next_frame(
    helpline::testing::TlsTestClient& client, Wanted wanted,
    std::chrono::milliseconds timeout = kOnlineTimeout) {
  for (int i = 0; i < 100; ++i) {
    helpline::testing::FrameRead read = client.read_frame(timeout);
    if (read.kind != helpline::testing::FrameRead::Kind::kFrame) return std::nullopt;
    if (wanted(read.frame)) return read.frame;
  }
  return std::nullopt;
}

}  // namespace helpline::e2e
