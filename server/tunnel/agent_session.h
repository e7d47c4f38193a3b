// One agent's link: TLS (common/tls's sans-IO session) over a plain Asio TCP
// socket, the wire multiplexer above it, and the relay's side of the
// protocol: enrollment for a connection without a client certificate, hello,
// heartbeat answers, requests from technicians routed to this device, and
// the streams the agent opens in answer to them (StreamSink).
//
// Using the sans-IO TLS session instead of asio::ssl::stream keeps an idle
// link small: no per-connection record buffers, reads go on in the
// tunnel's shared buffer, and an idle link waits with one pending read into
// 64 bytes of its own (no coroutine frame, no timer, no write buffer).
//
// Thread: everything runs on the tunnel's single io_context thread.
// Lifetime: shared_ptr; every pending read, write and posted flush holds a
// reference, so the session lives until the last of them has ended.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "common/core/result.h"
#include "common/core/time_format.h"
#include "common/tls/tls.h"
#include "common/wire/wire.h"
#include "helpline/v1/tunnel.pb.h"
#include "server/tunnel/relay_stream.h"
#include "server/tunnel/stream_sink.h"

namespace helpline::relay {

class Tunnel;

class AgentSession : public std::enable_shared_from_this<AgentSession> {
 public:
  enum class Phase { kHandshake, kEnrolling, kAwaitingHello, kOnline, kClosing, kClosed };

  AgentSession(boost::asio::ip::tcp::socket socket, Tunnel& context);
  AgentSession(const AgentSession&) = delete;
  AgentSession& operator=(const AgentSession&) = delete;
  ~AgentSession();

  // Starts reading (the TLS handshake comes first).
  void start();

  // Sends `request` (its id is assigned here) and waits for the Response.
  // With a `sink`, the one stream the agent opens with this request's id
  // (before the Response) goes to it; it may still be running when this
  // returns (control frames overtake stream data), so wait on the sink.
  // Errors: "device_offline" if the link ends first, "timeout".
  [[nodiscard]] boost::asio::awaitable<Result<v1::Response>> request(
      v1::Request request, std::chrono::milliseconds timeout,
      std::shared_ptr<StreamSink> sink = nullptr);

  // The "upload" stream the agent will open for its own request
  // `request_id` (a DeliverRequest) goes to `sink` (see agent_requests.h).
  void expect_upload(std::uint64_t request_id, std::shared_ptr<StreamSink> sink);
  // Stops expecting it (the handler gave up or finished); an open stream
  // is not affected.
  void forget_upload(std::uint64_t request_id) { expected_uploads_.erase(request_id); }

  // --- streams the relay opens (agent_session_channels.cpp) ---
  // Opens a stream of `kind` to the agent; its events go to `handler`.
  // Errors: "device_offline", the multiplexer's ("channel_limit").
  [[nodiscard]] Result<std::uint32_t> open_stream(std::string kind, std::string metadata,
                                                  std::shared_ptr<RelayStream> handler);
  // As wire::Multiplexer::write: fewer bytes than given when the channel's
  // send buffer is full; on_writable() follows.
  [[nodiscard]] Result<std::size_t> stream_write(std::uint32_t channel, std::string_view data);
  void stream_consume(std::uint32_t channel, std::size_t n);
  // Half close after the queued data.
  [[nodiscard]] Result<void> stream_close(std::uint32_t channel);
  // Drops the stream at once; the handler hears nothing more.
  void stream_reset(std::uint32_t channel, std::string reason);
  [[nodiscard]] std::size_t stream_queued(std::uint32_t channel) const;

  // Sends Goodbye{code, message}, flushes what is queued (bounded) and closes.
  void close(std::string code, std::string message);

