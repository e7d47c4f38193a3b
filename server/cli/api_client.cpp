#include "server/cli/api_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "common/core/host_port.h"
#include "common/tls/tls.h"

namespace helpline::cli {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

Result<Url> parse_url(std::string_view url) {
  constexpr std::string_view kScheme = "https://";
  auto bad = [&](std::string_view why) {
    return fail("bad_url", "invalid relay URL '" + std::string(url) + "': " + std::string(why) +
                               " (expected https://HOST:PORT)");
  };
  if (url.substr(0, kScheme.size()) != kScheme) return bad("it must start with https://");
  auto rest = url.substr(kScheme.size());
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find('/') != std::string_view::npos) return bad("no path is allowed");
  bool has_port = !rest.empty() && (rest.back() != ']') && rest.rfind(':') != std::string_view::npos &&
                  (rest.front() != '[' || rest.rfind(':') > rest.find(']'));
  std::string text = has_port ? std::string(rest) : std::string(rest) + ":8444";
  auto parsed = parse_host_port(text);
  if (!parsed) return bad(parsed.error().message);
  return Url{parsed->host, std::to_string(parsed->port)};
}

std::string url_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4U]);
      out.push_back(kHex[byte & 0x0fU]);
    }
  }
  return out;
}

void add_query(std::string& query, std::string_view name, std::string_view value) {
  query += query.empty() ? "?" : "&";
  query += name;
  query += "=" + url_encode(value);
}

Result<HttpReply> ApiClient::call(std::string_view method, std::string_view path,
                                  std::string_view body, std::chrono::seconds timeout,
                                  std::string_view content_type) {
  tls::ClientConfig trust;
  trust.ca_pin = ca_pin_;
  auto ctx = tls::make_client_context(trust);
  if (!ctx) return fail(ctx.error());
  asio::ssl::context ssl(ctx->release());
  asio::io_context io;
  beast::ssl_stream<beast::tcp_stream> stream(io, ssl);
  if (auto r = tls::set_expected_host(stream.native_handle(), url_.host); !r) return fail(r.error());

  boost::system::error_code ec;
  asio::ip::tcp::resolver resolver(io);
  auto endpoints = resolver.resolve(url_.host, url_.port, ec);
  if (ec) {
    return fail("connect_failed", "cannot resolve " + url_.host + ": " + ec.message());
  }
  beast::get_lowest_layer(stream).expires_after(timeout);
  beast::get_lowest_layer(stream).connect(endpoints, ec);
  if (ec) {
    return fail("connect_failed",
                "cannot connect to the relay at " + url_.host + ":" + url_.port + ": " + ec.message());
  }
  stream.handshake(asio::ssl::stream_base::client, ec);
  if (ec) {
    std::string reason = tls::verify_failure_reason(stream.native_handle());
    return fail("tls_handshake", "TLS with the relay failed: " +
                                     (reason.empty() ? ec.message() : reason));
  }
  http::request<http::string_body> request{http::string_to_verb(std::string(method)),
                                           std::string(path), 11};
  request.set(http::field::host, url_.host);
  request.set(http::field::user_agent, "helpline/" HELPLINE_VERSION);
  request.set(http::field::accept, "application/json");
  if (!token_.empty()) request.set(http::field::authorization, "Bearer " + token_);
  if (!body.empty()) {
    request.set(http::field::content_type, content_type);
    request.body() = std::string(body);
  }
  request.keep_alive(false);
  request.prepare_payload();
  http::write(stream, request, ec);
  if (ec) return fail("http_error", "cannot send the request: " + ec.message());

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(256u << 20);
  http::read(stream, buffer, parser, ec);
  if (ec) return fail("http_error", "no valid answer from the relay: " + ec.message());
  stream.shutdown(ec);  // the relay may close first; that is fine
  return HttpReply{parser.get().result_int(), std::move(parser.get().body())};
}

}  // namespace helpline::cli
