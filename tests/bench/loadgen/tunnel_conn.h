// One simulated agent connection: TCP from a chosen loopback source
// address, TLS 1.3 (common/tls's sans-IO session, the agent's policy) and
// the wire multiplexer on top, driven by Asio on one io_context thread.
//
// Source addresses: 127.0.0.2, 127.0.0.3, ... are all loopback. The socket
// is bound with IP_BIND_ADDRESS_NO_PORT so the kernel picks the port at
// connect() per (source, destination) pair: each source address gets the
// whole ephemeral range, so tens of thousands of links to one relay port
// do not run out of ports.
//
// Lifetime: shared_ptr (writes in flight hold a reference). Thread: the
// executor's thread only.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "common/core/result.h"
#include "common/tls/tls.h"
#include "common/wire/wire.h"

namespace helpline::loadgen {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

class TunnelConn : public std::enable_shared_from_this<TunnelConn> {
 public:
  explicit TunnelConn(const asio::any_io_executor& executor);

  // TCP connect from `source` and the TLS handshake, presenting
  // `certificate`/`key` when given (none for enrollment). Errors:
  // "refused", "connect_failed", "timeout", "tls_handshake", "tls_error",
  // "connection_closed".
  [[nodiscard]] asio::awaitable<Result<void>> open(const asio::ip::tcp::endpoint& relay,
                                                   const asio::ip::address& source, SSL_CTX* ctx,
                                                   X509* certificate, EVP_PKEY* key,
                                                   Clock::duration timeout);

  // Waits for bytes and feeds them through TLS into the multiplexer; events
  // are then in mux().poll_event(). Errors: "connection_closed" (EOF or
  // close_notify), "io_error", "tls_error", the multiplexer's codes.
  [[nodiscard]] asio::awaitable<Result<void>> receive();

  [[nodiscard]] wire::Multiplexer& mux() { return mux_; }
  // Writes what the multiplexer and TLS hold, in the background.
  void flush();
  // Queues Goodbye, flushes it and then closes.
  void say_goodbye(const std::string& reason);
  // Closes the socket: a pending receive() ends with an error.
  void close();
  // Closes the connection unless clear_deadline() comes first (replaces an
  // earlier deadline); timed_out() then tells why it closed.
  void set_deadline(Clock::duration timeout);
  void clear_deadline() { deadline_.cancel(); }
  [[nodiscard]] bool timed_out() const { return timed_out_; }
  [[nodiscard]] bool is_open() const { return socket_.is_open(); }

 private:
  [[nodiscard]] asio::awaitable<Result<void>> handshake();

  asio::ip::tcp::socket socket_;
  asio::steady_timer deadline_;
  std::optional<tls::TlsSession> tls_;
  wire::Multiplexer mux_;
  std::string write_buffer_;
  bool writing_ = false;
  bool close_after_flush_ = false;
  bool timed_out_ = false;
};

}  // namespace helpline::loadgen
