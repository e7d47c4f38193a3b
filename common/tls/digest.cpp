#include "common/tls/digest.h"

#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <span>
#include <utility>

#include "common/core/encoding.h"
#include "common/tls/openssl_util.h"

namespace helpline::tls {

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr || EVP_DigestInit_ex(ctx_, detail::sha256(), nullptr) != 1) {
    detail::die("SHA-256 init failed");
  }
}

Sha256::~Sha256() { EVP_MD_CTX_free(ctx_); }

Sha256::Sha256(Sha256&& other) noexcept : ctx_(std::exchange(other.ctx_, nullptr)) {}

Sha256& Sha256::operator=(Sha256&& other) noexcept {
  if (this != &other) {
    EVP_MD_CTX_free(ctx_);
    ctx_ = std::exchange(other.ctx_, nullptr);
  }
  return *this;
}

void Sha256::update(std::string_view data) {
  if (EVP_DigestUpdate(ctx_, data.data(), data.size()) != 1) detail::die("SHA-256 update failed");
}

std::string Sha256::hex() {
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> out{};
  unsigned int n = 0;
  if (EVP_DigestFinal_ex(ctx_, out.data(), &n) != 1) detail::die("SHA-256 final failed");
  return to_hex(std::span(out.data(), n));
}

}  // namespace helpline::tls
