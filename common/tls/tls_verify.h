// Internal to common/tls: peer-certificate verification for the policy in
// tls_policy.h (trust anchor, CA pin, and the reasons shown on failure).
#pragma once

#include <openssl/ssl.h>

#include <string>
#include <string_view>

#include "common/core/result.h"

namespace helpline::tls::detail {

// Server side: verify client certificates against the context's store with
// the SSL-client purpose; `mode` is SSL_VERIFY_PEER plus optional flags.
[[nodiscard]] Result<void> verify_client_certificates(SSL_CTX* ctx, int mode);

// Client side: SSL_VERIFY_PEER always. With a non-empty `normalized_pin`,
// the presented chain must reach the pinned certificate; with `has_anchor`
// too, the usual anchor verification runs first and its chain must contain
// the pinned certificate.
[[nodiscard]] Result<void> verify_server_certificates(SSL_CTX* ctx, std::string_view normalized_pin,
                                                      bool has_anchor);

// Remembers the host a client expects, for failure reasons.
[[nodiscard]] Result<void> remember_expected_host(SSL* ssl, std::string_view host);

}  // namespace helpline::tls::detail
