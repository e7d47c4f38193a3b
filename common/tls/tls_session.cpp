#include "common/tls/tls_session.h"

#include <openssl/err.h>

#include <algorithm>
#include <array>
#include <climits>
#include <utility>

#include "common/tls/crypto.h"
#include "common/tls/openssl_util.h"

namespace helpline::tls {

namespace {

// One TLS record's worth of plaintext per SSL_read/BIO_read call.
constexpr std::size_t kChunk = 16 * 1024;

// OpenSSL's queued reasons, or `fallback` when it queued none.
Error openssl_error(std::string code, std::string fallback) {
  std::string reasons = openssl_errors();
  return Error{std::move(code), reasons.empty() ? std::move(fallback) : std::move(reasons)};
}

}  // namespace

Result<TlsSession> TlsSession::client(SSL_CTX* ctx, std::string_view host) {
  auto session = make(ctx);
  if (!session) return session;
  SSL_set_connect_state(session->ssl_.get());
  if (auto ok = set_expected_host(session->ssl_.get(), host); !ok) return fail(ok.error());
  return session;
}

Result<TlsSession> TlsSession::server(SSL_CTX* ctx) {
  auto session = make(ctx);
  if (!session) return session;
  SSL_set_accept_state(session->ssl_.get());
  return session;
}

Result<TlsSession> TlsSession::make(SSL_CTX* ctx) {
  if (ctx == nullptr) return fail("tls_config", "no TLS context");
  SslPtr ssl(SSL_new(ctx));
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  if (!ssl || in == nullptr || out == nullptr) {
    BIO_free(in);
    BIO_free(out);
    return detail::fail_openssl("tls_error", "could not create a TLS session");
  }
  // An empty memory BIO must mean "no data yet", not end of stream.
  BIO_set_mem_eof_return(in, -1);
  BIO_set_mem_eof_return(out, -1);
  SSL_set_bio(ssl.get(), in, out);  // ssl now owns both
  return TlsSession(std::move(ssl), in, out);
}

TlsSession::TlsSession(SslPtr ssl, BIO* network_in, BIO* network_out)
    : ssl_(std::move(ssl)), in_(network_in), out_(network_out) {}

TlsSession::TlsSession(TlsSession&& other) noexcept
    : ssl_(std::move(other.ssl_)),
      in_(std::exchange(other.in_, nullptr)),
      out_(std::exchange(other.out_, nullptr)),
      state_(std::exchange(other.state_, State::kFailed)),
      plaintext_(std::move(other.plaintext_)),
      output_(std::move(other.output_)),
      output_consumed_(std::exchange(other.output_consumed_, 0)) {}

TlsSession& TlsSession::operator=(TlsSession&& other) noexcept {
  if (this != &other) {
    ssl_ = std::move(other.ssl_);
    in_ = std::exchange(other.in_, nullptr);
    out_ = std::exchange(other.out_, nullptr);
    state_ = std::exchange(other.state_, State::kFailed);
    plaintext_ = std::move(other.plaintext_);
    output_ = std::move(other.output_);
    output_consumed_ = std::exchange(other.output_consumed_, 0);
  }
  return *this;
}

TlsSession::~TlsSession() = default;

Result<void> TlsSession::advance() {
  switch (state_) {
    case State::kHandshaking:
      break;
    case State::kOpen:
    case State::kClosed:
      return {};
    case State::kFailed:
      return fail("tls_state", "the TLS session has already failed");
  }
  ERR_clear_error();
  const int rc = SSL_do_handshake(ssl_.get());
  // Even a failed handshake leaves an alert for the peer in the out-BIO.
  drain_bio_output();
  if (rc == 1) {
    state_ = State::kOpen;
    return {};
  }
  const int error = SSL_get_error(ssl_.get(), rc);
  if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) return {};
  state_ = State::kFailed;
  std::string reason = verify_failure_reason(ssl_.get());
  std::string details = openssl_errors();
  if (reason.empty()) reason = details.empty() ? "the TLS handshake failed" : std::move(details);
  return fail("tls_handshake", std::move(reason));
}

