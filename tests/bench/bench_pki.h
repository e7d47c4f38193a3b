// In-memory PKI for the tunnel benchmark, built with common/tls's crypto
// helpers: a CA, a relay certificate for 127.0.0.1 and a device (client)
// certificate, and the two TLS contexts made from them with the one TLS
// policy (TLS 1.3 only, mutual TLS required, verification always on).
//
// Errors: common/tls's codes ("crypto_error", "tls_config").
// Thread: build once; an SSL_CTX may then be shared by both peer threads.
#pragma once

#include <string_view>

#include "common/core/result.h"
#include "common/tls/tls.h"

namespace helpline::bench {

// The device certificate's CN, which the agent's Hello must repeat.
inline constexpr std::string_view kDeviceId = "bench-device";
// The relay certificate's only name, and the host the agent expects.
inline constexpr std::string_view kRelayHost = "127.0.0.1";

struct BenchContexts {
  tls::SslCtxPtr relay;  // server, ClientCertMode::kRequired, the CA as client CA
  tls::SslCtxPtr agent;  // client, the CA as trust anchor, the device identity
};

[[nodiscard]] Result<BenchContexts> make_bench_contexts();

}  // namespace helpline::bench
