// agent/link: the agent's one outbound tunnel to the relay. Public face of
// the module (the transport, proxy, dispatch and host-info headers it
// includes are part of it).
//
// A Link keeps a Transport up for as long as it runs: Hello after the TLS
// handshake, HelloAck or Goodbye back, heartbeats (wire::Liveness), a dead
// or dropped link reconnected after wire::Backoff's delay, requests and
// streams from the relay routed through its dispatch tables, status.json
// kept current. A Goodbye with code "revoked" stops it for good
// (exit_code() == kExitRevoked).
//
// Lifetime: create() it on a loop, start(), run the loop; stop() (e.g. on
// SIGTERM) says Goodbye, flushes for at most shutdown_flush, and closes
// every handle the Link owns; on_stopped then runs and the loop can end.
// Destroy the Link only after on_stopped (or before start()).
// Thread: the loop's thread only.
#pragma once

#include <uv.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "agent/link/dispatch.h"
#include "agent/link/host_info.h"
#include "agent/link/proxy.h"
#include "agent/link/transport.h"
#include "agent/state/agent_state.h"
#include "common/core/result.h"
#include "common/tls/tls.h"
#include "common/wire/wire.h"

namespace helpline::agent {

// EX_CONFIG from sysexits.h: the relay revoked this device; restarting
// will not help until it is enrolled again.
inline constexpr int kExitRevoked = 78;

struct LinkConfig {
  AgentState state;
  std::chrono::milliseconds heartbeat{kDefaultHeartbeat};
  HostInfo host;
  std::optional<Endpoint> proxy;  // already chosen (choose_proxy)
  wire::BackoffConfig backoff;
  std::chrono::milliseconds connect_timeout{30'000};
  std::chrono::milliseconds shutdown_flush{1'000};
  std::uint32_t max_frame_size = wire::kDefaultMaxFrameSize;
};

class Link {
 public:
  // Errors: "tls_config" when the state's key, certificate or CA cannot
  // make a TLS client context.
  [[nodiscard]] static Result<std::unique_ptr<Link>> create(uv_loop_t* loop, LinkConfig config);

  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;
  ~Link();

  // Register handlers before start().
  [[nodiscard]] RequestDispatcher& requests() { return requests_; }
  [[nodiscard]] ChannelRegistry& channels() { return channels_; }
  // The enrolled state the link runs with (device id, agent.toml).
  [[nodiscard]] const AgentState& state() const { return config_.state; }

  // Called once, when every handle the Link owns is closed.
  void set_on_stopped(std::function<void()> on_stopped) { on_stopped_ = std::move(on_stopped); }
  // Called each time the link is up (HelloAck received): a good moment to
  // send what waited (the spool).
  void set_on_up(std::function<void()> on_up) { on_up_ = std::move(on_up); }
  // Called after each status change (connected, lost, error), once written.
  void set_on_status(std::function<void(const AgentStatus&)> on_status) {
    on_status_ = std::move(on_status);
  }
  // Lets features add what they offer to each Hello (capabilities, the
  // installed catalog version). Called on the loop thread before each Hello.
  void set_hello_extras(std::function<void(v1::Hello&)> extras) {
    hello_extras_ = std::move(extras);
  }

  void start();
  // Graceful stop; idempotent.
  void stop();

  // Sends a request of the agent's own to the relay (tunnel.proto: requests
  // go both ways) and returns its id, which a stream answering it names
  // (ChannelRegistry::open's request_id). `on_response` runs exactly once,
  // on the loop thread: with the relay's Response (which may carry an
  // Error), or with an error "link_lost" when the link drops first,
  // "timeout" when no answer came within `timeout` (checked on heartbeat
  // ticks, so it fires up to one heartbeat interval late), or "stopped".
  // Errors (on_response is then not called): "link_lost" when the link is
  // not up.
  using ResponseHandler = std::function<void(Result<v1::Response>)>;
  [[nodiscard]] Result<std::uint64_t> request(v1::Request request,
                                              std::chrono::milliseconds timeout,
                                              ResponseHandler on_response);

  // 0 after stop(), kExitRevoked after the relay revoked the device.
  [[nodiscard]] int exit_code() const { return exit_code_; }
  [[nodiscard]] const std::string& exit_message() const { return exit_message_; }
  [[nodiscard]] bool connected() const { return phase_ == Phase::kUp; }

 private:
  enum class Phase { kIdle, kConnecting, kHelloSent, kUp, kWaiting, kStopped };

  Link(uv_loop_t* loop, LinkConfig config);

  static void on_reconnect_timer(uv_timer_t* timer);
  static void on_heartbeat_timer(uv_timer_t* timer);
  static void on_handle_closed(uv_handle_t* handle);

  void connect();
  void on_open();
  void on_event(wire::MuxEvent event);
  void on_control(const v1::Frame& frame);
  void on_hello_ack(const v1::HelloAck& ack);
  void on_response(const v1::Response& response);
  // Fails every outstanding request of ours with `error`.
  void fail_requests(const Error& error);
  void expire_requests();
  void on_goodbye(const v1::Goodbye& goodbye);
  void on_closed(const Error& error);
  void on_heartbeat();
  void schedule_heartbeat(bool after_idle_tick = false);
  void send(v1::Frame frame);
  [[nodiscard]] Reply make_reply();
  [[nodiscard]] v1::Frame make_hello() const;
  void finish_stop();
  void save_status();

  uv_loop_t* loop_;
  LinkConfig config_;
  tls::Identity identity_;
  tls::SslCtxPtr tls_context_;
  RequestDispatcher requests_;
  ChannelRegistry channels_;
  std::unique_ptr<Transport> transport_;

  uv_timer_t reconnect_timer_{};
  uv_timer_t heartbeat_timer_{};
  bool timers_open_ = false;
  int closes_pending_ = 0;

  wire::Backoff backoff_;
  std::optional<wire::Liveness> liveness_;
  Phase phase_ = Phase::kIdle;
  bool stopping_ = false;
  bool revoked_ = false;
  std::uint64_t generation_ = 0;  // bumps per connection; stale replies are dropped
  std::optional<v1::Goodbye> goodbye_;
  std::chrono::steady_clock::time_point up_since_{};
  AgentStatus status_;
  bool status_write_failed_ = false;
  int exit_code_ = 0;
  std::string exit_message_;
  struct OutgoingRequest {
    std::chrono::steady_clock::time_point deadline;
    ResponseHandler on_response;
  };
  std::map<std::uint64_t, OutgoingRequest> outgoing_;
  std::uint64_t next_request_id_ = 1;
  std::function<void()> on_up_;
  std::function<void()> on_stopped_;
  std::function<void(const AgentStatus&)> on_status_;
  std::function<void(v1::Hello&)> hello_extras_;
};

}  // namespace helpline::agent
