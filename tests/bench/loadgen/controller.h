// What the load generator does, one command at a time, each answered with
// one line of JSON on stdout (progress goes to stderr). The same commands
// run from the command line (a one-shot run) or from stdin (--control, as
// scripts/bench drives it):
//
//   connect N         enroll what the cache lacks, then ramp to N agents online
//   shrink N          stop agents (Goodbye) above N
//   mark              start a reconnect measurement (before restarting the relay)
//   wait-back SECS    wait until every agent is back online since mark
//   ping COUNT [I]    COUNT technician pings, back to back, to agent I (default 0)
//   throughput MIB [RUNS] [I]
//                     a bundle of about MIB MiB from agent I through the relay's
//                     store to the technician, RUNS times (default 3)
//   token USES        an enrollment token (for the real agent beside the swarm)
//   stats             the counters
//   quit
//
// Thread: the calling thread; the swarm runs on its own.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/core/host_port.h"
#include "common/core/result.h"
#include "tests/bench/loadgen/identity_cache.h"
#include "tests/bench/loadgen/swarm.h"
#include "tests/bench/loadgen/technician.h"

namespace helpline::loadgen {

struct LoadgenOptions {
  HostPort relay;                       // the agent listener
  HostPort api;                         // the technician API
  std::string ca_pin;
  std::string user = "admin";
  std::string password;
  std::filesystem::path state_dir;      // identity cache
  double ramp = 2000;                   // new connections per second
  std::chrono::milliseconds heartbeat{30'000};
  unsigned threads = 2;
  unsigned sources = 8;                 // loopback source addresses
  std::string source_base = "127.0.0.2";
  std::chrono::seconds ramp_timeout{300};
  std::size_t enroll_concurrency = 32;  // per thread
  std::size_t max_load = SIZE_MAX;      // identities loaded from the cache
};

class Controller {
 public:
  // Errors: bad addresses, a bad pin, an unusable cache.
  [[nodiscard]] static Result<std::unique_ptr<Controller>> create(LoadgenOptions options);

  // Runs one command line; returns its JSON answer, or an error (bad
  // command, enrollment or login failure). "quit" is the caller's.
  [[nodiscard]] Result<std::string> run(const std::string& line);

 private:
  explicit Controller(LoadgenOptions options);
  [[nodiscard]] Result<std::string> connect(std::size_t n);
  [[nodiscard]] Result<std::string> ping(std::size_t count, std::size_t index);
  [[nodiscard]] Result<std::string> throughput(std::size_t mib, std::size_t runs, std::size_t index);
  [[nodiscard]] Result<void> ensure_identities(std::size_t n);
  [[nodiscard]] Result<void> ensure_login();
  [[nodiscard]] std::string stats_json();

  LoadgenOptions options_;
  tls::SslCtxPtr agent_tls_;    // relay CA pinned; identities set per connection
  tls::SslCtxPtr enroll_tls_;   // pin only, no identity
  std::unique_ptr<IdentityCache> cache_;
  std::unique_ptr<Swarm> swarm_;
  std::unique_ptr<Technician> technician_;
  bool logged_in_ = false;
  AgentConfig agent_config_;
};

}  // namespace helpline::loadgen
