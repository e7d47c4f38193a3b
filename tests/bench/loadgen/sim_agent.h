// One simulated agent: the real agent's protocol over a TunnelConn. It
// connects with its enrolled certificate, says Hello, sends heartbeats on
// the wire::Liveness schedule the agent uses, answers Ping with Pong (and
// any other request with an "unsupported" error, as a minimal agent
// would; a collect request with the BulkBundle it was given, streamed on a
// "bundle" channel as agent/diag does), and after losing the link reconnects after wire::Backoff's delay
// with the agent's default BackoffConfig: what 10,000 real agents would do
// when their relay restarts.
//
// Lifetime: shared_ptr; start() once, stop() to end it for good (it says
// Goodbye when online). Thread: its executor's thread; start() and stop()
// may be called from any thread (they post).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/wire/wire.h"
#include "tests/bench/loadgen/bulk_bundle.h"
#include "tests/bench/loadgen/identity_cache.h"
#include "tests/bench/loadgen/swarm_stats.h"
#include "tests/bench/loadgen/tunnel_conn.h"

namespace helpline::loadgen {

struct AgentConfig {
  asio::ip::tcp::endpoint relay;
  SSL_CTX* tls_context = nullptr;   // pins the relay CA; shared by every agent
  std::chrono::milliseconds heartbeat{30'000};
  std::chrono::milliseconds connect_timeout{30'000};  // the agent's default
  wire::BackoffConfig backoff;      // the agent's default
};

class SimAgent : public std::enable_shared_from_this<SimAgent> {
 public:
  // `identity`, `config` and `stats` must outlive the agent.
  SimAgent(asio::any_io_executor executor, const AgentIdentity& identity,
           asio::ip::address source, const AgentConfig& config, SwarmStats& stats,
           std::size_t index);

  void start();
  void stop();
  // The bundle this agent streams when asked to collect (the relay
  // throughput measurement); without one it refuses collect requests.
  // Returns once the agent's thread has it (not from that thread).
  void set_bundle(std::shared_ptr<const BulkBundle> bundle);

 private:
  asio::awaitable<void> run();
  asio::awaitable<Result<void>> one_link();
  void on_control(const v1::Frame& frame);
  void on_request(const v1::Request& request);
  void on_stream_event(const wire::MuxEvent& event);
  void start_upload(std::uint64_t request_id);
  void pump_upload();
  void answer_error(std::uint64_t request_id, const std::string& code, const std::string& message);
  void arm_liveness_timer();
  void on_liveness_timer();
  void send(v1::Frame frame);

  asio::any_io_executor executor_;
  const AgentIdentity& identity_;
  asio::ip::address source_;
  const AgentConfig& config_;
  SwarmStats& stats_;
  std::size_t index_;
  std::shared_ptr<TunnelConn> conn_;
  asio::steady_timer liveness_timer_;
  asio::steady_timer retry_timer_;
  std::optional<wire::Liveness> liveness_;
  wire::Backoff backoff_;
  std::uint64_t counted_epoch_ = 0;
  std::shared_ptr<const BulkBundle> bundle_;
  struct Upload {
    std::uint32_t channel = 0;
    std::uint64_t request_id = 0;
    std::size_t offset = 0;
  };
  std::optional<Upload> upload_;
  Clock::time_point up_since_{};
  bool online_ = false;
  bool stopping_ = false;
};

}  // namespace helpline::loadgen
