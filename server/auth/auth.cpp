#include "server/auth/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <charconv>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <span>
#include <vector>

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

constexpr std::string_view kBase64Url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

using Bytes = std::vector<unsigned char>;

// new_token() and random_password() cannot report an error; a CSPRNG or
// digest that fails is a broken process, and going on would mint weak secrets.
[[noreturn]] void crypto_failed(const char* what) {
  std::fprintf(stderr, "helpline: fatal: OpenSSL %s failed\n", what);
  std::abort();
}

[[nodiscard]] bool fill_random(std::span<unsigned char> out) {
  return RAND_bytes(out.data(), static_cast<int>(out.size())) == 1;
}

[[nodiscard]] Bytes random_bytes(std::size_t count) {
  Bytes out(count);
  if (!fill_random(out)) crypto_failed("RAND_bytes");
  return out;
}

[[nodiscard]] std::string base64url_encode(std::span<const unsigned char> data) {
  std::string out;
  out.reserve((data.size() * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    std::uint32_t n = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8) |
                      std::uint32_t{data[i + 2]};
    out += kBase64Url[(n >> 18) & 63];
    out += kBase64Url[(n >> 12) & 63];
    out += kBase64Url[(n >> 6) & 63];
    out += kBase64Url[n & 63];
  }
  std::size_t rest = data.size() - i;
  if (rest > 0) {
    std::uint32_t n = std::uint32_t{data[i]} << 16;
    if (rest == 2) n |= std::uint32_t{data[i + 1]} << 8;
    out += kBase64Url[(n >> 18) & 63];
    out += kBase64Url[(n >> 12) & 63];
    if (rest == 2) out += kBase64Url[(n >> 6) & 63];
  }
  return out;
}

// Strict: unpadded, alphabet only, unused trailing bits zero, so each byte
// string has exactly one accepted encoding.
[[nodiscard]] std::optional<Bytes> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  Bytes out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t acc = 0;
  unsigned bits = 0;
  for (char c : text) {
    std::size_t value = kBase64Url.find(c);
    if (value == std::string_view::npos) return std::nullopt;
    acc = ((acc << 6) | static_cast<std::uint32_t>(value)) & 0xffff;  // 14 bits suffice
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<unsigned char>((acc >> bits) & 0xff));
    }
  }
  if ((acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

[[nodiscard]] std::string hex(std::span<const unsigned char> data) {
  constexpr std::string_view kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(data.size() * 2);
  for (unsigned char byte : data) {
    out += kDigits[byte >> 4];
    out += kDigits[byte & 0x0f];
  }
  return out;
}

[[nodiscard]] bool pbkdf2(std::string_view password, std::span<const unsigned char> salt,
                          unsigned iterations, std::span<unsigned char> out) {
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
  std::array<unsigned char, kSaltBytes> salt{};
  if (!fill_random(salt)) return fail("crypto_error", "cannot get random bytes for the salt");
  std::array<unsigned char, kHashBytes> hash{};
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
  std::string secret = std::string(prefix) + base64url_encode(random_bytes(kTokenBytes));
  std::string hash = token_hash(secret);
  return NewToken{std::move(secret), std::move(hash)};
}

std::string token_hash(std::string_view secret) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(secret.data(), secret.size(), digest.data(), &length, EVP_sha256(), nullptr) !=
      1) {
    crypto_failed("SHA-256");
  }
  return hex(std::span(digest.data(), length));
}

std::string random_password() {
  // Rejection sampling: bytes at or above the largest multiple of the
  // alphabet size would favour the first letters, so they are drawn again.
  constexpr std::size_t kLimit = 256 - 256 % kPasswordAlphabet.size();
  std::string out;
  out.reserve(kPasswordLength);
  // Each byte is kept with probability kLimit/256 > 0.89; 64 rounds of 32
  // bytes failing to yield 20 is far beyond astronomically unlikely.
  for (int round = 0; round < 64 && out.size() < kPasswordLength; ++round) {
    for (unsigned char byte : random_bytes(32)) {
      if (byte >= kLimit) continue;
      out += kPasswordAlphabet[byte % kPasswordAlphabet.size()];
      if (out.size() == kPasswordLength) break;
    }
  }
  if (out.size() != kPasswordLength) crypto_failed("RAND_bytes (no usable output)");
  return out;
}

}  // namespace helpline::relay::auth
