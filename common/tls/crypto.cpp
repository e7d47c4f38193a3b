// Keys, digests, randomness and Ed25519 signatures. Certificates and CSRs
// live in certificate.cpp.
#include "common/tls/crypto.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstring>

#include "common/core/encoding.h"
#include "common/tls/digest.h"
#include "common/tls/openssl_util.h"

namespace helpline::tls {

using detail::die;
using detail::fail_openssl;

namespace {

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

constexpr std::size_t kEd25519SignatureBytes = 64;

const unsigned char* bytes_of(std::string_view text) {
  // OpenSSL rejects a null pointer even for zero-length input.
  static constexpr unsigned char kEmpty[1] = {0};
  return text.empty() ? kEmpty : reinterpret_cast<const unsigned char*>(text.data());
}

bool is_ed25519(const EVP_PKEY* key) {
  return key != nullptr && EVP_PKEY_is_a(key, "ED25519") == 1;
}

}  // namespace

Result<PKeyPtr> generate_key(KeyType type) {
  EVP_PKEY* key = type == KeyType::kEd25519 ? EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")
                                            : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  if (key == nullptr) return fail_openssl("crypto_error", "could not generate a key");
  return PKeyPtr(key);
}

Result<std::string> private_key_to_pem(const EVP_PKEY* key) {
  auto bio = detail::write_bio();
  if (!bio || key == nullptr ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return fail_openssl("crypto_error", "could not encode the private key as PEM");
  }
  return detail::bio_contents(bio.get());
}

Result<std::string> public_key_to_pem(const EVP_PKEY* key) {
  auto bio = detail::write_bio();
  if (!bio || key == nullptr || PEM_write_bio_PUBKEY(bio.get(), key) != 1) {
    return fail_openssl("crypto_error", "could not encode the public key as PEM");
  }
  return detail::bio_contents(bio.get());
}

Result<PKeyPtr> private_key_from_pem(std::string_view pem) {
  auto bio = detail::read_bio(pem);
  if (!bio) return fail_openssl("bad_key", "private key PEM is too large or unreadable");
  PKeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, detail::no_password, nullptr));
  if (!key) {
    return fail_openssl("bad_key",
                        "not a PEM private key (an unencrypted \"PRIVATE KEY\" block is expected)");
  }
  return key;
}

Result<PKeyPtr> public_key_from_pem(std::string_view pem) {
  auto bio = detail::read_bio(pem);
  if (!bio) return fail_openssl("bad_key", "public key PEM is too large or unreadable");
  PKeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, detail::no_password, nullptr));
  if (!key)
    return fail_openssl("bad_key", "not a PEM public key (a \"PUBLIC KEY\" block is expected)");
  return key;
}

Result<std::string> normalize_pin(std::string_view pin) {
  const auto bad = [&] {
    return fail("bad_pin", "CA pin \"" + std::string(pin.substr(0, 120)) +
                               "\" is malformed: expected SHA256:<64 hex digits>, e.g. "
                               "\"SHA256:\" followed by the value 'openssl x509 -noout "
                               "-fingerprint -sha256' prints (colons allowed)");
  };
  constexpr std::string_view kPrefix = "SHA256:";
  std::string_view rest = pin;
  while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
  while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\t' || rest.back() == '\n' ||
                           rest.back() == '\r')) {
    rest.remove_suffix(1);
  }
  if (rest.size() < kPrefix.size()) return bad();
  for (std::size_t i = 0; i < kPrefix.size(); ++i) {
    const char c = rest[i];
    const char upper = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
    if (upper != kPrefix[i]) return bad();
  }
  rest.remove_prefix(kPrefix.size());

  // Either 64 hex digits, or 32 pairs separated by single colons.
  const bool with_colons = rest.find(':') != std::string_view::npos;
  if (rest.size() != (with_colons ? 95U : 64U)) return bad();
  std::string out(kPrefix);
  for (std::size_t i = 0; i < rest.size(); ++i) {
    const char c = rest[i];
    if (with_colons && i % 3 == 2) {
      if (c != ':') return bad();
      continue;
    }
    if (c >= '0' && c <= '9') {
      out.push_back(c);
    } else if (c >= 'a' && c <= 'f') {
      out.push_back(c);
    } else if (c >= 'A' && c <= 'F') {
      out.push_back(static_cast<char>(c - 'A' + 'a'));
    } else {
      return bad();
    }
  }
  return out;
}