  [[nodiscard]] const std::string& device_id() const { return device_id_; }
  [[nodiscard]] const std::string& remote() const { return remote_; }
  [[nodiscard]] Phase phase() const { return phase_; }
  [[nodiscard]] UnixMillis connected_since() const { return connected_since_; }
  [[nodiscard]] std::chrono::steady_clock::time_point last_receive() const { return last_receive_; }
  [[nodiscard]] std::chrono::milliseconds heartbeat_interval() const { return heartbeat_; }
  // Called by the tunnel's sweep once the time the session scheduled has
  // come: ends a link that has overstayed its phase (slow handshake, silent
  // agent, a close that does not flush), else schedules the next check.
  void check_deadlines(std::chrono::steady_clock::time_point now);
  // The token of the session's latest schedule_check (older ones are stale).
  [[nodiscard]] std::uint64_t check_token() const { return check_token_; }
  // For the batched last_seen writes: true (and from now on counted as
  // written) when something arrived since last_seen was last written and
  // that write is at least `max_age` old (0: any age).
  [[nodiscard]] bool take_last_seen_due(std::chrono::steady_clock::time_point now,
                                        std::chrono::steady_clock::duration max_age);

 private:
  struct Pending;

  void wait_readable();
  void on_readable(const boost::system::error_code& ec, std::size_t first);
  // The link ended while reading: by the agent (ec), or by TLS close_notify.
  void end_read(const boost::system::error_code& ec);
  void flush();
  void on_written(const boost::system::error_code& ec);
  // A write of write_buffer_ ended, at once or by its completion.
  void written_out(const boost::system::error_code& ec);
  void on_handshake_done();
  void handle_events();
  void on_control(const v1::Frame& frame);
  void on_hello(const v1::Hello& hello);
  void on_response(const v1::Response& response);
  // Requests the agent sends (deliveries, its tickets).
  void on_agent_request(const v1::Request& request);
  boost::asio::awaitable<void> serve_agent_request(v1::Request request);
  void send_response(v1::Response response);
  // Streams the agent opened (agent_session_streams.cpp).
  void on_stream_event(wire::MuxEvent& event);  // may move the event's data out
  void on_stream_open(const wire::MuxEvent& event);
  void end_stream(std::uint32_t channel, const Error& why, bool reset);
  void abort_streams(const Error& why);
  // Relay-opened streams: true when `event` was for one of them.
  bool route_relay_stream(wire::MuxEvent& event);
  void release_relay_stream(std::uint32_t channel);
  void abort_relay_streams(const Error& why);
  void fail_link(const std::string& code, const std::string& message);
  // kClosing from now, with its own (short) deadline.
  void begin_closing();
  // Leaves the tunnel's count of links in their TLS handshake (once).
  void end_handshake_count();
  // Asks the tunnel's sweep to look at this session at the next moment its
  // phase's deadline could pass.
  void schedule_check();
  void shut_down();
  void wake_writer();

  boost::asio::ip::tcp::socket socket_;
  // What the pending read takes first: a heartbeat's record (37 bytes)
  // fits whole, more goes on in the tunnel's shared buffer.
  std::array<std::uint8_t, 64> first_read_{};
  Tunnel& context_;
  std::string remote_;
  std::optional<tls::TlsSession> tls_;
  wire::Multiplexer mux_;
  std::string write_buffer_;  // ciphertext being written; empty when idle
  bool writing_ = false;
  bool flush_posted_ = false;
  bool close_notify_sent_ = false;
  Phase phase_ = Phase::kHandshake;
  std::string device_id_;
  UnixMillis connected_since_ = 0;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point last_receive_;
  std::chrono::steady_clock::time_point last_send_;  // last plaintext handed to TLS
  std::uint64_t ping_seq_ = 0;
  std::chrono::steady_clock::time_point closing_since_;
  std::chrono::milliseconds heartbeat_{30000};
  std::uint64_t check_token_ = 0;
  bool counted_as_handshaking_ = false;  // in the tunnel's handshake count
  bool activity_ = false;  // something arrived since last_seen was written
  std::chrono::steady_clock::time_point last_seen_written_;
  bool registered_ = false;
  std::uint64_t next_request_id_ = 1;
  std::map<std::uint64_t, std::shared_ptr<Pending>> pending_;
  std::map<std::uint64_t, std::shared_ptr<StreamSink>> expected_streams_;  // by request id
  std::map<std::uint32_t, std::shared_ptr<StreamSink>> streams_;           // by channel
  std::map<std::uint64_t, std::shared_ptr<StreamSink>> expected_uploads_;  // by agent request id
  std::size_t agent_requests_running_ = 0;
  std::map<std::uint32_t, std::shared_ptr<RelayStream>> relay_streams_;  // relay-opened, by channel
};

}  // namespace helpline::relay
