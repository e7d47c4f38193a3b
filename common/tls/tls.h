// common/tls: one TLS policy for the relay, the agent and the CLI, a sans-IO
// TLS session over OpenSSL memory BIOs, and the key/CSR/certificate helpers
// enrollment needs. Public face of the module: include this header only.
// No sockets here: the relay wraps the SSL_CTX in Asio, the agent feeds a
// TlsSession from libuv.
#pragma once

#include "common/tls/crypto.h"
#include "common/tls/tls_policy.h"
#include "common/tls/tls_session.h"
