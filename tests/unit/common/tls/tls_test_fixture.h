// Shared by the common/tls tests: a small PKI (relay CA, server and client
// certificates, and a second CA whose certificates must be refused) and a
// shuttle that moves ciphertext between two TlsSessions in memory, plus what
// the record layer tests share (test data, the TLS 1.3 suites).
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/tls/tls.h"

namespace helpline::tls::testing {

struct Pki {
  PKeyPtr ca_key;
  X509Ptr ca_cert;
  std::string ca_pem;
  Identity server;  // CN "relay", SANs 127.0.0.1, ::1 and localhost; chain leaf + CA
  Identity client;  // CN "device-1", clientAuth
  std::string other_ca_pem;
  Identity foreign_client;  // CN "intruder", issued by the other CA
};

// Built on first use and never changed afterwards.
const Pki& pki();

// A request with every field spelled out.
CertRequest request(std::string common_name, std::vector<std::string> sans = {},
                    CertUsage usage = CertUsage::kClient,
                    std::chrono::hours validity = std::chrono::hours(24 * 365),
                    std::uint64_t serial = 0);

// Issues a leaf for a fresh P-256 key; the chain holds leaf then `ca_cert`.
Identity issue(const X509* ca_cert, EVP_PKEY* ca_key, const CertRequest& request);

// Unwraps a Result a test expects to succeed.
template <class T>
T ok(Result<T> result) {
  if (!result) throw std::runtime_error(result.error().to_string());
  return std::move(*result);
}

struct PumpResult {
  std::optional<Error> client_error;  // the first error each side reported
  std::optional<Error> server_error;
};

// Moves ciphertext both ways until neither side has any left (bounded).
void pump(TlsSession& client, TlsSession& server, PumpResult& result);
// client.advance() then pump().
PumpResult handshake(TlsSession& client, TlsSession& server);

// Contexts from the shared PKI.
SslCtxPtr server_context(ClientCertMode mode = ClientCertMode::kRequired);
SslCtxPtr client_context(bool anchor, bool pin, const Identity* identity);

// A string's bytes, as the TLS interfaces take them.
inline std::span<const std::uint8_t> bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

// `n` pseudo-random bytes from `seed` (splitmix64): no short period that a
// record boundary could hide a misplaced byte behind.
std::string distinct_bytes(std::size_t n, std::uint64_t seed);
// Byte-exact comparison that names the first difference instead of printing
// megabytes.
::testing::AssertionResult same_bytes(const std::string& got, const std::string& want);

// The TLS 1.3 suites RecordLayer implements, as OpenSSL names them.
struct SuiteCase {
  const char* name;
  Suite suite;
  std::size_t hash_length;  // the length of its traffic secrets
};
inline constexpr SuiteCase kSuites[] = {
    {"TLS_AES_128_GCM_SHA256", Suite::kAes128GcmSha256, 32},
    {"TLS_AES_256_GCM_SHA384", Suite::kAes256GcmSha384, 48},
    {"TLS_CHACHA20_POLY1305_SHA256", Suite::kChaCha20Poly1305Sha256, 32},
};
// A parameterized test's name for a suite (gtest names take no '_').
std::string suite_test_name(const ::testing::TestParamInfo<SuiteCase>& param);
// Names the suite in test listings (gtest would print the struct's bytes).
inline void PrintTo(const SuiteCase& suite, std::ostream* out) { *out << suite.name; }

// The size of a protected KeyUpdate record: header, 5-byte message, content
// type, 16-byte tag.
inline constexpr std::size_t kKeyUpdateRecord = 5 + 5 + 1 + 16;

}  // namespace helpline::tls::testing