void random_bytes(std::span<std::uint8_t> out) {
  while (!out.empty()) {
    const std::size_t chunk = std::min<std::size_t>(out.size(), INT_MAX);
    if (RAND_bytes(out.data(), static_cast<int>(chunk)) != 1) die("RAND_bytes failed");
    out = out.subspan(chunk);
  }
}

std::string sha256_hex(std::string_view data) {
  Sha256 digest;
  digest.update(data);
  return digest.hex();
}

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> mac{};
  std::size_t size = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, bytes_of(key), key.size(),
                bytes_of(data), data.size(), mac.data(), mac.size(), &size) == nullptr) {
    die("HMAC-SHA256 failed");
  }
  return to_hex(std::span(mac.data(), size));
}

std::string random_token(std::size_t bytes) {
  std::vector<std::uint8_t> buffer(bytes);
  random_bytes(buffer);
  std::string token = base64url_encode(buffer);
  OPENSSL_cleanse(buffer.data(), buffer.size());
  return token;
}

std::uint64_t random_u64() {
  std::array<std::uint8_t, sizeof(std::uint64_t)> buffer{};
  random_bytes(buffer);
  std::uint64_t value = 0;
  std::memcpy(&value, buffer.data(), buffer.size());
  return value;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Result<std::string> sign_ed25519(EVP_PKEY* key, std::string_view message) {
  if (!is_ed25519(key)) return fail("crypto_error", "the signing key is not an Ed25519 key");
  MdCtxPtr ctx(EVP_MD_CTX_new());
  std::string signature(kEd25519SignatureBytes, '\0');
  std::size_t size = signature.size();
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                     bytes_of(message), message.size()) != 1 ||
      size != kEd25519SignatureBytes) {
    return fail_openssl("crypto_error", "Ed25519 signing failed");
  }
  return signature;
}

Result<void> verify_ed25519(EVP_PKEY* public_key, std::string_view message,
                            std::string_view signature) {
  if (!is_ed25519(public_key))
    return fail("crypto_error", "the verification key is not an Ed25519 key");
  if (signature.size() != kEd25519SignatureBytes) {
    return fail("bad_signature",
                "an Ed25519 signature is 64 bytes, got " + std::to_string(signature.size()));
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, public_key) != 1) {
    return fail_openssl("crypto_error", "could not start Ed25519 verification");
  }
  const int rc = EVP_DigestVerify(ctx.get(), bytes_of(signature), signature.size(),
                                  bytes_of(message), message.size());
  if (rc != 1) {
    ERR_clear_error();
    return fail("bad_signature", "the Ed25519 signature does not match the message and key");
  }
  return {};
}

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes_of(bytes),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0 || text.size() > static_cast<std::size_t>(INT_MAX)) return std::nullopt;
  std::string out(3 * text.size() / 4 + 1, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes_of(text),
                                static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  auto size = static_cast<std::size_t>(n);
  // EVP_DecodeBlock counts padding as zero bytes.
  if (!text.empty() && text.back() == '=') --size;
  if (text.size() > 1 && text[text.size() - 2] == '=') --size;
  out.resize(size);
  return out;
}

std::string openssl_errors() {
  std::string out;
  // The queue holds at most ERR_NUM_ERRORS entries; the bound is belt and braces.
  for (int i = 0; i < 64; ++i) {
    const char* data = nullptr;
    int flags = 0;
    const unsigned long code = ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags);
    if (code == 0) break;
    std::array<char, 256> text{};
    ERR_error_string_n(code, text.data(), text.size());
    if (!out.empty()) out += "; ";
    out += text.data();
    if (data != nullptr && (flags & ERR_TXT_STRING) != 0 && *data != '\0') {
      out += " (";
      out += data;
      out += ")";
    }
  }
  ERR_clear_error();
  return out;
}

}  // namespace helpline::tls
