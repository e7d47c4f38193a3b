// Plain TCP on 127.0.0.1 for the tunnel benchmark: a listener on port 0 and
// the two ends of one connection, both non-blocking with TCP_NODELAY (as the
// relay and the agent set it). Every wait is bounded by a deadline.
//
// Errors: "io_error" naming the call that failed, "timeout" when the
// deadline passes first.
// Thread: any; each object has one owner.
#pragma once

#include <chrono>
#include <cstdint>

#include "common/core/result.h"

namespace helpline::bench {

using Clock = std::chrono::steady_clock;

// Owns one file descriptor; closes it on destruction.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept;
  Fd& operator=(Fd&& other) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd();

  [[nodiscard]] int get() const { return fd_; }
  [[nodiscard]] bool valid() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

struct Listener {
  Fd fd;
  std::uint16_t port = 0;
};

// A listening socket on 127.0.0.1 with a port the kernel picked.
[[nodiscard]] Result<Listener> listen_loopback();

// The next connection on `listener`, non-blocking, TCP_NODELAY.
[[nodiscard]] Result<Fd> accept_connection(const Listener& listener, Clock::time_point deadline);

// A connection to 127.0.0.1:`port`, non-blocking, TCP_NODELAY.
[[nodiscard]] Result<Fd> connect_loopback(std::uint16_t port, Clock::time_point deadline);

// Milliseconds for poll() until `deadline`: rounded up so that a wake-up is
// never early, 0 when it has passed, capped at an hour.
[[nodiscard]] int poll_timeout_ms(Clock::time_point now, Clock::time_point deadline);

}  // namespace helpline::bench
