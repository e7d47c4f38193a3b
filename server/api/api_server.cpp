#include "server/api/api_server.h"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket.hpp>
#include <limits>

#include "server/net/listen.h"

namespace helpline::relay::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

constexpr std::chrono::seconds kHandshakeTimeout{10};
constexpr std::chrono::seconds kIdleTimeout{60};
constexpr std::uint32_t kHeaderLimit = 16 * 1024;
constexpr std::uint64_t kDrainLimit = 8u << 20;

[[nodiscard]] std::string remote_of(const tcp::socket& socket) {
  boost::system::error_code ec;
  auto endpoint = socket.remote_endpoint(ec);
  return ec ? "unknown" : endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

[[nodiscard]] std::string bearer_of(const http::request<http::string_body>& request) {
  auto it = request.find(http::field::authorization);
  if (it == request.end()) return {};
  std::string_view value(it->value().data(), it->value().size());
  constexpr std::string_view kPrefix = "Bearer ";
  if (value.size() <= kPrefix.size() || value.substr(0, kPrefix.size()) != kPrefix) return {};
  return std::string(value.substr(kPrefix.size()));
}

}  // namespace

ApiServer::ApiServer(asio::io_context& io, Router& router, std::uint32_t max_body)
    : io_(io), router_(router), max_body_(max_body), acceptor_(io) {}

Result<HostPort> ApiServer::listen(const HostPort& where, const tls::Identity& identity) {
  tls::ServerConfig config;
  config.identity = identity;
  config.client_cert = tls::ClientCertMode::kNotAsked;
  auto ctx = tls::make_server_context(config);
  if (!ctx) return fail(ctx.error());
  ssl_.emplace(ctx->release());  // asio takes ownership of the SSL_CTX

  return net::listen_on(acceptor_, where, "the API");
}

void ApiServer::start() { asio::co_spawn(io_, accept_loop(), asio::detached); }

void ApiServer::stop() {
  stopping_ = true;
  boost::system::error_code ec;
  acceptor_.close(ec);
}

