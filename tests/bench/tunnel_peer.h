// One side of a benchmark tunnel: a poll() loop over a non-blocking TCP
// socket driving tls::TlsSession and wire::Multiplexer, the same stack and
// the same output discipline as the relay's AgentSession: plaintext moves
// from the multiplexer into TLS at most kTlsChunk at a time, and only once
// TLS has handed all its ciphertext to the socket, so a control frame
// queued behind bulk data waits for at most one such chunk.
//
// What the side says is up to a PeerHandler. Closing is graceful: close()
// queues a Goodbye, then close_notify, then a FIN; run() returns once the
// peer's FIN has arrived too.
//
// Thread: one thread owns the peer and everything it calls. The SSL_CTX
// behind the session must outlive it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/core/result.h"
#include "common/tls/tls.h"
#include "common/wire/wire.h"
#include "tests/bench/loopback.h"

namespace helpline::bench {

class TunnelPeer;

// The application on one side. Callbacks run on the peer's thread, from
// inside run(); they may call any TunnelPeer method.
class PeerHandler {
 public:
  virtual ~PeerHandler() = default;
  // The TLS handshake has completed.
  virtual void on_established(TunnelPeer& peer) = 0;
  // One multiplexer event (control frame or stream event).
  virtual void on_event(TunnelPeer& peer, wire::MuxEvent& event) = 0;
  // Once per loop turn while the link is up, before output is written.
  virtual void on_tick(TunnelPeer& peer, Clock::time_point now) = 0;
  // When on_tick next has something to do (max(): nothing timed).
  [[nodiscard]] virtual Clock::time_point next_timer() const { return Clock::time_point::max(); }
};

class TunnelPeer {
 public:
  // Plaintext moved from the multiplexer into TLS per step, as the relay does.
  static constexpr std::size_t kTlsChunk = 32u * 1024;

  // `name` ("agent", "relay") prefixes error messages. Takes ownership of
  // the connected, non-blocking socket.
  TunnelPeer(std::string name, Fd socket, tls::TlsSession session, wire::MuxConfig mux,
             Clock::time_point deadline);
  TunnelPeer(const TunnelPeer&) = delete;
  TunnelPeer& operator=(const TunnelPeer&) = delete;

  // Runs the link until both sides have closed it. A client session sends
  // its ClientHello first. Errors: "timeout" at the deadline, "io_error",
  // "connection_lost" (the peer went away without closing), the TLS and
  // wire codes, or what fail_link() was given; the socket is closed either way.
  [[nodiscard]] Result<void> run(PeerHandler& handler);

  // Graceful close: Goodbye{reason}, close_notify, FIN. Idempotent.
  void close(const std::string& reason);
  // Records `error` as run()'s result (the first one wins) and closes
  // with a Goodbye naming it.
  void fail_link(Error error);

  [[nodiscard]] wire::Multiplexer& mux() { return mux_; }
  [[nodiscard]] SSL* ssl() const { return tls_.native_handle(); }
  [[nodiscard]] bool closing() const { return closing_; }
  [[nodiscard]] const std::string& name() const { return name_; }

 private:
  [[nodiscard]] Result<void> step();
  [[nodiscard]] Result<void> read_input();
  [[nodiscard]] Result<void> write_output();
  [[nodiscard]] Result<void> flush_ciphertext(bool& blocked);
  [[nodiscard]] Result<void> feed_plaintext();
  void dispatch_events();
  [[nodiscard]] bool can_move_plaintext() const;
  // poll()s until the socket is ready or the next timer; the revents.
  [[nodiscard]] Result<short> wait(Clock::time_point now);
  [[nodiscard]] tl::unexpected<Error> io_error(const std::string& what, int error) const;

  std::string name_;
  Fd socket_;
  tls::TlsSession tls_;
  wire::Multiplexer mux_;
  Clock::time_point deadline_;
  PeerHandler* handler_ = nullptr;
  std::vector<std::uint8_t> read_buffer_;
  std::optional<Error> error_;
  bool established_ = false;        // TLS handshake done, handler told
  bool closing_ = false;            // mux shut down (Goodbye queued or link error)
  bool close_notify_sent_ = false;  // our close_notify is queued in TLS
  bool peer_closed_tls_ = false;    // the peer's close_notify arrived
  bool fin_sent_ = false;
  bool eof_ = false;
};

}  // namespace helpline::bench
