// Peer verification. OpenSSL's own chain building does the work; this file
// adds the CA pin (a fingerprint instead of, or on top of, a trust anchor)
// and keeps a sentence per SSL saying why verification failed, because
// "certificate verify failed" alone does not tell an admin what to fix.
#include "common/tls/tls_verify.h"

#include <openssl/err.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <memory>

#include "common/tls/crypto.h"
#include "common/tls/openssl_util.h"
#include "common/tls/tls_policy.h"

namespace helpline::tls {
namespace detail {
namespace {

struct StoreDeleter {
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
};
struct StoreCtxDeleter {
  void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); }
};

// Per SSL, owned by its ex_data slot.
struct VerifyState {
  std::string expected_host;
  std::string reason;  // the first failure; later ones are consequences
};

// Per client SSL_CTX, owned by its ex_data slot.
struct PinState {
  std::string pin;  // normalized "SHA256:<hex>"
  bool has_anchor = false;
};

void free_verify_state(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<VerifyState*>(ptr);
}

void free_pin_state(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<PinState*>(ptr);
}

int verify_state_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, free_verify_state);
  return index;
}

int pin_state_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, free_pin_state);
  return index;
}

const VerifyState* find_state(const SSL* ssl) {
  const int index = verify_state_index();
  if (ssl == nullptr || index < 0) return nullptr;
  return static_cast<const VerifyState*>(SSL_get_ex_data(ssl, index));
}

VerifyState* ensure_state(SSL* ssl) {
  const int index = verify_state_index();
  if (ssl == nullptr || index < 0) return nullptr;
  if (auto* state = static_cast<VerifyState*>(SSL_get_ex_data(ssl, index))) return state;
  auto state = std::make_unique<VerifyState>();
  if (SSL_set_ex_data(ssl, index, state.get()) != 1) return nullptr;
  return state.release();
}

SSL* ssl_of(X509_STORE_CTX* store_ctx) {
  return static_cast<SSL*>(
      X509_STORE_CTX_get_ex_data(store_ctx, SSL_get_ex_data_X509_STORE_CTX_idx()));
}

void record_failure(SSL* ssl, std::string reason) {
  VerifyState* state = ensure_state(ssl);
  if (state != nullptr && state->reason.empty()) state->reason = std::move(reason);
}

// `leaf` is the peer's own certificate, `failing` the one the error is
// about (either may be null when unknown).
std::string describe(const SSL* ssl, long error, const X509* leaf, const X509* failing) {
  const std::string peer = SSL_is_server(ssl) == 1 ? "client" : "server";
  if (error == X509_V_ERR_HOSTNAME_MISMATCH || error == X509_V_ERR_IP_ADDRESS_MISMATCH) {
    const VerifyState* state = find_state(ssl);
    const std::string host = state != nullptr ? state->expected_host : std::string();
    return peer + " certificate is not valid for host " + (host.empty() ? "(unknown)" : host);
  }
  std::string text = peer + " certificate";
  if (leaf != nullptr) text += " \"" + common_name(leaf) + "\"";
  text += " failed verification: ";
  text += X509_verify_cert_error_string(error);
  if (failing != nullptr && failing != leaf) text += " at \"" + common_name(failing) + "\"";
  switch (error) {
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      text += " (it is not issued by the trusted CA)";
      break;
    case X509_V_ERR_INVALID_PURPOSE:
      text += " (its extended key usage does not allow TLS " + peer + " authentication)";
      break;
    default:
      break;
  }
  return text;
}

// Installed as the SSL verify callback: never changes the verdict, only
// remembers the first failure in words.
int remember_failure(int ok, X509_STORE_CTX* store_ctx) {
  if (ok == 0) {
    if (SSL* ssl = ssl_of(store_ctx)) {
      record_failure(ssl, describe(ssl, X509_STORE_CTX_get_error(store_ctx),
                                   X509_STORE_CTX_get0_cert(store_ctx),
                                   X509_STORE_CTX_get_current_cert(store_ctx)));
    }
  }
  return ok;
}

X509* find_pinned(STACK_OF(X509) * chain, const std::string& pin) {
  const int count = chain == nullptr ? 0 : sk_X509_num(chain);
  for (int i = 0; i < count; ++i) {
    X509* cert = sk_X509_value(chain, i);
    if (constant_time_equal(fingerprint(cert), pin)) return cert;
  }
  return nullptr;
}

int refuse_pin_mismatch(X509_STORE_CTX* store_ctx, SSL* ssl, STACK_OF(X509) * chain,
                        const std::string& pin) {
  const int count = chain == nullptr ? 0 : sk_X509_num(chain);
  X509* top = count > 0 ? sk_X509_value(chain, count - 1) : nullptr;
  std::string reason = "relay CA fingerprint ";
  reason +=
      top != nullptr ? fingerprint(top) + " (CN \"" + common_name(top) + "\")" : "(none presented)";
  reason += " does not match the pinned " + pin;
  if (ssl != nullptr) record_failure(ssl, std::move(reason));
  X509_STORE_CTX_set_error_depth(store_ctx, count > 0 ? count - 1 : 0);
  X509_STORE_CTX_set_current_cert(store_ctx, top);
  X509_STORE_CTX_set_error(store_ctx, X509_V_ERR_CERT_UNTRUSTED);
  return 0;
}

