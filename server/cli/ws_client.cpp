#include "server/cli/ws_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http.hpp>

#include "common/tls/tls.h"
#include "helpline/v1/api.pb.h"
#include "server/api/json_codec.h"

namespace helpline::cli {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace http = beast::http;

asio::awaitable<Result<std::unique_ptr<WsConnection>>> WsConnection::open(const ApiClient& client,
                                                                          std::string target) {
  std::unique_ptr<WsConnection> conn(new WsConnection());
  tls::ClientConfig trust;
  trust.ca_pin = client.ca_pin();
  auto ctx = tls::make_client_context(trust);
  if (!ctx) co_return fail(ctx.error());
  conn->ssl_ = std::make_unique<asio::ssl::context>(ctx->release());
  auto executor = co_await asio::this_coro::executor;
  conn->ws_ = std::make_unique<WsStream>(executor, *conn->ssl_);
  auto& ssl_stream = conn->ws_->next_layer();
  if (auto r = tls::set_expected_host(ssl_stream.native_handle(), client.url().host); !r) {
    co_return fail(r.error());
  }
  boost::system::error_code ec;
  asio::ip::tcp::resolver resolver(executor);
  auto endpoints = co_await resolver.async_resolve(client.url().host, client.url().port,
                                                   asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return fail("connect_failed", "cannot resolve " + client.url().host + ": " + ec.message());
  beast::get_lowest_layer(*conn->ws_).expires_after(std::chrono::seconds(30));
  co_await beast::get_lowest_layer(*conn->ws_)
      .async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    co_return fail("connect_failed", "cannot connect to the relay at " + client.url().host + ":" +
                                         client.url().port + ": " + ec.message());
  }
  beast::get_lowest_layer(*conn->ws_).socket().set_option(asio::ip::tcp::no_delay(true), ec);
  co_await ssl_stream.async_handshake(asio::ssl::stream_base::client,
                                      asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    std::string reason = tls::verify_failure_reason(ssl_stream.native_handle());
    co_return fail("tls_handshake",
                   "TLS with the relay failed: " + (reason.empty() ? ec.message() : reason));
  }
  beast::get_lowest_layer(*conn->ws_).expires_never();
  conn->ws_->set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
  std::string token = client.token();
  conn->ws_->set_option(websocket::stream_base::decorator([token](websocket::request_type& r) {
    r.set(http::field::user_agent, "helpline/" HELPLINE_VERSION);
    r.set(http::field::authorization, "Bearer " + token);
  }));
  conn->ws_->read_message_max(2u << 20);
  websocket::response_type response;
  co_await conn->ws_->async_handshake(response, client.url().host, target,
                                      asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    v1::api::ErrorBody error;
    if (!response.body().empty() && relay::api::parse_json(response.body(), error) &&
        !error.message().empty()) {
      co_return fail(error.code(), error.message());
    }
    co_return fail("http_" + std::to_string(response.result_int()),
                   "the relay refused the stream: " + ec.message() + " (HTTP " +
                       std::to_string(response.result_int()) + ")");
  }
  conn->ws_->binary(true);
  co_return conn;
}

asio::awaitable<Result<WsConnection::Message>> WsConnection::read() {
  boost::system::error_code ec;
  buffer_.consume(buffer_.size());
  co_await ws_->async_read(buffer_, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return fail("closed", "the relay closed the stream: " + ec.message());
  Message m;
  m.text = ws_->got_text();
  m.data = beast::buffers_to_string(buffer_.data());
  if (m.text) {
    v1::api::StreamEnd end;
    if (relay::api::parse_json(m.data, end)) m.end = std::move(end);
  }
  co_return m;
}

asio::awaitable<std::string> WsConnection::read_to_end(
    const std::function<std::string(std::string&)>& on_bytes) {
  std::string failure;
  bool complete = false;
  while (true) {
    auto message = co_await read();
    if (!message) {
      if (!complete && failure.empty()) failure = message.error().message;
      break;
    }
    if (message->text) {
      if (message->end) {
        if (message->end->ok()) {
          complete = true;
        } else if (failure.empty()) {
          failure = stream_end_text(*message->end);
        }
      }
      continue;
    }
    if (!failure.empty()) continue;
    failure = on_bytes(message->data);
  }
  co_await close();
  co_return failure;
}

asio::awaitable<Result<void>> WsConnection::write_binary(std::string_view bytes) {
  boost::system::error_code ec;
  ws_->binary(true);
  co_await ws_->async_write(asio::buffer(bytes.data(), bytes.size()),
                            asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return fail("closed", "cannot send to the relay: " + ec.message());
  co_return Result<void>{};
}

asio::awaitable<Result<void>> WsConnection::send_eof() {
  boost::system::error_code ec;
  ws_->text(true);
  static const std::string kEof = R"({"op":"eof"})";
  co_await ws_->async_write(asio::buffer(kEof), asio::redirect_error(asio::use_awaitable, ec));
  ws_->binary(true);
  if (ec) co_return fail("closed", "cannot send to the relay: " + ec.message());
  co_return Result<void>{};
}

asio::awaitable<void> WsConnection::close() {
  boost::system::error_code ec;
  if (ws_->is_open()) {
    co_await ws_->async_close(websocket::close_code::normal,
                              asio::redirect_error(asio::use_awaitable, ec));
  }
}

std::string stream_end_text(const v1::api::StreamEnd& end) {
  return end.message().empty() ? end.code() : end.message();
}

}  // namespace helpline::cli
