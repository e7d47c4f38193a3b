#include "common/tls/tls_policy.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "common/tls/crypto.h"
#include "common/tls/openssl_util.h"
#include "common/tls/tls_session.h"
#include "common/tls/tls_verify.h"

namespace helpline::tls {

using detail::fail_openssl;

namespace {

Result<SslCtxPtr> new_context(const SSL_METHOD* method) {
  SslCtxPtr ctx(SSL_CTX_new(method));
  if (!ctx) return fail_openssl("tls_config", "could not create a TLS context");
  if (SSL_CTX_set_min_proto_version(ctx.get(), TLS1_3_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(ctx.get(), TLS1_3_VERSION) != 1 ||
      SSL_CTX_set1_groups_list(ctx.get(), "X25519:P-256") != 1) {
    return fail_openssl("tls_config", "could not apply the TLS 1.3 policy");
  }
  return ctx;
}

// Whether the peer gets the chain's self-signed root too. A relay sends it
// (an enrolling agent checks its pin against it); an agent does not: the
// relay holds its own device CA, and each certificate a relay parses stays
// in memory for the life of the link (a few KiB per agent).
enum class SendRoot { kYes, kNo };

bool self_signed(X509* cert) { return (X509_get_extension_flags(cert) & EXFLAG_SS) != 0; }

Result<void> load_identity(SSL_CTX* ctx, const Identity& identity, std::string_view who,
                           SendRoot send_root) {
  const std::string prefix = std::string(who) + " identity: ";
  auto chain = certificates_from_pem(identity.certificate_chain_pem);
  if (!chain) return fail("tls_config", prefix + "certificate chain: " + chain.error().message);
  auto key = private_key_from_pem(identity.private_key_pem);
  if (!key) return fail("tls_config", prefix + "private key: " + key.error().message);
  if (SSL_CTX_use_certificate(ctx, chain->front().get()) != 1) {
    return fail_openssl("tls_config", prefix + "the certificate was refused");
  }
  for (std::size_t i = 1; i < chain->size(); ++i) {
    if (send_root == SendRoot::kNo && self_signed((*chain)[i].get())) continue;
    if (SSL_CTX_add1_chain_cert(ctx, (*chain)[i].get()) != 1) {
      return fail_openssl("tls_config", prefix + "a chain certificate was refused");
    }
  }
  if (SSL_CTX_use_PrivateKey(ctx, key->get()) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    return fail_openssl(
        "tls_config", prefix + "the private key does not match the first certificate of the chain");
  }
  return {};
}

// Adds every certificate of `pem` to the context's trust store; with
// `advertise`, a server also names them in its CertificateRequest.
Result<std::vector<X509Ptr>> add_trust_anchors(SSL_CTX* ctx, std::string_view pem,
                                               std::string_view what, bool advertise) {
  auto certs = certificates_from_pem(pem);
  if (!certs) return fail("tls_config", std::string(what) + ": " + certs.error().message);
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  for (const X509Ptr& cert : *certs) {
    if (X509_STORE_add_cert(store, cert.get()) != 1 ||
        (advertise && SSL_CTX_add_client_CA(ctx, cert.get()) != 1)) {
      return fail_openssl("tls_config", std::string(what) + ": a certificate was refused");
    }
  }
  return certs;
}

}  // namespace

Result<SslCtxPtr> make_server_context(const ServerConfig& config) {
  auto ctx = new_context(TLS_server_method());
  if (!ctx) return ctx;
  // No resumption: agents hold one long-lived connection each, so tickets
  // and a session cache would only cost memory per connection.
  SSL_CTX_set_options(ctx->get(), SSL_OP_NO_TICKET);
  SSL_CTX_set_session_cache_mode(ctx->get(), SSL_SESS_CACHE_OFF);
  if (SSL_CTX_set_num_tickets(ctx->get(), 0) != 1) {
    return fail_openssl("tls_config", "could not turn session tickets off");
  }
  // Only sessions made for their own record layer keep what this learns.
  capture_traffic_secrets(ctx->get());
  if (auto ok = load_identity(ctx->get(), config.identity, "server", SendRoot::kYes); !ok) {
    return fail(ok.error());
  }
  int mode = SSL_VERIFY_NONE;
  switch (config.client_cert) {
    case ClientCertMode::kRequired:
      mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
      break;
    case ClientCertMode::kOptional:
      mode = SSL_VERIFY_PEER;
      break;
    case ClientCertMode::kNotAsked:
      // Server-authenticated TLS only (the technician API): no
      // CertificateRequest, so a client CA is not needed.
      mode = SSL_VERIFY_NONE;
      break;
  }
  if (mode != SSL_VERIFY_NONE && config.client_ca_pem.empty()) {
    return fail("tls_config",
                "client_ca_pem is empty: the CA that signs device certificates is required");
  }
  if (!config.client_ca_pem.empty()) {
    auto anchors = add_trust_anchors(ctx->get(), config.client_ca_pem, "client CA", true);
    if (!anchors) return fail(anchors.error());
  }
  if (auto ok = detail::verify_client_certificates(ctx->get(), mode); !ok) return fail(ok.error());
  return ctx;
}

Result<SslCtxPtr> make_client_context(const ClientConfig& config) {
  if (config.ca_pem.empty() && config.ca_pin.empty()) {
    return fail("tls_config",
                "neither ca_pem nor ca_pin given: the relay could not be authenticated");
  }
  std::string pin;
  if (!config.ca_pin.empty()) {
    auto normalized = normalize_pin(config.ca_pin);
    if (!normalized) return fail("tls_config", normalized.error().message);
    pin = std::move(*normalized);
  }
  auto ctx = new_context(TLS_client_method());
  if (!ctx) return ctx;
  // Without this OpenSSL builds the client's chain from the trust store and
  // sends the relay its own CA back with every handshake.
  SSL_CTX_set_mode(ctx->get(), SSL_MODE_NO_AUTO_CHAIN);
  const bool has_anchor = !config.ca_pem.empty();
  if (has_anchor) {
    auto anchors = add_trust_anchors(ctx->get(), config.ca_pem, "CA certificate", false);
    if (!anchors) return fail(anchors.error());
    if (!pin.empty()) {
      bool pinned = false;
      for (const X509Ptr& cert : *anchors) pinned = pinned || fingerprint(cert.get()) == pin;
      if (!pinned) {
        return fail("tls_config", "the CA certificate (" + fingerprint(anchors->front().get()) +
                                      ") does not match the pin " + pin);
      }
    }
  }
  if (config.identity != nullptr) {
    if (auto ok = load_identity(ctx->get(), *config.identity, "client", SendRoot::kNo); !ok)
      return fail(ok.error());
  }
  if (auto ok = detail::verify_server_certificates(ctx->get(), pin, has_anchor); !ok) {
    return fail(ok.error());
  }
  return ctx;
}

Result<void> set_expected_host(SSL* ssl, std::string_view host) {
  if (ssl == nullptr) return fail("tls_config", "no TLS connection to set the host on");
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const std::string name(host);
  if (detail::parse_ip_literal(host)) {
    // IP literals are checked against IP SANs and never sent as SNI (RFC 6066).
    if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str()) != 1) {
      return fail_openssl("tls_config", "could not set the expected address " + name);
    }
  } else if (detail::is_dns_name(host)) {
    // SSL_set_tlsext_host_name() spelled out: the macro's C cast trips
    // -Wold-style-cast. OpenSSL copies the name.
    if (SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                 const_cast<char*>(name.c_str())) != 1 ||
        SSL_set1_host(ssl, name.c_str()) != 1) {
      return fail_openssl("tls_config", "could not set the expected host " + name);
    }
    SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  } else {
    return fail("tls_config",
                "host \"" + name.substr(0, 80) + "\" is neither a DNS name nor an IP address");
  }
  return detail::remember_expected_host(ssl, name);
}

std::string peer_common_name(const SSL* ssl) {
  if (ssl == nullptr) return {};
  const X509* cert = SSL_get0_peer_certificate(ssl);
  if (cert == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) return {};
  return common_name(cert);
}

void release_buffers_when_idle(SSL_CTX* ctx) {
  if (ctx != nullptr) SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
}

}  // namespace helpline::tls
