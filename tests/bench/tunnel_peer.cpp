#include "tests/bench/tunnel_peer.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <span>
#include <utility>

namespace helpline::bench {

namespace {

constexpr std::size_t kReadSize = 64u * 1024;
// Per loop turn, so that a side busy sending still reads window updates
// and pings, and a side busy reading still answers them.
constexpr std::size_t kMaxReadPerTurn = 256u * 1024;
constexpr std::size_t kMaxPlaintextPerTurn = 256u * 1024;

[[nodiscard]] std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

TunnelPeer::TunnelPeer(std::string name, Fd socket, tls::TlsSession session, wire::MuxConfig mux,
                       Clock::time_point deadline)
    : name_(std::move(name)),
      socket_(std::move(socket)),
      tls_(std::move(session)),
      mux_(mux),
      deadline_(deadline),
      read_buffer_(kReadSize) {}

Result<void> TunnelPeer::run(PeerHandler& handler) {
  handler_ = &handler;
  Result<void> result;
  if (SSL_is_server(tls_.native_handle()) == 0) result = tls_.advance();
  // Every turn either sleeps in poll() until there is something to do or
  // makes progress; the deadline ends it in any case.
  while (result && !(eof_ && fin_sent_)) result = step();
  if (!result) {
    // Best effort: let the peer see our alert or Goodbye before the socket goes.
    bool blocked = false;
    (void)flush_ciphertext(blocked);
  } else if (error_) {
    result = helpline::fail(*error_);
  }
  socket_ = Fd();
  return result;
}

void TunnelPeer::close(const std::string& reason) {
  if (closing_) return;
  closing_ = true;
  mux_.shutdown(reason);
}

void TunnelPeer::fail_link(Error error) {
  if (!error_) error_ = error;
  if (closing_) return;
  closing_ = true;
  mux_.shutdown(error.code, std::move(error));
}

Result<void> TunnelPeer::step() {
  const auto now = Clock::now();
  if (now >= deadline_) {
    return helpline::fail("timeout", name_ + ": the deadline passed before the link closed");
  }
  if (established_ && !closing_) handler_->on_tick(*this, now);
  if (auto written = write_output(); !written) return written;
  dispatch_events();  // writing can make room in a send buffer: kChannelWritable
  if (eof_ && fin_sent_) return {};
  auto revents = wait(now);
  if (!revents) return helpline::fail(revents.error());
  if ((*revents & (POLLIN | POLLHUP | POLLERR)) != 0) return read_input();
  return {};
}

Result<void> TunnelPeer::read_input() {
  std::size_t total = 0;
  while (total < kMaxReadPerTurn && !eof_) {
    const ssize_t n = ::recv(socket_.get(), read_buffer_.data(), read_buffer_.size(), 0);
    if (n > 0) {
      const auto size = static_cast<std::size_t>(n);
      total += size;
      auto received = tls_.receive(std::span<const std::uint8_t>(read_buffer_.data(), size));
      if (!received) {
        return helpline::fail(received.error().code, name_ + ": " + received.error().message);
      }
      continue;
    }
    if (n == 0) {
      eof_ = true;
      break;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    return io_error("recv", errno);
  }
  if (!established_ && tls_.state() == tls::TlsSession::State::kOpen) {
    established_ = true;
    handler_->on_established(*this);
  }
  if (tls_.state() == tls::TlsSession::State::kClosed && !close_notify_sent_) {
    peer_closed_tls_ = true;
  }
  if (auto fed = feed_plaintext(); !fed) return fed;
  // Nothing can be sent after the peer's close_notify: close without a Goodbye.
  if (peer_closed_tls_) close("the peer closed the link");
  if (eof_ && !closing_) {
    return helpline::fail("connection_lost",
                          name_ + ": the peer closed the TCP connection without closing the link");
  }
  return {};
}

Result<void> TunnelPeer::feed_plaintext() {
  const std::string plaintext = tls_.take_plaintext();
  // After our Goodbye nothing the peer says matters any more.
  if (plaintext.empty() || closing_) return {};
  if (!established_) {
    return helpline::fail("tls_state", name_ + ": plaintext arrived before the TLS handshake");
  }
  auto fed = mux_.receive(bytes_of(plaintext));
  dispatch_events();
  if (!fed) {
    // The multiplexer has queued a Goodbye naming the error; flush it.
    if (!error_) error_ = Error{fed.error().code, name_ + ": " + fed.error().message};
    closing_ = true;
  }
  return {};
}

void TunnelPeer::dispatch_events() {
  // Handlers create no events, so this drains a queue the multiplexer caps.
  while (auto event = mux_.poll_event()) handler_->on_event(*this, *event);
}

bool TunnelPeer::can_move_plaintext() const {
  return established_ && tls_.state() == tls::TlsSession::State::kOpen && mux_.wants_write();
}

Result<void> TunnelPeer::write_output() {
  std::size_t moved = 0;
  // Each round hands ciphertext to the socket, moves one chunk into TLS
  // (kMaxPlaintextPerTurn in all) or queues close_notify once.
  for (;;) {
    bool blocked = false;
    if (auto flushed = flush_ciphertext(blocked); !flushed) return flushed;
    if (blocked) return {};
    if (moved < kMaxPlaintextPerTurn && can_move_plaintext()) {
      const auto plaintext = mux_.pending_output(kTlsChunk);
      if (!plaintext.empty()) {
        if (auto sent = tls_.send(plaintext); !sent) {
          return helpline::fail(sent.error().code, name_ + ": " + sent.error().message);
        }
        mux_.consume_output(plaintext.size());
        moved += plaintext.size();
        continue;
      }
    }
    if (closing_ && !close_notify_sent_ && tls_.state() == tls::TlsSession::State::kOpen &&
        !mux_.wants_write()) {
      tls_.shutdown();
      close_notify_sent_ = true;
      continue;
    }
    break;
  }
  // All ciphertext is in the socket: once nothing more will follow, say so.
  if (!fin_sent_ && (close_notify_sent_ || (closing_ && peer_closed_tls_))) {
    if (::shutdown(socket_.get(), SHUT_WR) != 0) return io_error("shutdown", errno);
    fin_sent_ = true;
  }
  return {};
}

Result<void> TunnelPeer::flush_ciphertext(bool& blocked) {
  // Each round writes some bytes, or stops: the TLS output is finite.
  for (;;) {
    const auto ciphertext = tls_.pending_output();
    if (ciphertext.empty()) return {};
    const ssize_t n = ::send(socket_.get(), ciphertext.data(), ciphertext.size(), MSG_NOSIGNAL);
    if (n > 0) {
      tls_.consume_output(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n == 0 || errno == EAGAIN || errno == EWOULDBLOCK) {
      blocked = true;
      return {};
    }
    return io_error("send", errno);
  }
}

Result<short> TunnelPeer::wait(Clock::time_point now) {
  short events = 0;
  if (!eof_) events |= POLLIN;
  const bool ciphertext_waiting = !tls_.pending_output().empty();
  if (ciphertext_waiting) events |= POLLOUT;
  Clock::time_point wake = deadline_;
  if (established_ && !closing_) wake = std::min(wake, handler_->next_timer());
  // Output left over from a turn's budget goes out without sleeping.
  if (!ciphertext_waiting && can_move_plaintext()) wake = now;
  pollfd entry{socket_.get(), events, 0};
  const int ready = ::poll(&entry, 1, poll_timeout_ms(Clock::now(), wake));
  if (ready < 0) {
    if (errno == EINTR) return 0;
    return io_error("poll", errno);
  }
  return entry.revents;
}

tl::unexpected<Error> TunnelPeer::io_error(const std::string& what, int error) const {
  return helpline::fail("io_error", name_ + ": " + what + ": " + std::strerror(error));
}

}  // namespace helpline::bench
