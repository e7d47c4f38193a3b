// Reconnect delay: exponential backoff with full jitter, so that thousands of
// agents returning after a relay restart spread out instead of arriving at
// once. The cap grows 1 s, 2 s, 4 s ... up to 5 min; each delay is drawn
// uniformly from [0, cap] (at least `floor`). A link that stayed up for
// `stable_after` resets the sequence. Sans-IO: randomness and time come in.
#pragma once

#include <chrono>
#include <cstdint>

namespace helpline::wire {

struct BackoffConfig {
  std::chrono::milliseconds initial{1000};
  std::chrono::milliseconds max{5 * 60 * 1000};
  std::chrono::milliseconds floor{100};  // never retry faster than this
  std::chrono::milliseconds stable_after{60 * 1000};
};

class Backoff {
 public:
  explicit Backoff(BackoffConfig config = {});

  // Delay before the next attempt; `random` is a uniformly random 64-bit
  // value from the caller. Advances the attempt count.
  [[nodiscard]] std::chrono::milliseconds next_delay(std::uint64_t random);

  // The link came up / went down after `up_for`: a long enough link resets.
  void on_link_lost(std::chrono::milliseconds up_for);
  void reset() { attempt_ = 0; }

  [[nodiscard]] unsigned attempt() const { return attempt_; }
  [[nodiscard]] std::chrono::milliseconds current_cap() const;

 private:
  BackoffConfig config_;
  unsigned attempt_ = 0;
};

}  // namespace helpline::wire
