#include "tests/bench/tunnel_scenario.h"

#include <thread>
#include <utility>

#include "common/tls/tls.h"
#include "common/wire/wire.h"
#include "tests/bench/bench_sides.h"
#include "tests/bench/tunnel_peer.h"

namespace helpline::bench {

namespace {

[[nodiscard]] wire::MuxConfig mux_config(wire::Role role, const ScenarioConfig& config) {
  wire::MuxConfig mux;
  mux.role = role;
  mux.max_data_chunk = config.max_data_chunk;
  mux.initial_window = config.initial_window;
  return mux;
}

[[nodiscard]] Result<void> run_relay(const BenchContexts& contexts, const Listener& listener,
                                     const ScenarioConfig& config, RelaySide& side) {
  auto socket = accept_connection(listener, config.deadline);
  if (!socket) return fail(socket.error().code, "relay: " + socket.error().message);
  auto session = tls::TlsSession::server(contexts.relay.get());
  if (!session) return fail(session.error());
  TunnelPeer peer("relay", std::move(*socket), std::move(*session),
                  mux_config(wire::Role::kRelay, config), config.deadline);
  return peer.run(side);
}

[[nodiscard]] Result<void> run_agent(const BenchContexts& contexts, std::uint16_t port,
                                     const ScenarioConfig& config, AgentSide& side) {
  auto socket = connect_loopback(port, config.deadline);
  if (!socket) return fail(socket.error().code, "agent: " + socket.error().message);
  auto session = tls::TlsSession::client(contexts.agent.get(), kRelayHost);
  if (!session) return fail(session.error());
  TunnelPeer peer("agent", std::move(*socket), std::move(*session),
                  mux_config(wire::Role::kAgent, config), config.deadline);
  return peer.run(side);
}

}  // namespace

Result<ScenarioResult> run_scenario(const BenchContexts& contexts, const ScenarioConfig& config) {
  auto listener = listen_loopback();
  if (!listener) return fail(listener.error());

  RelaySide relay(config);
  AgentSide agent(config);
  Result<void> relay_outcome;
  Result<void> agent_outcome;
  // Each thread writes only its own outcome and handler; both are read
  // after join().
  std::thread relay_thread([&] { relay_outcome = run_relay(contexts, *listener, config, relay); });
  std::thread agent_thread(
      [&] { agent_outcome = run_agent(contexts, listener->port, config, agent); });
  relay_thread.join();
  agent_thread.join();

  if (!relay_outcome) {
    Error error = relay_outcome.error();
    if (!agent_outcome) error.message += " (agent: " + agent_outcome.error().to_string() + ")";
    return fail(std::move(error));
  }
  if (!agent_outcome) return fail(agent_outcome.error());
  if (!relay.finished()) {
    return fail("bench_failed", "the link closed before the relay finished its work");
  }
  return relay.result();
}

}  // namespace helpline::bench
