#include "tests/bench/loadgen/technician.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <google/protobuf/util/json_util.h>

#include <optional>

#include "common/tls/tls.h"
#include "helpline/v1/api.pb.h"

namespace helpline::loadgen {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::chrono::seconds kCallTimeout{150};  // a diag collection may take two minutes
constexpr std::uint64_t kMaxResponseBody = 128u << 20;  // a bundle's content

[[nodiscard]] std::string to_json(const google::protobuf::Message& message) {
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(message, &out);
  return out;
}

[[nodiscard]] bool from_json(const std::string& text, google::protobuf::Message& message) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  return google::protobuf::util::JsonStringToMessage(text, &message, options).ok();
}

[[nodiscard]] std::string error_text(const std::string& body) {
  return body.substr(0, 300);
}

}  // namespace

struct Technician::Connection {
  Connection(asio::io_context& io, asio::ssl::context& ssl) : stream(io, ssl) {}
  beast::ssl_stream<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
};

Result<std::unique_ptr<Technician>> Technician::create(HostPort api, std::string ca_pin) {
  tls::ClientConfig trust;
  trust.ca_pin = std::move(ca_pin);
  auto ctx = tls::make_client_context(trust);
  if (!ctx) return fail(ctx.error());
  return std::unique_ptr<Technician>(new Technician(std::move(api), asio::ssl::context(ctx->release())));
}

Technician::Technician(HostPort api, asio::ssl::context ssl)
    : api_(std::move(api)), ssl_(std::move(ssl)) {}

Technician::~Technician() = default;

Result<Technician::Reply> Technician::call(const std::string& method, const std::string& target,
                                           const std::string& body) {
  std::optional<Result<Reply>> outcome;
  auto exchange = [&]() -> asio::awaitable<Result<Reply>> {
    boost::system::error_code ec;
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (!connection_) {
        connection_ = std::make_unique<Connection>(io_, ssl_);
        auto& stream = connection_->stream;
        if (auto named = tls::set_expected_host(stream.native_handle(), api_.host); !named) {
          connection_.reset();
          co_return fail(named.error());
        }
        tcp::resolver resolver(io_);
        auto endpoints = co_await resolver.async_resolve(api_.host, std::to_string(api_.port),
                                                         asio::redirect_error(asio::use_awaitable, ec));
        if (ec) co_return fail("connect_failed", "resolve " + api_.host + ": " + ec.message());
        beast::get_lowest_layer(stream).expires_after(kCallTimeout);
        co_await beast::get_lowest_layer(stream).async_connect(
            endpoints, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
          connection_.reset();
          co_return fail("connect_failed", "API " + api_.to_string() + ": " + ec.message());
        }
        beast::get_lowest_layer(stream).socket().set_option(tcp::no_delay(true), ec);
        co_await stream.async_handshake(asio::ssl::stream_base::client,
                                        asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
          std::string reason = tls::verify_failure_reason(stream.native_handle());
          connection_.reset();
          co_return fail("tls_handshake", reason.empty() ? ec.message() : reason);
        }
      }
      auto& stream = connection_->stream;
      http::request<http::string_body> request{http::string_to_verb(method), target, 11};
      request.set(http::field::host, api_.host);
      request.set(http::field::user_agent, "helpline-loadgen");
      if (!token_.empty()) request.set(http::field::authorization, "Bearer " + token_);
      request.set(http::field::content_type, "application/json");
      request.body() = body;
      request.keep_alive(true);
      request.prepare_payload();
      beast::get_lowest_layer(stream).expires_after(kCallTimeout);
      co_await http::async_write(stream, request, asio::redirect_error(asio::use_awaitable, ec));
      http::response_parser<http::string_body> parser;
      parser.body_limit(kMaxResponseBody);
      if (!ec) {
        co_await http::async_read(stream, connection_->buffer, parser,
                                  asio::redirect_error(asio::use_awaitable, ec));
      }
      auto& response = parser.get();
      if (ec) {
        // A kept-alive connection the relay closed meanwhile (it restarted:
        // no close_notify): once more, fresh.
        connection_.reset();
        if (attempt == 0 && (ec == http::error::end_of_stream || ec == asio::error::eof ||
                             ec == asio::error::connection_reset ||
                             ec == asio::error::broken_pipe ||
                             ec == asio::ssl::error::stream_truncated)) {
          continue;
        }
        co_return fail("http_error", method + " " + target + ": " + ec.message());
      }
      if (!response.keep_alive()) connection_.reset();
      co_return Reply{response.result_int(), std::move(response.body())};
    }
    co_return fail("http_error", method + " " + target + ": the relay closed the connection twice");
  };
  asio::co_spawn(io_, exchange(), [&](std::exception_ptr error, Result<Reply> result) {
    if (error) {
      outcome = fail("http_error", method + " " + target + ": unexpected exception");
    } else {
      outcome = std::move(result);
    }
  });
  io_.restart();
  io_.run();
  if (!outcome) return fail("http_error", method + " " + target + ": no answer");
  return std::move(*outcome);
}

