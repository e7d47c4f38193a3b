// An incremental SHA-256 for data that arrives in pieces (a file streamed
// through a remote session, a blob being uploaded); crypto.h's sha256_hex
// is this over one piece. Part of common/tls's public face.
//
// OpenSSL failing to digest is a broken installation: the process aborts.
//
// Thread: one owner. Move-only; a moved-from digest may only be assigned
// to or destroyed.
#pragma once

#include <string>
#include <string_view>

typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace helpline::tls {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&& other) noexcept;
  Sha256& operator=(Sha256&& other) noexcept;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(std::string_view data);
  // The digest as 64 lowercase hex digits; call once.
  [[nodiscard]] std::string hex();

 private:
  EVP_MD_CTX* ctx_;
};

}  // namespace helpline::tls
