// An incremental SHA-256 for data that arrives in pieces (a file streamed
// through a remote session). Part of common/tls's public face.
//
// Thread: one owner. Not copyable.
#pragma once

#include <string>
#include <string_view>

typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace helpline::tls {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(std::string_view data);
  // The digest as 64 lowercase hex digits; call once.
  [[nodiscard]] std::string hex();

 private:
  EVP_MD_CTX* ctx_;
};

}  // namespace helpline::tls
