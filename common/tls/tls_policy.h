// The one TLS policy: TLS 1.3 only, groups X25519 and P-256, peer
// verification always on. Servers present their chain; clients verify it
// against a trust anchor (the relay CA) and/or a pin (the CA's SHA-256
// fingerprint must appear in the presented chain, and the leaf must chain to
// that certificate). There is no way to turn verification off.
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <string_view>

#include "common/core/result.h"

namespace helpline::tls {

struct SslCtxDeleter { void operator()(SSL_CTX* p) const { SSL_CTX_free(p); } };
struct SslDeleter { void operator()(SSL* p) const { SSL_free(p); } };
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxDeleter>;
using SslPtr = std::unique_ptr<SSL, SslDeleter>;

// Our own certificate and key, PEM. The chain is leaf first.
struct Identity {
  std::string certificate_chain_pem;
  std::string private_key_pem;
};

enum class ClientCertMode {
  kRequired,   // handshake fails without a valid client certificate
  kOptional,   // a client may come without one (enrollment), but a presented
               // certificate must verify against client_ca_pem
  kNotAsked,   // no CertificateRequest is sent: clients authenticate another
               // way (the technician API's bearer tokens)
};

struct ServerConfig {
  Identity identity;
  std::string client_ca_pem;                     // CA that signs device certificates
  ClientCertMode client_cert = ClientCertMode::kRequired;
};

struct ClientConfig {
  std::string ca_pem;                            // trust anchor; may be empty if ca_pin is set
  std::string ca_pin;                            // "SHA256:<hex>"; may be empty if ca_pem is set
  const Identity* identity = nullptr;            // client certificate, if any
};

// Errors: "tls_config" naming what was wrong (bad PEM, key mismatch, neither
// ca_pem nor ca_pin given).
[[nodiscard]] Result<SslCtxPtr> make_server_context(const ServerConfig& config);
[[nodiscard]] Result<SslCtxPtr> make_client_context(const ClientConfig& config);

// Sets SNI and the name the server certificate must carry (DNS name or IP
// literal) on a client SSL. Errors: "tls_config".
[[nodiscard]] Result<void> set_expected_host(SSL* ssl, std::string_view host);

// After a failed client handshake: why verification failed, in words a
// person can act on, e.g. "relay CA fingerprint SHA256:ab.. does not match
// the pin SHA256:cd..". Empty when verification was not the cause.
[[nodiscard]] std::string verify_failure_reason(const SSL* ssl);

// The verified peer certificate's subject CN ("" if none).
[[nodiscard]] std::string peer_common_name(const SSL* ssl);

// Reduces idle memory: OpenSSL frees its read/write buffers between records.
void release_buffers_when_idle(SSL_CTX* ctx);

}  // namespace helpline::tls
