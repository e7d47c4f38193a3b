// One technician WebSocket bridged to one relay-opened agent stream
// (internal to server/sessions). Binary WebSocket messages carry the
// stream's bytes unchanged in both directions; the technician's text
// message {"op":"eof"} half-closes the stream toward the agent (a push has
// sent all its bytes; a forwarded connection's client shut its side); the
// relay's last text message is a StreamEnd (JSON) saying how it ended,
// then it closes the WebSocket.
//
// Flow control end to end: the agent gets credit back only after the
// bytes went out on the WebSocket, and the technician's next message is
// read only after the previous one fit into the channel's send buffer.
//
// On the way through, a shell's output is recorded (recording.h) and file
// transfers are read for the audit (FileInfo, FileWritten).
//
// Thread: the relay's io_context thread. Lifetime: shared; the session
// service keeps it while the session lasts, run() holds it while it runs.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <optional>
#include <string>

#include "common/session/session.h"
#include "server/net/websocket.h"
#include "server/sessions/frame_batch.h"
#include "server/sessions/recording.h"
#include "server/sessions/sessions.h"
#include "server/tunnel/agent_session.h"
#include "server/tunnel/relay_stream.h"

namespace helpline::relay::sessions {

class Bridge final : public RelayStream, public std::enable_shared_from_this<Bridge> {
 public:
  Bridge(SessionService& service, net::WebSocket& ws, std::shared_ptr<AgentSession> agent,
         v1::api::RemoteSession info, StreamRequest request);
  ~Bridge() override;

  // Opens the agent stream and serves both directions until the stream
  // ended and the WebSocket is closed.
  [[nodiscard]] boost::asio::awaitable<void> run();
  // The session ended: the stream is reset toward the agent and the
  // technician is told `message`.
  void end(std::string code, std::string message);

  void on_data(std::string data) override;
  void on_writable() override;
  void on_peer_closed() override;
  void on_reset(const Error& why) override;

 private:
  [[nodiscard]] boost::asio::awaitable<void> read_ws();
  [[nodiscard]] boost::asio::awaitable<void> write_ws();
  void finish(Error why, bool ok);
  void tap_from_agent(std::string_view data);
  void tap_to_agent(std::string_view data);
  void audit_close();
  void finish_recording();

  SessionService& service_;
  net::WebSocket& ws_;
  std::shared_ptr<AgentSession> agent_;
  v1::api::RemoteSession info_;
  StreamRequest request_;
  std::uint32_t channel_ = 0;
  bool channel_open_ = false;
  bool closed_toward_agent_ = false;
  FrameBatch to_ws_;
  boost::asio::steady_timer wake_writer_;
  boost::asio::steady_timer wake_reader_;
  boost::asio::steady_timer reader_gone_;
  std::optional<Error> finished_;
  bool ok_ = false;
  bool reader_started_ = false;
  bool reader_done_ = false;
  std::uint64_t bytes_from_agent_ = 0;
  std::uint64_t bytes_to_agent_ = 0;
  session::MessageDecoder from_agent_;
  session::MessageDecoder to_agent_;
  bool tap_failed_ = false;
  std::optional<Recording> recording_;
  std::string file_detail_;  // what the agent said about the file
};

}  // namespace helpline::relay::sessions