asio::awaitable<void> ApiServer::accept_loop() {
  while (!stopping_) {
    boost::system::error_code ec;
    tcp::socket socket =
        co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || stopping_) break;
      spdlog::warn("API listener: accept failed: {}", ec.message());
      continue;
    }
    asio::co_spawn(io_, serve(std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> ApiServer::serve(tcp::socket socket) {
  std::string remote = remote_of(socket);
  // Small writes go out at once: a session's keystroke echo would
  // otherwise wait for the client's delayed ACK (Nagle), 40 ms on Linux.
  boost::system::error_code nodelay_ec;
  socket.set_option(tcp::no_delay(true), nodelay_ec);
  beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *ssl_);
  boost::system::error_code ec;
  beast::get_lowest_layer(stream).expires_after(kHandshakeTimeout);
  co_await stream.async_handshake(asio::ssl::stream_base::server,
                                  asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    spdlog::debug("API client {}: TLS handshake failed: {}", remote, ec.message());
    co_return;
  }
  beast::flat_buffer buffer(8192);
  while (!stopping_) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(kHeaderLimit);
    beast::get_lowest_layer(stream).expires_after(kIdleTimeout);
    // The header first: an upload route allows a larger body than the rest.
    // Beast checks a Content-Length against body_limit while it parses the
    // header, so the limit is applied here by hand and set for chunked
    // bodies; a body declared too large is read and dropped (up to
    // kDrainLimit) so the client reads the 413 rather than a reset.
    std::uint64_t body_limit = max_body_;
    bool declared_too_large = false;
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    co_await http::async_read_header(stream, buffer, parser,
                                     asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) {
      const auto& head = parser.get();
      std::string_view target(head.target().data(), head.target().size());
      body_limit = router_.body_limit(head.method(), target.substr(0, target.find('?')), max_body_);
      const auto declared = parser.content_length();
      declared_too_large = declared && *declared > body_limit;
      if (!declared_too_large) {
        parser.body_limit(body_limit);
      } else if (*declared <= kDrainLimit) {
        parser.body_limit(*declared);
      }
      if (!declared_too_large || *declared <= kDrainLimit) {
        co_await http::async_read(stream, buffer, parser,
                                  asio::redirect_error(asio::use_awaitable, ec));
      }
    }
    ApiResponse response;
    bool keep_alive = false;
    unsigned version = 11;
    if (ec == http::error::end_of_stream || ec == asio::ssl::error::stream_truncated) break;
    if (ec == http::error::body_limit || (!ec && declared_too_large)) {
      response =
          error_response(413, "body_too_large",
                         "request body is larger than " + std::to_string(body_limit) + " bytes");
    } else if (ec) {
      if (ec != beast::error::timeout && ec != asio::error::operation_aborted) {
        spdlog::debug("API client {}: {}", remote, ec.message());
      }
      break;
    } else {
      auto& message = parser.get();
      keep_alive = message.keep_alive();
      version = message.version();
      ApiRequest request;
      request.method = message.method();
      std::string_view target(message.target().data(), message.target().size());
      auto question = target.find('?');
      request.path = std::string(target.substr(0, question));
      request.body = std::move(message.body());
      request.bearer = bearer_of(message);
      if (auto key = message.find("Idempotency-Key"); key != message.end()) {
        request.idempotency_key = std::string(key->value());
      }
      if (auto type = message.find(http::field::content_type); type != message.end()) {
        request.content_type = std::string(type->value());
      }
      request.remote = remote;
      auto query = parse_query(question == std::string_view::npos ? std::string_view()
                                                                  : target.substr(question + 1));
      if (query && beast::websocket::is_upgrade(message)) {
        // A WebSocket (remote session streams): the connection is handed
        // over for good once the route accepts it.
        request.query = std::move(*query);
        auto upgrade = router_.match_websocket(request);
        if (upgrade.handler != nullptr) {
          spdlog::debug("API {} WebSocket {}", remote, request.path);
          co_await serve_websocket(std::move(stream), std::move(message), request,
                                   *upgrade.handler);
          co_return;
        }
        response = std::move(*upgrade.refusal);
        keep_alive = false;
      } else if (query) {
        request.query = std::move(*query);
        response = co_await router_.dispatch(request);
      } else {
        response = error_response(400, "bad_request", query.error().message, "query");
      }
      spdlog::debug("API {} {} {} -> {}", remote, std::string(http::to_string(request.method)),
                    request.path, response.status);
    }
    http::response<http::string_body> reply{static_cast<http::status>(response.status), version};
    reply.set(http::field::server, "helpline-relay/" HELPLINE_VERSION);
    reply.set(http::field::content_type, response.content_type);
    reply.set(http::field::cache_control, "no-store");
    for (const auto& [name, value] : response.headers) reply.set(name, value);
    reply.keep_alive(keep_alive);
    reply.body() = std::move(response.body);
    reply.prepare_payload();
    beast::get_lowest_layer(stream).expires_after(kIdleTimeout);
    co_await http::async_write(stream, reply, asio::redirect_error(asio::use_awaitable, ec));
    if (ec || !keep_alive) break;
  }
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
  co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
}

asio::awaitable<void> ApiServer::serve_websocket(net::TlsStream stream,
                                                http::request<http::string_body> upgrade,
                                                ApiRequest& request,
                                                const WebSocketHandler& handler) {
  net::WebSocket ws(std::move(stream));
  // Beast's own timeouts from here on: pings keep an idle session alive and
  // find a technician whose connection vanished.
  beast::get_lowest_layer(ws).expires_never();
  beast::websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = kHandshakeTimeout;
  timeouts.idle_timeout = kIdleTimeout;
  timeouts.keep_alive_pings = true;
  ws.set_option(timeouts);
  ws.set_option(beast::websocket::stream_base::decorator([](beast::websocket::response_type& r) {
    r.set(http::field::server, "helpline-relay/" HELPLINE_VERSION);
  }));
  boost::system::error_code ec;
  co_await ws.async_accept(upgrade, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    spdlog::debug("API client {}: WebSocket handshake failed: {}", request.remote, ec.message());
    co_return;
  }
  co_await handler(request, ws);
}

}  // namespace helpline::relay::api
