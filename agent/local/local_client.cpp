#include "agent/local/local_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/local/local_socket.h"

namespace helpline::agent::local {

namespace {

using Clock = std::chrono::steady_clock;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  [[nodiscard]] int get() const { return fd_; }

 private:
  int fd_;
};

// Waits until `fd` is ready for `events` or the deadline passed.
[[nodiscard]] Result<void> wait_for(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return fail("timeout", "the agent did not answer in time");
    pollfd p{fd, events, 0};
    int rc = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 60'000)));
    if (rc > 0) return {};
    if (rc < 0 && errno != EINTR) return fail("local_io", std::strerror(errno));
  }
}

}  // namespace

Result<v1::LocalResponse> ask_agent(const std::filesystem::path& socket,
                                    const v1::LocalRequest& request,
                                    std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  sockaddr_un address{};
  if (socket.native().size() >= sizeof(address.sun_path)) {
    return fail("local_io", "socket path too long: " + socket.string());
  }
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, socket.c_str(), sizeof(address.sun_path) - 1);
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return fail("local_io", std::string("socket: ") + std::strerror(errno));
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    int err = errno;
    if (err == ENOENT || err == ECONNREFUSED) {
      return fail("agent_not_running",
                  "the Helpline agent is not running (no answer on " + socket.string() +
                      "); start it with `systemctl start helpline-agent` or `helpline-agent run`");
    }
    if (err == EACCES) {
      return fail("permission_denied", "not allowed to use " + socket.string());
    }
    return fail("local_io", "cannot reach " + socket.string() + ": " + std::strerror(err));
  }
  auto framed = frame_message(request.SerializeAsString());
  if (!framed) return fail(framed.error());
  std::size_t sent = 0;
  while (sent < framed->size()) {
    if (auto ready = wait_for(fd.get(), POLLOUT, deadline); !ready) return fail(ready.error());
    ssize_t n = ::send(fd.get(), framed->data() + sent, framed->size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail("local_io", std::string("sending: ") + std::strerror(errno));
    sent += static_cast<std::size_t>(n);
  }
  std::string buffer;
  char chunk[16 * 1024];
  for (;;) {
    auto whole = frame_length(buffer);
    if (!whole) return fail("bad_response", whole.error().message);
    if (*whole != 0) break;
    if (auto ready = wait_for(fd.get(), POLLIN, deadline); !ready) return fail(ready.error());
    ssize_t n = ::recv(fd.get(), chunk, sizeof(chunk), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("local_io", std::string("receiving: ") + std::strerror(errno));
    if (n == 0) return fail("local_io", "the agent closed the connection without answering");
    buffer.append(chunk, static_cast<std::size_t>(n));
  }
  v1::LocalResponse response;
  if (!response.ParseFromArray(buffer.data() + 4, static_cast<int>(buffer.size() - 4))) {
    return fail("bad_response", "the agent's answer does not parse (a different version?)");
  }
  return response;
}

}  // namespace helpline::agent::local