Result<void> TlsSession::receive(std::span<const std::uint8_t> ciphertext) {
  if (state_ == State::kFailed) return fail("tls_state", "the TLS session has already failed");
  // After the peer's close_notify nothing it sends is meaningful.
  if (state_ == State::kClosed) return {};
  while (!ciphertext.empty()) {
    const std::size_t chunk = std::min<std::size_t>(ciphertext.size(), INT_MAX);
    if (BIO_write(in_, ciphertext.data(), static_cast<int>(chunk)) != static_cast<int>(chunk)) {
      state_ = State::kFailed;
      return fail(openssl_error("tls_error", "could not buffer incoming TLS data"));
    }
    ciphertext = ciphertext.subspan(chunk);
  }
  if (state_ == State::kHandshaking) {
    if (auto ok = advance(); !ok || state_ == State::kHandshaking) return ok;
  }
  // Each iteration consumes buffered ciphertext or stops; the in-BIO is finite.
  for (;;) {
    std::array<char, kChunk> buffer{};
    ERR_clear_error();
    const int n = SSL_read(ssl_.get(), buffer.data(), static_cast<int>(buffer.size()));
    if (n > 0) {
      plaintext_.append(buffer.data(), static_cast<std::size_t>(n));
      continue;
    }
    const int error = SSL_get_error(ssl_.get(), n);
    drain_bio_output();
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) return {};
    if (error == SSL_ERROR_ZERO_RETURN) {
      state_ = State::kClosed;
      return {};
    }
    state_ = State::kFailed;
    // TLS 1.3 finishes client authentication after the client's handshake
    // completes, so a refused client certificate surfaces here.
    std::string reason = verify_failure_reason(ssl_.get());
    Error error_result = openssl_error("tls_error", "the TLS connection failed");
    if (!reason.empty()) error_result.message = reason + " (" + error_result.message + ")";
    return fail(std::move(error_result));
  }
}

std::string TlsSession::take_plaintext() { return std::exchange(plaintext_, std::string()); }

Result<void> TlsSession::send(std::span<const std::uint8_t> plaintext) {
  if (state_ != State::kOpen) {
    return fail("tls_state", "cannot send: the TLS session is not open");
  }
  // Without SSL_MODE_ENABLE_PARTIAL_WRITE, SSL_write takes all it is given
  // or fails; a memory BIO never blocks, so a short write is an error.
  while (!plaintext.empty()) {
    const std::size_t chunk = std::min<std::size_t>(plaintext.size(), INT_MAX);
    ERR_clear_error();
    const int n = SSL_write(ssl_.get(), plaintext.data(), static_cast<int>(chunk));
    drain_bio_output();
    if (n <= 0) {
      state_ = State::kFailed;
      return fail(openssl_error("tls_error", "could not encrypt outgoing data"));
    }
    plaintext = plaintext.subspan(static_cast<std::size_t>(n));
  }
  return {};
}

std::span<const std::uint8_t> TlsSession::pending_output() {
  drain_bio_output();
  const auto* data = reinterpret_cast<const std::uint8_t*>(output_.data());
  return {data + output_consumed_, output_.size() - output_consumed_};
}

void TlsSession::consume_output(std::size_t n) {
  output_consumed_ += std::min(n, output_.size() - output_consumed_);
  if (output_consumed_ == output_.size()) {
    output_.clear();
    output_consumed_ = 0;
  } else if (output_consumed_ >= kChunk && output_consumed_ * 2 >= output_.size()) {
    // Compact so a slow network does not make the buffer grow without end.
    output_.erase(0, output_consumed_);
    output_consumed_ = 0;
  }
}

bool TlsSession::wants_write() { return !pending_output().empty(); }

void TlsSession::shutdown() {
  if (state_ == State::kOpen && ssl_) {
    ERR_clear_error();
    // 0 means "close_notify queued, the peer's not seen yet": all we need.
    (void)SSL_shutdown(ssl_.get());
    ERR_clear_error();
    drain_bio_output();
  }
  if (state_ != State::kFailed) state_ = State::kClosed;
}

void TlsSession::drain_bio_output() {
  if (out_ == nullptr) return;
  // Bounded by what the out-BIO holds; BIO_read returns <= 0 when empty.
  for (;;) {
    const std::size_t pending = BIO_ctrl_pending(out_);
    if (pending == 0) return;
    const std::size_t old_size = output_.size();
    const std::size_t want = std::min<std::size_t>(pending, INT_MAX);
    output_.resize(old_size + want);
    const int n = BIO_read(out_, output_.data() + old_size, static_cast<int>(want));
    output_.resize(old_size + (n > 0 ? static_cast<std::size_t>(n) : 0));
    if (n <= 0) return;
  }
}

}  // namespace helpline::tls
