// One benchmark scenario: a fresh loopback TCP connection with a relay
// thread and an agent thread, each running a TunnelPeer (TLS 1.3 with mutual
// authentication, then the wire multiplexer). The agent says Hello, the
// relay checks it against the client certificate and answers HelloAck; then
// the agent may stream bulk data on a channel of kind "bulk" while the relay
// sends Request{ping} on channel 0 and times each Response{pong}. The relay
// ends the link with a Goodbye once its work is done.
//
// Thread: run_scenario() blocks the caller until both threads are joined.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/core/result.h"
#include "tests/bench/bench_pki.h"
#include "tests/bench/loopback.h"

namespace helpline::bench {

enum class BulkMode {
  kNone,       // no bulk channel
  kFixed,      // exactly bulk_bytes, then the agent closes the channel
  kUntilDone,  // as fast as credit allows until the relay has all its pongs
};

struct ScenarioConfig {
  BulkMode bulk = BulkMode::kNone;
  std::uint64_t bulk_bytes = 0;  // kFixed only
  std::size_t pings = 0;         // kUntilDone needs at least one
  std::chrono::microseconds ping_interval{2000};
  std::uint32_t max_data_chunk = 16u * 1024;   // wire::MuxConfig::max_data_chunk, both sides
  std::uint32_t initial_window = 256u * 1024;  // wire::MuxConfig::initial_window, both sides
  Clock::time_point deadline;
};

struct ScenarioResult {
  std::string cipher;                 // the negotiated TLS 1.3 cipher suite
  std::uint64_t bulk_bytes = 0;       // received and verified by the relay
  Clock::duration bulk_duration{};    // relay saw the open .. the close (kFixed) or the last pong
  std::vector<Clock::duration> rtts;  // one per ping, in sending order
};

// Errors: the first failure of either side (TLS, wire, I/O, "timeout" at
// the deadline), or "bench_failed" when the link closed before the relay
// finished its work.
[[nodiscard]] Result<ScenarioResult> run_scenario(const BenchContexts& contexts,
                                                  const ScenarioConfig& config);

}  // namespace helpline::bench
