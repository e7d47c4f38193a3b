// A client TLS session as a sans-IO state machine over OpenSSL memory BIOs:
// ciphertext in from the network, plaintext out to the application, and the
// reverse. The agent drives it from libuv; tests drive two of them against
// each other with no sockets.
//
// Thread: none; one owner. The SSL_CTX must outlive the session.
#pragma once

#include <openssl/ssl.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "common/core/result.h"
#include "common/tls/tls_policy.h"

namespace helpline::tls {

class TlsSession {
 public:
  enum class State { kHandshaking, kOpen, kClosed, kFailed };

  // A client session that expects `host` in the server certificate.
  [[nodiscard]] static Result<TlsSession> client(SSL_CTX* ctx, std::string_view host);
  // A server session (used by tests and the fuzz target).
  [[nodiscard]] static Result<TlsSession> server(SSL_CTX* ctx);

  TlsSession(TlsSession&&) noexcept;
  TlsSession& operator=(TlsSession&&) noexcept;
  ~TlsSession();

  // Starts or continues the handshake (a client calls it once to produce its
  // ClientHello). Errors: "tls_handshake" with the reason (for certificate
  // problems verify_failure_reason()'s words), after which state() is kFailed.
  [[nodiscard]] Result<void> advance();

  // Ciphertext from the network. Continues the handshake, then decrypts what
  // it can into the plaintext buffer. Errors: "tls_handshake", "tls_error"
  // (bad record, truncation attack), after which state() is kFailed. A
  // close_notify from the peer moves to kClosed.
  [[nodiscard]] Result<void> receive(std::span<const std::uint8_t> ciphertext);

  // Plaintext decrypted so far; take_plaintext() empties the buffer.
  [[nodiscard]] std::string take_plaintext();
  [[nodiscard]] std::size_t plaintext_available() const { return plaintext_.size(); }

  // Encrypts application data (only in kOpen). Errors: "tls_state", "tls_error".
  [[nodiscard]] Result<void> send(std::span<const std::uint8_t> plaintext);

  // Ciphertext to write to the network.
  [[nodiscard]] std::span<const std::uint8_t> pending_output();
  void consume_output(std::size_t n);
  [[nodiscard]] bool wants_write();

  // Queues close_notify.
  void shutdown();

  [[nodiscard]] State state() const { return state_; }
  [[nodiscard]] SSL* native_handle() const { return ssl_.get(); }

 private:
  // An SSL over two fresh memory BIOs, neither client nor server yet.
  [[nodiscard]] static Result<TlsSession> make(SSL_CTX* ctx);
  TlsSession(SslPtr ssl, BIO* network_in, BIO* network_out);
  void drain_bio_output();

  SslPtr ssl_;
  BIO* in_ = nullptr;   // owned by ssl_: network -> SSL
  BIO* out_ = nullptr;  // owned by ssl_: SSL -> network
  State state_ = State::kHandshaking;
  std::string plaintext_;
  std::string output_;
  std::size_t output_consumed_ = 0;
};

}  // namespace helpline::tls
