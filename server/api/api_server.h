// The technician API listener: HTTPS (TLS 1.3, the relay's server
// certificate) carrying JSON, one coroutine per connection, keep-alive with
// an idle timeout, every buffer bounded (16 KiB of headers, max_body of body).
//
// Thread: the relay's io_context thread. Lifetime: the Router must outlive it.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <optional>

#include "common/core/host_port.h"
#include "common/core/result.h"
#include "common/tls/tls.h"
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "server/api/router.h"
#include "server/net/websocket.h"

namespace helpline::relay::api {

class ApiServer {
 public:
  ApiServer(boost::asio::io_context& io, Router& router, std::uint32_t max_body);

  // Errors: "tls_config", "listen_failed".
  [[nodiscard]] Result<HostPort> listen(const HostPort& where, const tls::Identity& identity);
  void start();
  void stop();

 private:
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket);
  boost::asio::awaitable<void> serve_websocket(
      net::TlsStream stream, boost::beast::http::request<boost::beast::http::string_body> upgrade,
      ApiRequest& request, const WebSocketHandler& handler);

  boost::asio::io_context& io_;
  Router& router_;
  std::uint32_t max_body_;
  std::optional<boost::asio::ssl::context> ssl_;
  boost::asio::ip::tcp::acceptor acceptor_;
  bool stopping_ = false;
};

}  // namespace helpline::relay::api
