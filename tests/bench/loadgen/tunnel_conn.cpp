#include "tests/bench/loadgen/tunnel_conn.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>

namespace helpline::loadgen {

using asio::ip::tcp;

namespace {

constexpr std::size_t kTlsChunk = 32 * 1024;  // as the agent and relay move plaintext into TLS

[[nodiscard]] std::span<std::uint8_t> thread_read_buffer() {
  thread_local std::array<std::uint8_t, 16 * 1024> buffer;
  return buffer;
}

[[nodiscard]] Error io_error(const boost::system::error_code& ec) {
  if (ec == asio::error::eof || ec == asio::error::connection_reset) {
    return Error{"connection_closed", "the relay closed the connection"};
  }
  if (ec == asio::error::connection_refused) return Error{"refused", ec.message()};
  return Error{"io_error", ec.message()};
}

}  // namespace

TunnelConn::TunnelConn(const asio::any_io_executor& executor)
    : socket_(executor), deadline_(executor), mux_(wire::MuxConfig{.role = wire::Role::kAgent}) {}

asio::awaitable<Result<void>> TunnelConn::open(const tcp::endpoint& relay,
                                               const asio::ip::address& source, SSL_CTX* ctx,
                                               X509* certificate, EVP_PKEY* key,
                                               Clock::duration timeout) {
  boost::system::error_code ec;
  socket_.open(relay.protocol(), ec);
  if (ec) co_return fail("connect_failed", "socket: " + ec.message());
  int on = 1;
  // Ignored where unsupported: bind() then reserves a port per source.
  (void)::setsockopt(socket_.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &on, sizeof on);
  socket_.bind(tcp::endpoint(source, 0), ec);
  if (ec) co_return fail("connect_failed", "bind " + source.to_string() + ": " + ec.message());
  set_deadline(timeout);
  co_await socket_.async_connect(relay, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    clear_deadline();
    if (timed_out_) co_return fail("timeout", "no connection within the connect timeout");
    co_return fail(ec == asio::error::connection_refused ? "refused" : "connect_failed",
                   ec.message());
  }
  socket_.set_option(tcp::no_delay(true), ec);
  socket_.non_blocking(true, ec);
  auto session = tls::TlsSession::client(ctx, relay.address().to_string());
  if (!session) {
    clear_deadline();
    co_return fail(session.error());
  }
  tls_.emplace(std::move(*session));
  if (certificate != nullptr && key != nullptr) {
    SSL* ssl = tls_->native_handle();
    if (SSL_use_certificate(ssl, certificate) != 1 || SSL_use_PrivateKey(ssl, key) != 1) {
      clear_deadline();
      co_return fail("tls_error", "the agent certificate or key was refused: " + tls::openssl_errors());
    }
  }
  auto done = co_await handshake();
  clear_deadline();
  if (!done && timed_out_) co_return fail("timeout", "no TLS handshake within the connect timeout");
  co_return done;
}

asio::awaitable<Result<void>> TunnelConn::handshake() {
  if (auto started = tls_->advance(); !started) co_return started;
  flush();
  while (tls_->state() == tls::TlsSession::State::kHandshaking) {
    if (auto r = co_await receive(); !r) co_return r;
  }
  if (tls_->state() != tls::TlsSession::State::kOpen) {
    co_return fail("tls_handshake", "the relay ended the TLS handshake");
  }
  co_return Result<void>{};
}

asio::awaitable<Result<void>> TunnelConn::receive() {
  boost::system::error_code ec;
  for (;;) {
    if (!socket_.is_open()) co_return fail("connection_closed", "the connection was closed");
    co_await socket_.async_wait(tcp::socket::wait_read, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return fail(io_error(ec));
    auto buffer = thread_read_buffer();
    std::size_t n = socket_.read_some(asio::buffer(buffer.data(), buffer.size()), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) continue;
    if (ec) co_return fail(io_error(ec));
    if (auto received = tls_->receive(buffer.first(n)); !received) co_return received;
    std::string plaintext = tls_->take_plaintext();
    Result<void> fed;
    if (!plaintext.empty()) {
      fed = mux_.receive({reinterpret_cast<const std::uint8_t*>(plaintext.data()), plaintext.size()});
    }
    flush();  // handshake messages, window updates, a Goodbye after a link error
    if (!fed) co_return fed;
    if (tls_->state() == tls::TlsSession::State::kClosed) {
      co_return fail("connection_closed", "the relay closed the TLS session");
    }
    co_return Result<void>{};
  }
}

void TunnelConn::flush() {
  if (writing_ || !socket_.is_open() || !tls_) return;
  if (tls_->state() == tls::TlsSession::State::kOpen) {
    while (mux_.wants_write()) {
      auto out = mux_.pending_output(kTlsChunk);
      if (out.empty()) break;
      if (auto sent = tls_->send(out); !sent) {
        close();
        return;
      }
      mux_.consume_output(out.size());
    }
  }
  auto out = tls_->pending_output();
  if (out.empty()) {
    if (close_after_flush_) close();
    return;
  }
  write_buffer_.assign(reinterpret_cast<const char*>(out.data()), out.size());
  tls_->consume_output(out.size());
  writing_ = true;
  asio::async_write(socket_, asio::buffer(write_buffer_),
                    [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                      self->writing_ = false;
                      if (ec) {
                        self->close();
                        return;
                      }
                      self->write_buffer_.clear();
                      self->flush();
                    });
}

void TunnelConn::set_deadline(Clock::duration timeout) {
  deadline_.expires_after(timeout);
  deadline_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    auto conn = weak.lock();
    if (ec || !conn) return;
    conn->timed_out_ = true;
    conn->close();
  });
}

void TunnelConn::say_goodbye(const std::string& reason) {
  if (!socket_.is_open()) return;
  mux_.shutdown(reason);
  close_after_flush_ = true;
  flush();
}

void TunnelConn::close() {
  boost::system::error_code ec;
  clear_deadline();
  if (!socket_.is_open()) return;
  socket_.shutdown(tcp::socket::shutdown_both, ec);
  socket_.close(ec);
}

}  // namespace helpline::loadgen
