// Heartbeat timing for one link, sans-IO: the caller passes the time in and
// asks for the next deadline. Both sides send a Heartbeat every `interval`
// of silence-on-send and declare the link dead after `dead_after` without
// receiving anything at all (any frame counts).
#pragma once

#include <chrono>
#include <cstdint>

#include "helpline/v1/tunnel.pb.h"

namespace helpline::wire {

class Liveness {
 public:
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;

  enum class Action { kNone, kSendHeartbeat, kDead };

  // dead_after defaults to three intervals (and follows set_interval()
  // unless given). Intervals below 1 ms are raised to 1 ms.
  explicit Liveness(std::chrono::milliseconds interval,
                    std::chrono::milliseconds dead_after = std::chrono::milliseconds(0));

  void start(TimePoint now);
  void on_receive(TimePoint now);  // any inbound frame
  void on_send(TimePoint now);     // any outbound frame (defers the heartbeat)

  // What is due at `now`. kSendHeartbeat advances the send deadline; the
  // caller then sends Heartbeat{seq = next_seq()}.
  [[nodiscard]] Action on_tick(TimePoint now);
  [[nodiscard]] TimePoint next_deadline() const;
  [[nodiscard]] std::uint64_t next_seq() { return ++seq_; }

  // Moves the pending heartbeat deadline by the change (from the last send).
  void set_interval(std::chrono::milliseconds interval);
  [[nodiscard]] std::chrono::milliseconds interval() const { return interval_; }

 private:
  std::chrono::milliseconds interval_;
  std::chrono::milliseconds dead_after_;
  bool explicit_dead_after_;
  TimePoint last_receive_{};
  TimePoint next_send_{};
  std::uint64_t seq_ = 0;
};

// The answer to a peer's Heartbeat: a HeartbeatAck echoing its seq and
// sent_at_ms (the peer measures the round trip from them).
[[nodiscard]] v1::Frame heartbeat_ack(const v1::Heartbeat& heartbeat);

}  // namespace helpline::wire
