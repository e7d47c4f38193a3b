// One connection to the relay, driven by libuv: resolve, TCP connect (each
// resolved address in turn), optional HTTP CONNECT through a proxy, TLS
// (tls::TlsSession over memory BIOs), then a wire::Multiplexer on top. Both
// `run` (through Link) and `enroll` use it; the caller decides what to send.
//
// Output is pulled from the multiplexer only while less than
// kMaxBytesInFlight of ciphertext sits in libuv write requests, so control
// frames queued later still overtake bulk stream data.
//
// Lifetime: heap-allocate it; after start() it owns libuv handles, so it
// must not be destroyed until on_closed has run (it may be destroyed inside
// on_closed). on_closed runs exactly once, from a libuv close callback,
// never from inside a call the owner made.
// Thread: the loop's thread only.
#pragma once

#include <uv.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/link/proxy.h"
#include "agent/state/agent_state.h"
#include "common/core/result.h"
#include "common/tls/tls.h"
#include "common/wire/wire.h"

namespace helpline::agent {

inline constexpr std::size_t kMaxBytesInFlight = 64u * 1024;

struct TransportConfig {
  Endpoint relay;                  // also the name the relay certificate must carry
  std::optional<Endpoint> proxy;   // HTTP CONNECT proxy, already chosen
  SSL_CTX* tls_context = nullptr;  // not owned; must outlive the transport
  wire::MuxConfig mux;
  std::chrono::milliseconds connect_timeout{30'000};  // resolve through TLS handshake
};

struct TransportCallbacks {
  // TLS is up: send the first frame now.
  std::function<void()> on_open;
  // One multiplexer event (control frame or stream event).
  std::function<void(wire::MuxEvent event)> on_event;
  // The connection is over and every handle is closed. Error codes:
  // "shutdown" (shutdown() finished), "resolve_failed", "connect_failed",
  // "connect_timeout", "proxy_error", "proxy_refused", "tls_handshake",
  // "tls_error", "connection_closed", "io_error", the multiplexer's codes,
  // or whatever abort() was given.
  std::function<void(const Error& reason)> on_closed;
};

class Transport {
 public:
  enum class Stage {
    kIdle,
    kResolving,
    kConnecting,
    kProxyHandshake,
    kTlsHandshake,
    kOpen,
    kDraining,
    kClosing,
    kClosed
  };

  Transport(uv_loop_t* loop, TransportConfig config, TransportCallbacks callbacks);
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;
  ~Transport();

  void start();

  // Queues a control frame and writes it out. Errors: the multiplexer's,
  // or "not_open" before on_open / after shutdown.
  [[nodiscard]] Result<void> send_control(v1::Frame frame);

  // The multiplexer, for streams. Call flush() after queueing on it.
  [[nodiscard]] wire::Multiplexer& mux() { return mux_; }
  void flush() { pump(); }

  // Sends Goodbye{reason} and TLS close_notify, waits at most `bound` for
  // them to be written, then closes (on_closed gets code "shutdown"). Before
  // the link is open it just closes.
  void shutdown(std::string reason, std::chrono::milliseconds bound);

  // Closes at once; on_closed gets `reason`. Idempotent.
  void abort(Error reason);

  [[nodiscard]] Stage stage() const { return stage_; }
  [[nodiscard]] bool is_open() const { return stage_ == Stage::kOpen; }
  // Set after the TLS handshake.
  [[nodiscard]] const tls::TlsSession* tls() const { return tls_ ? &*tls_ : nullptr; }

 private:
  struct WriteRequest;

  static void on_resolved(uv_getaddrinfo_t* req, int status, struct addrinfo* res);
  static void on_connected(uv_connect_t* req, int status);
  static void on_alloc(uv_handle_t* handle, std::size_t suggested, uv_buf_t* buf);
  static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void on_written(uv_write_t* req, int status);
  static void on_timer(uv_timer_t* timer);
  static void on_tcp_closed(uv_handle_t* handle);
  static void on_timer_closed(uv_handle_t* handle);

  void connect_next();
  void on_tcp_connected();
  void start_tls();
  void feed_tls(std::span<const std::uint8_t> bytes);
  void deliver_events();
  void pump();
  void write_raw(std::string data);
  void begin_draining(std::optional<Error> final_error, std::chrono::milliseconds bound);
  void close_tcp_for_retry();
  void finish(Error reason);
  void maybe_closed();
  [[nodiscard]] std::string stage_name() const;
  [[nodiscard]] Error tls_failure(const Error& error) const;

  uv_loop_t* loop_;
  TransportConfig config_;
  TransportCallbacks callbacks_;
  Stage stage_ = Stage::kIdle;

  uv_getaddrinfo_t resolve_req_{};
  uv_connect_t connect_req_{};
  uv_tcp_t tcp_{};
  uv_timer_t timer_{};
  bool resolving_ = false;
  bool tcp_open_ = false;  // initialized and not yet closing
  bool timer_open_ = false;
  bool retry_after_close_ = false;
  int closes_pending_ = 0;

  std::vector<sockaddr_storage> addresses_;
  std::size_t next_address_ = 0;
  std::string last_connect_error_;

  ConnectResponseParser proxy_parser_;
  std::optional<tls::TlsSession> tls_;
  wire::Multiplexer mux_;
  std::unique_ptr<char[]> read_buffer_;
  std::size_t in_flight_ = 0;
  bool close_notify_sent_ = false;
  std::optional<Error> drain_error_;  // reported when draining ends
  std::optional<Error> close_reason_;
};

}  // namespace helpline::agent
