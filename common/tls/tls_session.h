// A TLS session as a sans-IO state machine: ciphertext in from the
// network, plaintext out to the application, and the reverse. The agent
// drives it from libuv, the relay from Asio; tests drive two of them against
// each other with no sockets.
//
// Memory: OpenSSL reads ciphertext straight from what receive() is given
// and writes it straight into this session's output, through a BIO with no
// buffer of its own (a memory BIO keeps, per direction, a buffer as large as
// the largest flight it ever held, handshake included, for the life of the
// connection). Output and plaintext buffers are released once drained, and
// with tls::release_buffers_when_idle on the context OpenSSL frees its
// record buffers between records: an idle session holds the SSL object and
// little else. A server session made with AfterHandshake::kOwnRecordLayer
// goes further: from the end of the handshake a RecordLayer protects the
// records with the handshake's traffic keys, and once its owner calls
// release_openssl() OpenSSL's state is freed (about 14 KiB per connection).
//
// Thread: none; one owner. The SSL_CTX must outlive the session.
#pragma once

#include <openssl/ssl.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/core/result.h"
#include "common/tls/record_layer.h"
#include "common/tls/tls_policy.h"

namespace helpline::tls {

class TlsSession {
 public:
  enum class State { kHandshaking, kOpen, kClosed, kFailed };
  // Who protects records once the handshake is over.
  enum class AfterHandshake {
    kOpenSsl,         // OpenSSL, for the life of the session
    kOwnRecordLayer,  // a RecordLayer from the end of the handshake on (the
                      // session learns its traffic secrets during it);
                      // native_handle() stays until release_openssl()
  };

  // A client session that expects `host` in the server certificate.
  [[nodiscard]] static Result<TlsSession> client(SSL_CTX* ctx, std::string_view host);
  // A server session. kOwnRecordLayer needs a context from
  // make_server_context, which lets sessions learn their traffic secrets and
  // sends no session tickets.
  [[nodiscard]] static Result<TlsSession> server(SSL_CTX* ctx,
                                                 AfterHandshake after = AfterHandshake::kOpenSsl);

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

  // Ciphertext to write to the network. The span stays valid until the next
  // call that changes the session.
  [[nodiscard]] std::span<const std::uint8_t> pending_output() const;
  void consume_output(std::size_t n);
  // All pending ciphertext, handed over without a copy (then consumed).
  [[nodiscard]] std::string take_output();
  [[nodiscard]] bool wants_write() const;

  // Queues close_notify.
  void shutdown();

  // Sends a KeyUpdate and moves to the next sending key (only in kOpen);
  // with `request_peer_update` the peer must move to its next key too.
  // Errors: "tls_state", "tls_error".
  [[nodiscard]] Result<void> update_keys(bool request_peer_update);

  // For a kOwnRecordLayer session: frees OpenSSL's state once the owner has
  // read what it needs of native_handle() (the peer certificate), which is
  // nullptr afterwards. Errors: "tls_state" (not open, or not made for it),
  // or why the records stayed with OpenSSL at the end of the handshake
  // ("tls_config": a cipher suite the RecordLayer does not implement, no
  // traffic secrets learnt); the session then goes on with OpenSSL.
  [[nodiscard]] Result<void> release_openssl();
  [[nodiscard]] bool uses_own_record_layer() const { return records_ != nullptr; }

  [[nodiscard]] State state() const { return state_; }
  // The OpenSSL session; nullptr once the session uses its own record layer.
  [[nodiscard]] SSL* native_handle() const { return ssl_.get(); }

  // What the session's BIO reads from and writes to; tls_session.cpp's
  // business. On the heap so that its address survives moves.
  struct Io;

 private:
  // An SSL over a fresh BIO, neither client nor server yet.
  [[nodiscard]] static Result<TlsSession> make(SSL_CTX* ctx);
  TlsSession(SslPtr ssl, std::unique_ptr<Io> io);
  // After SSL stopped reading: keeps what it left of the receive() input.
  void keep_unread_input();
  // At the end of the handshake: hands the records to a RecordLayer, or
  // notes in records_refused_ why they stay with OpenSSL.
  void start_own_records();
  [[nodiscard]] Result<void> receive_records(std::span<const std::uint8_t> ciphertext);

  std::unique_ptr<Io> io_;  // declared before ssl_: the BIO points into it
  SslPtr ssl_;
  State state_ = State::kHandshaking;
  std::string plaintext_;
  std::unique_ptr<RecordLayer> records_;  // when set, OpenSSL protects no record
  std::optional<Error> records_refused_;
};

// Lets server sessions made with AfterHandshake::kOwnRecordLayer learn their
// traffic secrets, through OpenSSL's key log callback; other connections on
// `ctx` are not affected. make_server_context calls it. It takes the
// context's one key log callback, so such a context cannot also write an
// SSLKEYLOGFILE for a packet capture (Helpline never sets one).
void capture_traffic_secrets(SSL_CTX* ctx);

}  // namespace helpline::tls