Result<void> Technician::login(const std::string& user, const std::string& password) {
  v1::api::LoginRequest request;
  request.set_user(user);
  request.set_password(password);
  auto reply = call("POST", "/api/v1/login", to_json(request));
  if (!reply) return fail(reply.error());
  v1::api::LoginResponse response;
  if (reply->status != 200 || !from_json(reply->body, response) || response.token().empty()) {
    return fail("login_failed", "HTTP " + std::to_string(reply->status) + ": " + error_text(reply->body));
  }
  token_ = response.token();
  return {};
}

Result<std::string> Technician::create_enroll_token(std::uint32_t uses) {
  v1::api::CreateEnrollTokenRequest request;
  request.set_group("loadgen");
  request.set_uses(uses);
  request.set_expires_in("2h");
  auto reply = call("POST", "/api/v1/enroll-tokens", to_json(request));
  if (!reply) return fail(reply.error());
  v1::api::EnrollToken token;
  if (reply->status / 100 != 2 || !from_json(reply->body, token) || token.token().empty()) {
    return fail("token_failed", "HTTP " + std::to_string(reply->status) + ": " + error_text(reply->body));
  }
  return token.token();
}

PingSeries Technician::ping(const std::string& device_id, std::size_t count) {
  PingSeries series;
  series.round_trip_us.reserve(count);
  series.tunnel_us.reserve(count);
  const std::string target = "/api/v1/devices/" + device_id + "/ping";
  auto started = Clock::now();
  for (std::size_t i = 0; i < count; ++i) {
    auto sent_at = Clock::now();
    auto reply = call("POST", target, "");
    auto elapsed = Clock::now() - sent_at;
    ++series.sent;
    v1::api::PingResult result;
    if (!reply || reply->status != 200 || !from_json(reply->body, result) ||
        result.device_id() != device_id) {
      ++series.lost;
      if (series.first_error.empty()) {
        series.first_error = !reply ? reply.error().to_string()
                                    : "HTTP " + std::to_string(reply->status) + ": " +
                                          error_text(reply->body);
      }
      continue;
    }
    ++series.ok;
    series.round_trip_us.push_back(std::chrono::duration<double, std::micro>(elapsed).count());
    series.tunnel_us.push_back(result.round_trip_ms() * 1000.0);
  }
  series.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return series;
}

}  // namespace helpline::loadgen

namespace helpline::loadgen {

Result<BundleTransfer> Technician::transfer_bundle(const std::string& device_id,
                                                   const std::string& expected_id) {
  BundleTransfer transfer;
  auto started = Clock::now();
  auto collected = call("POST", "/api/v1/devices/" + device_id + "/diag", "{}");
  auto stored = Clock::now();
  if (!collected) return fail(collected.error());
  v1::api::Bundle bundle;
  if (collected->status / 100 != 2 || !from_json(collected->body, bundle)) {
    return fail("collect_failed",
                "HTTP " + std::to_string(collected->status) + ": " + error_text(collected->body));
  }
  if (bundle.id() != expected_id) {
    return fail("bad_content", "the relay stored " + bundle.id() + ", not " + expected_id);
  }
  auto content = call("GET", "/api/v1/diag/" + bundle.id() + "/content", "");
  auto downloaded = Clock::now();
  if (!content) return fail(content.error());
  if (content->status != 200) {
    return fail("download_failed",
                "HTTP " + std::to_string(content->status) + ": " + error_text(content->body));
  }
  if (content->body.size() != bundle.size() || "sha256:" + tls::sha256_hex(content->body) != expected_id) {
    return fail("bad_content", "the downloaded content is not the bundle that was streamed");
  }
  transfer.bytes = content->body.size();
  transfer.upload_seconds = std::chrono::duration<double>(stored - started).count();
  transfer.download_seconds = std::chrono::duration<double>(downloaded - stored).count();
  return transfer;
}

}  // namespace helpline::loadgen
