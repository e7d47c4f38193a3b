// `helpline session shell|pull|push|forward`: the CLI's side of a session's
// streams, over WebSockets to the relay (ws_client.h).
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <iostream>
#include <thread>

#include "common/session/session.h"
#include "common/tls/digest.h"
#include "helpline/v1/session.pb.h"
#include "server/cli/commands.h"
#include "server/cli/ws_client.h"

namespace helpline::cli {

namespace asio = boost::asio;
using asio::awaitable;

namespace {

constexpr std::size_t kChunk = 64 * 1024;

void write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

// The terminal in raw mode while a shell runs; restored on every exit path.
class RawTerminal {
 public:
  RawTerminal() {
    if (::isatty(STDIN_FILENO) == 0 || ::tcgetattr(STDIN_FILENO, &saved_) != 0) return;
    termios raw = saved_;
    ::cfmakeraw(&raw);
    if (::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0) active_ = true;
  }
  ~RawTerminal() {
    if (active_) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

 private:
  termios saved_{};
  bool active_ = false;
};

[[nodiscard]] std::pair<std::uint32_t, std::uint32_t> window_size() {
  winsize ws{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0) {
    return {ws.ws_col, ws.ws_row};
  }
  return {80, 24};
}

[[nodiscard]] std::string shell_frame(const v1::ShellFrame& frame) {
  return session::frame(frame.SerializeAsString());
}

// Messages to the relay, written one at a time by one coroutine.
class Outbox {
 public:
  explicit Outbox(asio::any_io_executor executor) : wake_(executor) {}
  void push(std::string bytes) {
    queue_.push_back(std::move(bytes));
    wake_.cancel();
  }
  void stop() {
    stopped_ = true;
    wake_.cancel();
  }
  awaitable<void> run(WsConnection& conn) {
    boost::system::error_code ec;
    while (!stopped_) {
      if (queue_.empty()) {
        wake_.expires_at(asio::steady_timer::time_point::max());
        co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      std::string next = std::move(queue_.front());
      queue_.pop_front();
      if (!co_await conn.write_binary(next)) co_return;
    }
  }

 private:
  asio::steady_timer wake_;
  std::deque<std::string> queue_;
  bool stopped_ = false;
};

}  // namespace

int run_shell(const ApiClient& client, const std::string& session) {
  auto [cols, rows] = window_size();
  const char* term_env = std::getenv("TERM");
  std::string term = term_env != nullptr && session::is_term_name(term_env) ? term_env
                                                                             : "xterm-256color";
  std::string target = "/api/v1/sessions/" + url_encode(session) + "/shell?cols=" +
                       std::to_string(cols) + "&rows=" + std::to_string(rows) + "&term=" + term;
  asio::io_context io;
  int rc = 1;
  std::string ending;
  bool done = false;
  int wake[2] = {-1, -1};
  if (::pipe(wake) != 0) return report_failure("cannot create a pipe");
  std::thread input;
  std::optional<RawTerminal> raw;
  Outbox outbox(io.get_executor());
  asio::signal_set winch(io, SIGWINCH);

  asio::co_spawn(io, [&]() -> awaitable<void> {
    auto opened = co_await WsConnection::open(client, target);
    if (!opened) {
      ending = opened.error().message;
      co_return;
    }
    WsConnection& conn = **opened;
    raw.emplace();
    // Keystrokes: a thread reads standard input (a terminal, a pipe or a
    // file all work) and hands each read to the loop.
    input = std::thread([&io, &outbox, &done, wake_fd = wake[0]] {
      char buffer[4096];
      while (true) {
        pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {wake_fd, POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0) {
          if (errno == EINTR) continue;
          return;
        }
        if (fds[1].revents != 0) return;
        ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;  // end of input: the shell stays until it exits
        std::string bytes(buffer, static_cast<std::size_t>(n));
        asio::post(io, [&outbox, &done, bytes = std::move(bytes)]() mutable {
          if (done) return;
          v1::ShellFrame frame;
          frame.set_data(std::move(bytes));
          outbox.push(shell_frame(frame));
        });
      }
    });
    std::function<void(const boost::system::error_code&, int)> on_winch =
        [&](const boost::system::error_code& ec, int) {
          if (ec || done) return;
          auto [c, r] = window_size();
          v1::ShellFrame frame;
          frame.mutable_resize()->set_cols(c);
          frame.mutable_resize()->set_rows(r);
          outbox.push(shell_frame(frame));
          winch.async_wait(on_winch);
        };
    winch.async_wait(on_winch);
    asio::co_spawn(io, outbox.run(conn), asio::detached);

    session::MessageDecoder decoder;
    std::optional<int> exit_status;
    while (true) {
      auto message = co_await conn.read();
      if (!message) {
        if (ending.empty()) ending = exit_status ? "" : message.error().message;
        break;
      }
      if (message->text) {
        if (message->end && !message->end->ok() && !exit_status) {
          ending = stream_end_text(*message->end);
        }
        continue;
      }
      if (!decoder.feed(message->data)) {
        ending = "the relay sent a frame that is too large";
        break;
      }
      while (auto bytes = decoder.next()) {
        v1::ShellFrame frame;
        if (!frame.ParseFromString(*bytes)) continue;
        if (frame.has_data()) write_all(STDOUT_FILENO, frame.data());
        if (frame.has_notice()) {
          std::string text = "\r\n[helpline: " + frame.notice() + "]\r\n";
          write_all(STDERR_FILENO, text);
        }
        if (frame.has_exit()) {
          exit_status = frame.exit().signal() != 0 ? 128 + frame.exit().signal()
                                                   : frame.exit().exit_code();
        }
      }
    }
    done = true;
    if (exit_status) rc = *exit_status;
    outbox.stop();
    boost::system::error_code ignored;
    winch.cancel(ignored);
    (void)::write(wake[1], "x", 1);
    co_await conn.close();
  }, asio::detached);
  io.run();
  if (input.joinable()) {
    (void)::write(wake[1], "x", 1);
    input.join();
  }
  raw.reset();
  ::close(wake[0]);
  ::close(wake[1]);
  if (!ending.empty()) {
    std::cerr << "\nhelpline: " << ending << "\n";
    return rc == 0 ? 1 : rc;
  }
  return rc;
}

int run_pull(const ApiClient& client, const std::string& session, const std::string& remote,
             const std::string& local) {
  std::string target = "/api/v1/sessions/" + url_encode(session) + "/pull?path=" + url_encode(remote);
  std::string part = local + ".helpline-part";
  int fd = ::open(part.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return report_failure("cannot write " + part + ": " + std::strerror(errno));
  asio::io_context io;
  std::string failure;
  v1::FileInfo info;
  std::uint64_t received = 0;
  tls::Sha256 digest;
  bool complete = false;
  asio::co_spawn(io, [&]() -> awaitable<void> {
    auto opened = co_await WsConnection::open(client, target);
    if (!opened) {
      failure = opened.error().message;
      co_return;
    }
    WsConnection& conn = **opened;
    session::MessageDecoder header;
    bool have_header = false;
    failure = co_await conn.read_to_end([&](std::string& bytes) -> std::string {
      if (!have_header) {
        if (!header.feed(bytes)) return "the device sent a bad file header";
        auto first = header.next();
        if (!first) return "";
        if (!info.ParseFromString(*first)) return "the device sent a bad file header";
        have_header = true;
        bytes = header.take_rest();
      }
      received += bytes.size();
      digest.update(bytes);
      write_all(fd, bytes);
      return "";
    });
    complete = failure.empty() && have_header;
  }, asio::detached);
  io.run();
  bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (failure.empty() && complete && received != info.size()) {
    failure = "received " + std::to_string(received) + " of " + std::to_string(info.size()) + " bytes";
  }
  if (failure.empty() && !complete) failure = "the stream ended before the file was complete";
  if (failure.empty() && !synced) failure = "cannot write " + part;
  if (!failure.empty()) {
    ::unlink(part.c_str());
    return report_failure(failure);
  }
  if (::rename(part.c_str(), local.c_str()) != 0) {
    ::unlink(part.c_str());
    return report_failure("cannot write " + local + ": " + std::strerror(errno));
  }
  std::cout << "Pulled " << info.path() << " (" << received << " bytes, sha256 " << digest.hex()
            << ") to " << local << "\n";
  return 0;
}

int run_push(const ApiClient& client, const std::string& session, const std::string& local,
             const std::string& remote) {
  int fd = ::open(local.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return report_failure("cannot read " + local + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return report_failure(local + " is not a regular file");
  }
  std::string target = "/api/v1/sessions/" + url_encode(session) + "/push?path=" +
                       url_encode(remote) + "&size=" + std::to_string(st.st_size) +
                       "&mode=" + std::to_string(st.st_mode & 0777);
  asio::io_context io;
  std::string failure;
  v1::FileWritten written;
  bool complete = false;
  tls::Sha256 digest;
  asio::co_spawn(io, [&]() -> awaitable<void> {
    auto opened = co_await WsConnection::open(client, target);
    if (!opened) {
      failure = opened.error().message;
      co_return;
    }
    WsConnection& conn = **opened;
    // The relay reads our next message only after the previous one fit
    // into the tunnel: awaiting each write is the flow control.
    std::string chunk(kChunk, '\0');
    while (true) {
      ssize_t n = ::read(fd, chunk.data(), chunk.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        failure = "cannot read " + local + ": " + std::strerror(errno);
        break;
      }
      if (n == 0) break;
      std::string_view piece(chunk.data(), static_cast<std::size_t>(n));
      digest.update(piece);
      if (!co_await conn.write_binary(piece)) break;  // the answer says why
    }
    if (failure.empty()) (void)co_await conn.send_eof();
    session::MessageDecoder decoder;
    std::string ended = co_await conn.read_to_end([&](std::string& bytes) -> std::string {
      if (decoder.feed(bytes)) {
        if (auto m = decoder.next()) (void)written.ParseFromString(*m);
      }
      return "";
    });
    if (failure.empty()) failure = ended;
    complete = ended.empty();
  }, asio::detached);
  io.run();
  ::close(fd);
  if (!failure.empty()) return report_failure(failure);
  if (!complete || written.path().empty()) {
    return report_failure("the device did not confirm the file");
  }
  std::string local_hash = digest.hex();
  if (written.sha256() != local_hash) {
    return report_failure("the device wrote a file with another SHA-256 (" + written.sha256() +
                          ") than " + local + " (" + local_hash + ")");
  }
  std::cout << "Pushed " << local << " to " << written.path() << " (" << written.size()
            << " bytes, sha256 " << written.sha256() << ")\n";
  return 0;
}

int run_forward(const ApiClient& client, const std::string& session, std::uint16_t local_port,
                std::uint16_t remote_port, bool once) {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io);
  boost::system::error_code ec;
  asio::ip::tcp::endpoint where(asio::ip::make_address("127.0.0.1"), local_port);
  acceptor.open(where.protocol(), ec);
  if (!ec) acceptor.set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(where, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return report_failure("cannot listen on 127.0.0.1:" + std::to_string(local_port) + ": " +
                          ec.message());
  }
  std::string target = "/api/v1/sessions/" + url_encode(session) +
                       "/forward?port=" + std::to_string(remote_port);
  std::cerr << "Forwarding 127.0.0.1:" << acceptor.local_endpoint().port() << " to port "
            << remote_port << " on the device of " << session
            << (once ? " (one connection)" : " (Ctrl-C to stop)") << "\n";
  int rc = 0;
  asio::signal_set stop(io, SIGINT, SIGTERM);
  stop.async_wait([&](const boost::system::error_code& e, int) {
    if (!e) acceptor.close();
  });

  auto serve = [&](asio::ip::tcp::socket socket) -> awaitable<void> {
    auto opened = co_await WsConnection::open(client, target);
    if (!opened) {
      std::cerr << "helpline: " << opened.error().message << "\n";
      rc = 1;
      co_return;
    }
    auto conn = std::shared_ptr<WsConnection>(std::move(*opened));
    auto sock = std::make_shared<asio::ip::tcp::socket>(std::move(socket));
    // Local client -> device.
    asio::co_spawn(io, [conn, sock]() -> awaitable<void> {
      std::string buffer(32 * 1024, '\0');
      boost::system::error_code e;
      while (true) {
        std::size_t n = co_await sock->async_read_some(asio::buffer(buffer),
                                                       asio::redirect_error(asio::use_awaitable, e));
        if (e) break;
        if (!co_await conn->write_binary(std::string_view(buffer.data(), n))) co_return;
      }
      (void)co_await conn->send_eof();
    }, asio::detached);
    // Device -> local client.
    while (true) {
      auto message = co_await conn->read();
      if (!message) break;
      if (message->text) {
        if (message->end && !message->end->ok() && message->end->code() != "closed") {
          std::cerr << "helpline: " << stream_end_text(*message->end) << "\n";
          rc = 1;
        }
        continue;
      }
      boost::system::error_code e;
      co_await asio::async_write(*sock, asio::buffer(message->data),
                                 asio::redirect_error(asio::use_awaitable, e));
      if (e) break;
    }
    boost::system::error_code e;
    sock->shutdown(asio::ip::tcp::socket::shutdown_both, e);
    sock->close(e);
    co_await conn->close();
  };

  asio::co_spawn(io, [&]() -> awaitable<void> {
    while (acceptor.is_open()) {
      boost::system::error_code e;
      auto socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, e));
      if (e) break;
      if (once) {
        acceptor.close();
        co_await serve(std::move(socket));
        break;
      }
      asio::co_spawn(io, serve(std::move(socket)), asio::detached);
    }
    boost::system::error_code ignored;
    stop.cancel(ignored);
  }, asio::detached);
  io.run();
  return rc;
}

}  // namespace helpline::cli
