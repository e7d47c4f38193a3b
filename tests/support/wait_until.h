// Bounded polling: the way end-to-end tests wait for another process to
// reach a state, instead of sleeping a fixed time and hoping.
#pragma once

#include <chrono>
#include <thread>

namespace helpline::testing {

// Calls `predicate` until it returns true or `timeout` has passed, pausing
// `poll` between calls. Returns the predicate's last answer, so a condition
// that becomes true exactly at the deadline still counts.
template <class Predicate>
[[nodiscard]] bool wait_until(Predicate&& predicate, std::chrono::milliseconds timeout,
                              std::chrono::milliseconds poll = std::chrono::milliseconds(50)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!predicate()) {
    if (std::chrono::steady_clock::now() >= deadline) return predicate();
    std::this_thread::sleep_for(poll);
  }
  return true;
}

}  // namespace helpline::testing
