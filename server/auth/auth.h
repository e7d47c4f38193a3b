// Password hashing and bearer-token helpers for the relay's technician API.
// Passwords: PBKDF2-HMAC-SHA256 with a random 16-byte salt, encoded as
// "pbkdf2-sha256$<iterations>$<salt b64url>$<hash b64url>" (unpadded
// base64url, 32-byte hash). Tokens: random 32 bytes (base64url), stored only
// as SHA-256 hex.
//
// new_token(), random_password() and the salt of hash_password() abort the
// process if OpenSSL's random generator fails (tls::random_bytes): a secret
// is never weak.
#pragma once

#include <string>
#include <string_view>

#include "common/core/result.h"

namespace helpline::relay::auth {

inline constexpr unsigned kPasswordIterations = 210000;  // OWASP 2023 for PBKDF2-SHA256

// Errors: "bad_iterations" outside [1000, 10'000'000] (the range
// verify_password accepts); "crypto_error" if PBKDF2 fails.
[[nodiscard]] Result<std::string> hash_password(std::string_view password,
                                                unsigned iterations = kPasswordIterations);
// Constant-time comparison; false for a malformed stored hash or one whose
// iteration count is outside [1000, 10'000'000].
[[nodiscard]] bool verify_password(std::string_view password, std::string_view stored_hash);

// A new random secret (bearer or enrollment token) and the hash to store.
struct NewToken {
  std::string secret;
  std::string hash;
};
[[nodiscard]] NewToken new_token(std::string_view prefix);  // secret = prefix + random
[[nodiscard]] std::string token_hash(std::string_view secret);

// A readable random password for the initial admin account.
[[nodiscard]] std::string random_password();

}  // namespace helpline::relay::auth
