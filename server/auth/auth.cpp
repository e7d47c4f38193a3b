#include "server/auth/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <charconv>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <span>
#include <vector>

#include "common/core/encoding.h"
#include "common/tls/crypto.h"

namespace helpline::relay::auth {
namespace {

constexpr std::string_view kScheme = "pbkdf2-sha256";
// Below 1000 a stored hash is too cheap to brute-force; above 10 million one
// login would pin a core for seconds, so such a stored string is refused too.
constexpr unsigned kMinIterations = 1000;
constexpr unsigned kMaxIterations = 10'000'000;
constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;
// Bounds for parsing stored hashes, a little wider than what we write.
constexpr std::size_t kMinStoredBytes = 16;
constexpr std::size_t kMaxStoredBytes = 64;
constexpr std::size_t kTokenBytes = 32;

// No 0/O, 1/l/I: the password is read off a terminal and typed again.
constexpr std::string_view kPasswordAlphabet =
    "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
constexpr std::size_t kPasswordLength = 20;

using Bytes = std::vector<std::uint8_t>;

// random_password() cannot report an error; a CSPRNG that keeps failing is
// a broken process, and going on would mint weak secrets.
[[noreturn]] void crypto_failed(const char* what) {
  std::fprintf(stderr, "helpline: fatal: OpenSSL %s failed\n", what);
  std::abort();
}

[[nodiscard]] bool pbkdf2(std::string_view password, std::span<const std::uint8_t> salt,
                          unsigned iterations, std::span<std::uint8_t> out) {
  if (password.size() > static_cast<std::size_t>(INT_MAX)) return false;
  return PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt.data(),
                           static_cast<int>(salt.size()), static_cast<int>(iterations),
                           EVP_sha256(), static_cast<int>(out.size()), out.data()) == 1;
}

// The iteration count of a stored hash: digits only, within the bounds.
[[nodiscard]] std::optional<unsigned> parse_iterations(std::string_view text) {
  if (text.empty() || text.size() > 8) return std::nullopt;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (value < kMinIterations || value > kMaxIterations) return std::nullopt;
  return value;
}

// "a$b$c$d" -> its four fields; nullopt for any other count.
[[nodiscard]] std::optional<std::array<std::string_view, 4>> split4(std::string_view text) {
  std::array<std::string_view, 4> fields;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    std::size_t dollar = text.find('$');
    bool last = i + 1 == fields.size();
    if (last != (dollar == std::string_view::npos)) return std::nullopt;
    fields[i] = text.substr(0, dollar);
    if (!last) text.remove_prefix(dollar + 1);
  }
  return fields;
}

}  // namespace

Result<std::string> hash_password(std::string_view password, unsigned iterations) {
  if (iterations < kMinIterations || iterations > kMaxIterations) {
    return fail("bad_iterations", "PBKDF2 iterations must be between " +
                                      std::to_string(kMinIterations) + " and " +
                                      std::to_string(kMaxIterations));
  }
  std::array<std::uint8_t, kSaltBytes> salt{};
  tls::random_bytes(salt);
  std::array<std::uint8_t, kHashBytes> hash{};
  if (!pbkdf2(password, salt, iterations, hash)) {
    return fail("crypto_error", "PBKDF2 failed (password too long?)");
  }
  return std::string(kScheme) + "$" + std::to_string(iterations) + "$" + base64url_encode(salt) +
         "$" + base64url_encode(hash);
}

bool verify_password(std::string_view password, std::string_view stored_hash) {
  auto fields = split4(stored_hash);
  if (!fields || (*fields)[0] != kScheme) return false;
  auto iterations = parse_iterations((*fields)[1]);
  auto salt = base64url_decode((*fields)[2]);
  auto expected = base64url_decode((*fields)[3]);
  if (!iterations || !salt || !expected) return false;
  auto in_bounds = [](const Bytes& bytes) {
    return bytes.size() >= kMinStoredBytes && bytes.size() <= kMaxStoredBytes;
  };
  if (!in_bounds(*salt) || !in_bounds(*expected)) return false;
  Bytes actual(expected->size());
  if (!pbkdf2(password, *salt, *iterations, actual)) return false;
  return CRYPTO_memcmp(actual.data(), expected->data(), actual.size()) == 0;
}

NewToken new_token(std::string_view prefix) {
  std::string secret = std::string(prefix) + tls::random_token(kTokenBytes);
  std::string hash = token_hash(secret);
  return NewToken{std::move(secret), std::move(hash)};
}

std::string token_hash(std::string_view secret) { return tls::sha256_hex(secret); }

std::string random_password() {
  // Rejection sampling: bytes at or above the largest multiple of the
  // alphabet size would favour the first letters, so they are drawn again.
  constexpr std::size_t kLimit = 256 - 256 % kPasswordAlphabet.size();
  std::string out;
  out.reserve(kPasswordLength);
  // Each byte is kept with probability kLimit/256 > 0.89; 64 rounds of 32
  // bytes failing to yield 20 is far beyond astronomically unlikely.
  for (int round = 0; round < 64 && out.size() < kPasswordLength; ++round) {
    std::array<std::uint8_t, 32> bytes{};
    tls::random_bytes(bytes);
    for (const std::uint8_t byte : bytes) {
      if (byte >= kLimit) continue;
      out += kPasswordAlphabet[byte % kPasswordAlphabet.size()];
      if (out.size() == kPasswordLength) break;
    }
  }
  if (out.size() != kPasswordLength) crypto_failed("RAND_bytes (no usable output)");
  return out;
}

}  // namespace helpline::relay::auth
