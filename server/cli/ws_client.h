// The CLI's end of a session stream (docs/sessions.md, "Streams"): a
// WebSocket to the relay's API over TLS, verified exactly like ApiClient
// (CA pin and host name), with the login's bearer token. Asio coroutines
// on one io_context; Boost.Beast's WebSocket.
//
// Binary messages carry the stream's bytes both ways; the CLI's text
// message {"op":"eof"} half-closes toward the device; the relay's last text
// message is a StreamEnd saying how the stream ended.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/core/result.h"
#include "helpline/v1/session_api.pb.h"
#include "server/cli/api_client.h"

namespace helpline::cli {

using WsStream = boost::beast::websocket::stream<boost::beast::ssl_stream<boost::beast::tcp_stream>>;

class WsConnection {
 public:
  // Connects, verifies and upgrades `target` ("/api/v1/sessions/ID/shell?...").
  // Errors: "connect_failed", "tls_handshake", and the relay's refusal
  // (its JSON error code and message, e.g. "capability_not_granted").
  [[nodiscard]] static boost::asio::awaitable<Result<std::unique_ptr<WsConnection>>> open(
      const ApiClient& client, std::string target);

  WsStream& ws() { return *ws_; }

  // The next message. Binary: `data` holds bytes. Text: `end` is set when
  // it is a StreamEnd. Errors: "closed" (with the reason).
  struct Message {
    bool text = false;
    std::string data;
    std::optional<v1::api::StreamEnd> end;
  };
  [[nodiscard]] boost::asio::awaitable<Result<Message>> read();
  // Reads the relay's messages until it closes, then closes: binary ones
  // go to `on_bytes` (which returns an error to stop taking them), the
  // StreamEnd says whether the stream finished as it should. Returns ""
  // when it did, else why not.
  [[nodiscard]] boost::asio::awaitable<std::string> read_to_end(
      const std::function<std::string(std::string&)>& on_bytes);
  // Errors: "closed".
  [[nodiscard]] boost::asio::awaitable<Result<void>> write_binary(std::string_view bytes);
  [[nodiscard]] boost::asio::awaitable<Result<void>> send_eof();
  [[nodiscard]] boost::asio::awaitable<void> close();

 private:
  WsConnection() = default;
  std::unique_ptr<boost::asio::ssl::context> ssl_;
  std::unique_ptr<WsStream> ws_;
  boost::beast::flat_buffer buffer_;
};

// What a StreamEnd says, for a person: its message, else its code.
[[nodiscard]] std::string stream_end_text(const v1::api::StreamEnd& end);

// `helpline session shell`: a raw-mode terminal on a session's shell.
[[nodiscard]] int run_shell(const ApiClient& client, const std::string& session);
// `helpline session pull` / `push`.
[[nodiscard]] int run_pull(const ApiClient& client, const std::string& session,
                           const std::string& remote, const std::string& local);
[[nodiscard]] int run_push(const ApiClient& client, const std::string& session,
                           const std::string& local, const std::string& remote);
// `helpline session forward`: listens on 127.0.0.1:local_port; each
// connection gets its own stream to remote_port on the device. `once`:
// serve one connection, then return (scripts and tests).
[[nodiscard]] int run_forward(const ApiClient& client, const std::string& session,
                              std::uint16_t local_port, std::uint16_t remote_port, bool once);

}  // namespace helpline::cli
