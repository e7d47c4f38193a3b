// Counters every simulated agent updates and the controller reads: plain
// relaxed atomics, read as a consistent-enough snapshot between phases.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace helpline::loadgen {

struct SwarmStats {
  std::atomic<std::int64_t> online{0};           // HelloAck received, link still up
  std::atomic<std::uint64_t> handshakes{0};      // TLS handshakes completed (agent links)
  std::atomic<std::uint64_t> hellos_acked{0};
  std::atomic<std::uint64_t> failed_refused{0};  // connection refused (relay down)
  std::atomic<std::uint64_t> failed_timeout{0};  // no TCP + TLS within the connect timeout
  std::atomic<std::uint64_t> failed_tls{0};      // TLS handshake or record failure
  std::atomic<std::uint64_t> failed_other{0};    // anything else before online
  std::atomic<std::uint64_t> links_lost{0};      // an online link ended
  std::atomic<std::uint64_t> heartbeats_sent{0};
  std::atomic<std::uint64_t> heartbeat_acks{0};
  std::atomic<std::uint64_t> pings_answered{0};
  std::atomic<std::uint64_t> requests_refused{0};  // requests a simulated agent does not serve
  // Reconnect accounting: mark() bumps the epoch; an agent coming online
  // counts once per epoch in back_since_mark.
  std::atomic<std::uint64_t> epoch{0};
  std::atomic<std::uint64_t> back_since_mark{0};

  [[nodiscard]] std::uint64_t failures() const {
    return failed_refused.load() + failed_timeout.load() + failed_tls.load() + failed_other.load();
  }
};

// What a failed connection attempt counts as, from its error code.
inline void count_failure(SwarmStats& stats, const std::string& code) {
  if (code == "refused") {
    ++stats.failed_refused;
  } else if (code == "timeout") {
    ++stats.failed_timeout;
  } else if (code == "tls_handshake" || code == "tls_error") {
    ++stats.failed_tls;
  } else {
    ++stats.failed_other;
  }
}

}  // namespace helpline::loadgen
