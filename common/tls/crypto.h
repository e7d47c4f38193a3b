// Keys, certificate requests, certificates and digests with OpenSSL 3 EVP
// APIs. Device and relay TLS keys are ECDSA P-256; Ed25519 is available for
// signatures (the action catalog). Every function returns a Result whose
// error code is "crypto_error" (or the more specific one documented) with
// OpenSSL's reason appended.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/result.h"

namespace helpline::tls {

struct PKeyDeleter { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct X509Deleter { void operator()(X509* p) const { X509_free(p); } };
struct X509ReqDeleter { void operator()(X509_REQ* p) const { X509_REQ_free(p); } };
using PKeyPtr = std::unique_ptr<EVP_PKEY, PKeyDeleter>;
using X509Ptr = std::unique_ptr<X509, X509Deleter>;
using X509ReqPtr = std::unique_ptr<X509_REQ, X509ReqDeleter>;

enum class KeyType { kEcdsaP256, kEd25519 };

[[nodiscard]] Result<PKeyPtr> generate_key(KeyType type = KeyType::kEcdsaP256);
[[nodiscard]] Result<std::string> private_key_to_pem(const EVP_PKEY* key);
[[nodiscard]] Result<std::string> public_key_to_pem(const EVP_PKEY* key);
// Errors: "bad_key" when the text is not a PEM private key.
[[nodiscard]] Result<PKeyPtr> private_key_from_pem(std::string_view pem);
[[nodiscard]] Result<PKeyPtr> public_key_from_pem(std::string_view pem);

// A PKCS#10 request for `common_name`, signed by `key`.
[[nodiscard]] Result<std::string> make_csr_pem(EVP_PKEY* key, std::string_view common_name);

struct CsrInfo {
  std::string common_name;
  PKeyPtr public_key;
};
// Parses a CSR and checks its self-signature. Errors: "bad_csr" (not PEM,
// bad signature, key type other than P-256/Ed25519, over 16 KiB).
[[nodiscard]] Result<CsrInfo> parse_csr(std::string_view pem);

// A self-signed CA certificate (basicConstraints CA:TRUE, keyCertSign).
[[nodiscard]] Result<X509Ptr> make_ca_certificate(EVP_PKEY* ca_key, std::string_view common_name,
                                                  std::chrono::hours validity);

enum class CertUsage { kServer, kClient };

struct CertRequest {
  std::string common_name;
  std::vector<std::string> subject_alt_names;  // DNS names or IP literals
  CertUsage usage = CertUsage::kClient;
  std::chrono::hours validity{24 * 365};
  std::uint64_t serial = 0;                    // 0: a random 63-bit serial
};
// Issues a certificate for `subject_key` signed by the CA.
[[nodiscard]] Result<X509Ptr> sign_certificate(const X509* ca_cert, EVP_PKEY* ca_key,
                                               EVP_PKEY* subject_key, const CertRequest& request);

[[nodiscard]] Result<std::string> certificate_to_pem(const X509* cert);
// Errors: "bad_certificate".
[[nodiscard]] Result<X509Ptr> certificate_from_pem(std::string_view pem);
// Every certificate in a PEM bundle, in order.
[[nodiscard]] Result<std::vector<X509Ptr>> certificates_from_pem(std::string_view pem);

// "SHA256:<64 lowercase hex>" over the DER encoding: the CA pin format.
[[nodiscard]] std::string fingerprint(const X509* cert);
// Checks the pin's form. Errors: "bad_pin" explaining the expected format.
[[nodiscard]] Result<std::string> normalize_pin(std::string_view pin);

[[nodiscard]] std::string common_name(const X509* cert);
[[nodiscard]] std::string serial_hex(const X509* cert);

// Digests and randomness.
[[nodiscard]] std::string sha256_hex(std::string_view data);
[[nodiscard]] std::string hmac_sha256_hex(std::string_view key, std::string_view data);
// Fills `out` with cryptographically random bytes.
void random_bytes(std::span<std::uint8_t> out);
// `bytes` cryptographically random bytes as unpadded base64url.
[[nodiscard]] std::string random_token(std::size_t bytes = 32);
[[nodiscard]] std::uint64_t random_u64();
// Constant-time comparison of equal-length strings (false if lengths differ).
[[nodiscard]] bool constant_time_equal(std::string_view a, std::string_view b);

// Ed25519 signatures (detached, raw 64 bytes).
[[nodiscard]] Result<std::string> sign_ed25519(EVP_PKEY* key, std::string_view message);
// Errors: "bad_signature".
[[nodiscard]] Result<void> verify_ed25519(EVP_PKEY* public_key, std::string_view message,
                                          std::string_view signature);

// Padded standard base64 (RFC 4648 section 4) on one line, OpenSSL's.
[[nodiscard]] std::string base64_encode(std::string_view bytes);
// nullopt unless `text` is padded standard base64 on one line.
[[nodiscard]] std::optional<std::string> base64_decode(std::string_view text);

// OpenSSL's error queue as text, and cleared; "" when empty.
[[nodiscard]] std::string openssl_errors();

}  // namespace helpline::tls
