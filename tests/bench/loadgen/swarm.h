// The simulated agents and the threads that run them: one io_context per
// thread, agents spread round-robin over them (and over the loopback
// source addresses), started at a ramp rate.
//
// Thread: the controlling thread calls everything here; the agents run on
// the swarm's own threads and report through stats().
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

#include "tests/bench/loadgen/identity_cache.h"
#include "tests/bench/loadgen/sim_agent.h"
#include "tests/bench/loadgen/swarm_stats.h"

namespace helpline::loadgen {

struct RampReport {
  std::size_t target = 0;
  std::size_t online = 0;         // when the ramp ended
  double seconds = 0;             // from the first start to all online (or the timeout)
  double handshakes_per_s = 0;    // completed TLS handshakes over that time
  std::uint64_t failures = 0;     // failed connection attempts during the ramp
  bool timed_out = false;
};

struct StormReport {
  std::size_t expected = 0;
  std::size_t back = 0;           // agents online again since mark()
  double seconds = 0;             // from mark() until all were back (or the timeout)
  std::uint64_t failures = 0;     // failed connection attempts since mark()
  std::uint64_t refused = 0, timeouts = 0, tls = 0, other = 0;
  bool timed_out = false;
};

class Swarm {
 public:
  Swarm(unsigned threads, AgentConfig config, std::vector<asio::ip::address> sources);
  Swarm(const Swarm&) = delete;
  Swarm& operator=(const Swarm&) = delete;
  // Stops every agent and joins the threads.
  ~Swarm();

  [[nodiscard]] std::vector<asio::io_context*> contexts();
  [[nodiscard]] SwarmStats& stats() { return stats_; }
  [[nodiscard]] const std::vector<asio::ip::address>& sources() const { return sources_; }
  [[nodiscard]] std::size_t started() const { return agents_.size(); }
  // Running agent `i` (< started()).
  [[nodiscard]] SimAgent& agent(std::size_t i) { return *agents_.at(i); }
  // The agents' TLS context (not owned); set before the first ramp_to().
  void set_tls_context(SSL_CTX* ctx) { config_.tls_context = ctx; }

  // Starts agents until `target` are running (identities[i] for agent i),
  // `rate` per second, and waits until `target` are online or `timeout`.
  [[nodiscard]] RampReport ramp_to(std::size_t target, double rate,
                                   const std::deque<AgentIdentity>& identities,
                                   std::chrono::seconds timeout);
  // Stops agents (Goodbye) above `target`, newest first.
  void shrink_to(std::size_t target);

  // Starts a reconnect measurement (e.g. just before the relay restarts).
  void mark();
  // Waits until every running agent came online again after mark().
  [[nodiscard]] StormReport wait_back(std::chrono::seconds timeout);

 private:
  struct Snapshot {
    std::uint64_t refused, timeouts, tls, other;
  };
  [[nodiscard]] Snapshot failures_now() const;

  AgentConfig config_;
  std::vector<asio::ip::address> sources_;
  SwarmStats stats_;
  std::vector<std::unique_ptr<asio::io_context>> contexts_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards_;
  std::vector<std::thread> threads_;
  std::vector<std::shared_ptr<SimAgent>> agents_;
  Clock::time_point mark_time_{};
  Snapshot mark_failures_{};
};

}  // namespace helpline::loadgen
