#include "tests/bench/loopback.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

namespace helpline::bench {

namespace {

[[nodiscard]] tl::unexpected<Error> io_error(const std::string& what, int error) {
  return fail("io_error", what + ": " + std::strerror(error));
}

[[nodiscard]] sockaddr_in loopback_address(std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

[[nodiscard]] Result<void> make_non_blocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL, 0);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
    return io_error("fcntl(O_NONBLOCK)", errno);
  }
  return {};
}

[[nodiscard]] Result<void> set_no_delay(int fd) {
  const int on = 1;
  if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) != 0) {
    return io_error("setsockopt(TCP_NODELAY)", errno);
  }
  return {};
}

// Waits for `events` on `fd`; false when the deadline passed first.
[[nodiscard]] Result<bool> wait_for(int fd, short events, Clock::time_point deadline) {
  // Each round either returns or sleeps until the deadline comes closer.
  for (;;) {
    const auto now = Clock::now();
    if (now >= deadline) return false;
    pollfd entry{fd, events, 0};
    const int ready = ::poll(&entry, 1, poll_timeout_ms(now, deadline));
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return io_error("poll", errno);
  }
}

}  // namespace

Fd::Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

Fd::~Fd() {
  if (fd_ >= 0) ::close(fd_);
}

Result<Listener> listen_loopback() {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return io_error("socket", errno);
  sockaddr_in address = loopback_address(0);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    return io_error("bind 127.0.0.1:0", errno);
  }
  if (::listen(fd.get(), 1) != 0) return io_error("listen", errno);
  socklen_t length = sizeof address;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return io_error("getsockname", errno);
  }
  if (auto ok = make_non_blocking(fd.get()); !ok) return fail(ok.error());
  return Listener{std::move(fd), ntohs(address.sin_port)};
}

Result<Fd> accept_connection(const Listener& listener, Clock::time_point deadline) {
  // Bounded by the deadline: wait_for returns false once it has passed.
  for (;;) {
    auto ready = wait_for(listener.fd.get(), POLLIN, deadline);
    if (!ready) return fail(ready.error());
    if (!*ready) return fail("timeout", "no connection arrived on the loopback listener");
    Fd fd(::accept4(listener.fd.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd.valid()) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
      return io_error("accept", errno);
    }
    if (auto ok = set_no_delay(fd.get()); !ok) return fail(ok.error());
    return fd;
  }
}

Result<Fd> connect_loopback(std::uint16_t port, Clock::time_point deadline) {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return io_error("socket", errno);
  if (auto ok = set_no_delay(fd.get()); !ok) return fail(ok.error());
  const sockaddr_in address = loopback_address(port);
  const std::string target = "connect to 127.0.0.1:" + std::to_string(port);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    if (errno != EINPROGRESS) return io_error(target, errno);
    auto ready = wait_for(fd.get(), POLLOUT, deadline);
    if (!ready) return fail(ready.error());
    if (!*ready) return fail("timeout", target + " did not complete");
    int error = 0;
    socklen_t length = sizeof error;
    if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &length) != 0) {
      return io_error("getsockopt(SO_ERROR)", errno);
    }
    if (error != 0) return io_error(target, error);
  }
  return fd;
}

int poll_timeout_ms(Clock::time_point now, Clock::time_point deadline) {
  if (deadline <= now) return 0;
  constexpr auto kCap = std::chrono::hours(1);
  const auto left = std::min<Clock::duration>(deadline - now, kCap);
  return static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(left).count());
}

}  // namespace helpline::bench
