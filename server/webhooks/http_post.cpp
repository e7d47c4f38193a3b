#include "server/webhooks/http_post.h"

#include <openssl/ssl.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

namespace helpline::relay::webhooks {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

constexpr std::uint32_t kMaxAnswer = 64 * 1024;

[[nodiscard]] http::request<http::string_body> make_request(const Url& url, const Headers& headers,
                                                            std::string body) {
  http::request<http::string_body> request{http::verb::post, url.target, 11};
  request.set(http::field::host, url.host_header());
  request.set(http::field::user_agent, "helpline-relay/" HELPLINE_VERSION);
  request.set(http::field::content_type, "application/json");
  request.set(http::field::connection, "close");
  for (const auto& [name, value] : headers) request.set(name, value);
  request.body() = std::move(body);
  request.prepare_payload();
  return request;
}

[[nodiscard]] std::string step_error(std::string_view step, const boost::system::error_code& ec) {
  if (ec == beast::error::timeout) return std::string(step) + ": no answer in time";
  return std::string(step) + ": " + ec.message();
}

// Sends and reads on a connected stream (plain or TLS).
template <class Stream>
asio::awaitable<PostResult> exchange(Stream& stream, http::request<http::string_body>& request) {
  PostResult result;
  boost::system::error_code ec;
  co_await http::async_write(stream, request, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    result.error = step_error("send", ec);
    co_return result;
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxAnswer);
  co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
  if (ec && ec != http::error::body_limit) {
    // The status line may have arrived before the failure.
    if (!parser.is_header_done()) {
      result.error = step_error("answer", ec);
      co_return result;
    }
  }
  result.status = static_cast<int>(parser.get().result_int());
  result.body = parser.get().body().substr(0, 512);
  co_return result;
}

}  // namespace

asio::awaitable<PostResult> http_post(Url url, Headers headers, std::string body,
                                      std::chrono::milliseconds timeout, std::string ca_file) {
  auto executor = co_await asio::this_coro::executor;
  auto request = make_request(url, headers, std::move(body));
  boost::system::error_code ec;
  PostResult result;

  tcp::resolver resolver(executor);
  auto endpoints = co_await resolver.async_resolve(url.host, std::to_string(url.port),
                                                   asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    result.error = step_error("resolve " + url.host, ec);
    co_return result;
  }
  // One deadline for the whole exchange: connect, handshake, send, answer.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  beast::tcp_stream tcp_stream(executor);
  tcp_stream.expires_at(deadline);
  co_await tcp_stream.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    result.error = step_error("connect", ec);
    co_return result;
  }
  if (!url.tls) {
    result = co_await exchange(tcp_stream, request);
    tcp_stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    co_return result;
  }

  asio::ssl::context context(asio::ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_2_VERSION);
  context.set_verify_mode(asio::ssl::verify_peer);
  if (ca_file.empty()) {
    context.set_default_verify_paths(ec);
  } else {
    context.load_verify_file(ca_file, ec);
  }
  if (ec) {
    result.error = "tls: cannot load " +
                   (ca_file.empty() ? std::string("the system CA store") : "ca_file " + ca_file) +
                   ": " + ec.message();
    co_return result;
  }
  beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp_stream), context);
  beast::get_lowest_layer(stream).expires_at(deadline);
  stream.set_verify_callback(asio::ssl::host_name_verification(url.host));
  // SNI names hosts, never IP literals (RFC 6066).
  boost::system::error_code not_ip;
  asio::ip::make_address(url.host, not_ip);
  if (not_ip && SSL_ctrl(stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME,
                         TLSEXT_NAMETYPE_host_name, const_cast<char*>(url.host.c_str())) != 1) {
    result.error = "tls: cannot set the server name";
    co_return result;
  }
  co_await stream.async_handshake(asio::ssl::stream_base::client,
                                  asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    long verify = SSL_get_verify_result(stream.native_handle());
    result.error =
        "tls handshake: " + ec.message() +
        (verify != X509_V_OK ? std::string(" (") + X509_verify_cert_error_string(verify) + ")"
                             : std::string());
    co_return result;
  }
  result = co_await exchange(stream, request);
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
  co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
  co_return result;
}

}  // namespace helpline::relay::webhooks
