// A stand-in for the relay's agent port on the test's own libuv loop:
// TLS 1.3 server (tls::TlsSession over memory BIOs) + a relay-role
// multiplexer per connection, bound to 127.0.0.1 port 0. Tests script it
// through callbacks. Also a minimal HTTP CONNECT proxy for the same loop.
//
// Both close every handle they own in close(); the test then runs the loop
// until it is empty and checks uv_loop_close() == 0.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>

#include "common/tls/tls.h"
#include "common/wire/wire.h"

namespace helpline::agent::testing {

class FakeRelay {
 public:
  class Connection {
   public:
    explicit Connection(FakeRelay* relay, int index);
    // Queues a channel-0 frame and writes it.
    void send(v1::Frame frame);
    // Writes `frame` as is, after what the multiplexer has queued, bypassing
    // its checks: what a misbehaving relay could send (e.g. data on a
    // channel that is already closed).
    void send_raw(const v1::Frame& frame);
    // Writes what is queued, then closes.
    void close_after_flush();
    void flush();

    wire::Multiplexer mux;
    std::string peer_common_name;  // "" for a connection without client cert
    int index;                     // 0 for the first connection accepted

   private:
    friend class FakeRelay;
    void on_bytes(const char* data, std::size_t size);
    void close_now();
    void maybe_close();

    FakeRelay* relay_;
    uv_tcp_t tcp_{};
    std::optional<tls::TlsSession> tls_;
    bool closing_ = false;
    bool close_after_flush_ = false;
    int writes_pending_ = 0;
  };

  FakeRelay(uv_loop_t* loop, SSL_CTX* server_context);
  ~FakeRelay();

  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] int accepted() const { return accepted_; }

  // Credit each connection grants per agent stream (the real relay's is
  // larger than the multiplexer's default). Set before the agent connects.
  std::uint32_t stream_window = wire::MuxConfig{}.initial_window;

  // A channel-0 frame from the agent.
  std::function<void(Connection&, const v1::Frame&)> on_control;
  // A stream event from the agent.
  std::function<void(Connection&, const wire::MuxEvent&)> on_stream;
  // A connection ended (after its handle closed).
  std::function<void(int index)> on_disconnect;

  // Closes the listener; connections end when the agent closes them.
  void stop_listening();
  // Closes the listener and every connection.
  void close();

 private:
  static void on_connection(uv_stream_t* server, int status);

  uv_loop_t* loop_;
  SSL_CTX* context_;
  uv_tcp_t listener_{};
  bool listening_ = false;
  std::uint16_t port_ = 0;
  int accepted_ = 0;
  std::list<std::unique_ptr<Connection>> connections_;
};

// An HTTP CONNECT proxy that answers every CONNECT with `status_line` and,
// for a 2xx answer, relays bytes to 127.0.0.1:`target_port` both ways.
class FakeProxy {
 public:
  FakeProxy(uv_loop_t* loop, std::string status_line, std::uint16_t target_port);
  ~FakeProxy();
  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] const std::string& last_request() const { return last_request_; }
  void stop_listening();
  void close();

 private:
  struct Tunnel;
  static void on_connection(uv_stream_t* server, int status);

  uv_loop_t* loop_;
  std::string status_line_;
  std::uint16_t target_port_;
  uv_tcp_t listener_{};
  bool listening_ = false;
  std::uint16_t port_ = 0;
  std::string last_request_;
  std::list<std::unique_ptr<Tunnel>> tunnels_;
};

// Runs `loop` until it is empty, with a watchdog: after `limit` the test
// fails and `on_timeout` (which should close everything) is called.
void run_loop_bounded(uv_loop_t* loop, const std::function<void()>& on_timeout,
                      std::uint64_t limit_ms = 20'000);

}  // namespace helpline::agent::testing