// Pin without anchor: the pinned certificate, taken from the chain the
// server presented, is the only trust anchor of a one-off store. The
// verification parameters (purpose, host name, time, security level) are
// the ones OpenSSL prepared for this SSL, so set_expected_host still holds.
int verify_to_pinned(X509_STORE_CTX* store_ctx, SSL* ssl, X509* pinned) {
  std::unique_ptr<X509_STORE, StoreDeleter> store(X509_STORE_new());
  std::unique_ptr<X509_STORE_CTX, StoreCtxDeleter> ctx(X509_STORE_CTX_new());
  if (!store || !ctx || X509_STORE_add_cert(store.get(), pinned) != 1 ||
      X509_STORE_CTX_init(ctx.get(), store.get(), X509_STORE_CTX_get0_cert(store_ctx),
                          X509_STORE_CTX_get0_untrusted(store_ctx)) != 1) {
    X509_STORE_CTX_set_error(store_ctx, X509_V_ERR_OUT_OF_MEM);
    return 0;
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  if (X509_VERIFY_PARAM_set1(param, X509_STORE_CTX_get0_param(store_ctx)) != 1 ||
      X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_SSL_SERVER) != 1 ||
      X509_VERIFY_PARAM_set_trust(param, X509_TRUST_SSL_SERVER) != 1) {
    X509_STORE_CTX_set_error(store_ctx, X509_V_ERR_OUT_OF_MEM);
    return 0;
  }
  // The pin may name an intermediate: it is trusted without its issuer.
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
  X509_STORE_CTX_set_ex_data(ctx.get(), SSL_get_ex_data_X509_STORE_CTX_idx(), ssl);
  X509_STORE_CTX_set_verify_cb(ctx.get(), remember_failure);

  const int rc = X509_verify_cert(ctx.get());
  X509_STORE_CTX_set_error(store_ctx, X509_STORE_CTX_get_error(ctx.get()));
  X509_STORE_CTX_set_error_depth(store_ctx, X509_STORE_CTX_get_error_depth(ctx.get()));
  X509_STORE_CTX_set_current_cert(store_ctx, X509_STORE_CTX_get_current_cert(ctx.get()));
  if (rc != 1) return 0;
  // Lets SSL_get0_verified_chain() report the chain we actually verified.
  X509_STORE_CTX_set0_verified_chain(store_ctx, X509_STORE_CTX_get1_chain(ctx.get()));
  return 1;
}

int verify_with_pin(X509_STORE_CTX* store_ctx, void* arg) {
  const auto* pin = static_cast<const PinState*>(arg);
  SSL* ssl = ssl_of(store_ctx);
  if (pin->has_anchor) {
    if (X509_verify_cert(store_ctx) != 1) return 0;
    STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(store_ctx);
    if (find_pinned(chain, pin->pin) != nullptr) return 1;
    return refuse_pin_mismatch(store_ctx, ssl, chain, pin->pin);
  }
  STACK_OF(X509)* presented = X509_STORE_CTX_get0_untrusted(store_ctx);
  X509* pinned = find_pinned(presented, pin->pin);
  if (pinned == nullptr) return refuse_pin_mismatch(store_ctx, ssl, presented, pin->pin);
  return verify_to_pinned(store_ctx, ssl, pinned);
}

}  // namespace

Result<void> verify_client_certificates(SSL_CTX* ctx, int mode) {
  SSL_CTX_set_verify(ctx, mode, remember_failure);
  if (SSL_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT) != 1) {
    return fail_openssl("tls_config", "could not set the certificate purpose");
  }
  return {};
}

Result<void> verify_server_certificates(SSL_CTX* ctx, std::string_view normalized_pin,
                                        bool has_anchor) {
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, remember_failure);
  if (SSL_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER) != 1) {
    return fail_openssl("tls_config", "could not set the certificate purpose");
  }
  if (normalized_pin.empty()) return {};
  const int index = pin_state_index();
  auto state = std::make_unique<PinState>(PinState{std::string(normalized_pin), has_anchor});
  if (index < 0 || SSL_CTX_set_ex_data(ctx, index, state.get()) != 1) {
    return fail_openssl("tls_config", "could not attach the CA pin to the TLS context");
  }
  SSL_CTX_set_cert_verify_callback(ctx, verify_with_pin, state.release());
  return {};
}

Result<void> remember_expected_host(SSL* ssl, std::string_view host) {
  VerifyState* state = ensure_state(ssl);
  if (state == nullptr) return fail_openssl("tls_config", "out of memory");
  state->expected_host = std::string(host);
  return {};
}

}  // namespace detail

std::string verify_failure_reason(const SSL* ssl) {
  if (ssl == nullptr) return {};
  if (const auto* state = detail::find_state(ssl); state != nullptr && !state->reason.empty()) {
    return state->reason;
  }
  const long result = SSL_get_verify_result(ssl);
  if (result != X509_V_OK) return detail::describe(ssl, result, nullptr, nullptr);
  return {};
}

}  // namespace helpline::tls
