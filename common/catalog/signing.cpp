#include "common/catalog/signing.h"

#include <array>

#include "common/catalog/validate.h"

namespace helpline::catalog {
namespace {

constexpr std::size_t kEd25519KeyBytes = 32;
constexpr std::size_t kSignedOverhead = 1024;  // signature, key id, framing

[[nodiscard]] bool is_ed25519(const EVP_PKEY* key) {
  return key != nullptr && EVP_PKEY_is_a(key, "ED25519") == 1;
}

}  // namespace

Result<std::string> key_id(const EVP_PKEY* key) {
  if (!is_ed25519(key)) return fail("bad_key", "the organisation key must be an Ed25519 key");
  std::array<unsigned char, kEd25519KeyBytes> raw{};
  std::size_t size = raw.size();
  if (EVP_PKEY_get_raw_public_key(key, raw.data(), &size) != 1 || size != raw.size()) {
    return fail("crypto_error", "cannot read the Ed25519 public key: " + tls::openssl_errors());
  }
  std::string bytes(reinterpret_cast<const char*>(raw.data()), raw.size());
  return "SHA256:" + tls::sha256_hex(bytes);
}

Result<tls::PKeyPtr> load_private_key(std::string_view pem) {
  auto key = tls::private_key_from_pem(pem);
  if (!key) return fail("bad_key", key.error().message);
  if (!is_ed25519(key->get())) {
    return fail("bad_key",
                "the signing key is not an Ed25519 key (make one with "
                "`helpline admin keygen`)");
  }
  return key;
}

Result<tls::PKeyPtr> load_public_key(std::string_view pem) {
  auto key = tls::public_key_from_pem(pem);
  if (!key) return fail("bad_key", key.error().message);
  if (!is_ed25519(key->get())) {
    return fail("bad_key", "the organisation public key is not an Ed25519 key");
  }
  return key;
}

Result<v1::SignedCatalog> sign_catalog(const v1::Catalog& catalog, EVP_PKEY* private_key) {
  if (auto v = validate_catalog(catalog); !v) return fail(v.error());
  auto id = key_id(private_key);
  if (!id) return fail(id.error());
  std::string bytes;
  if (!catalog.SerializeToString(&bytes) || bytes.size() > kMaxCatalogBytes) {
    return fail("bad_catalog", "the catalog does not serialize within " +
                                   std::to_string(kMaxCatalogBytes) + " bytes");
  }
  auto signature = tls::sign_ed25519(private_key, bytes);
  if (!signature) return fail(signature.error());
  v1::SignedCatalog out;
  out.set_catalog(std::move(bytes));
  out.set_signature(std::move(*signature));
  out.set_key_id(std::move(*id));
  return out;
}

Result<v1::Catalog> verify_signed_catalog(const v1::SignedCatalog& signed_catalog,
                                          EVP_PKEY* public_key) {
  auto id = key_id(public_key);
  if (!id) return fail(id.error());
  if (signed_catalog.key_id() != *id) {
    return fail("wrong_key", "the catalog is signed by key " + signed_catalog.key_id() +
                                 ", not by the organisation key " + *id);
  }
  if (auto ok =
          tls::verify_ed25519(public_key, signed_catalog.catalog(), signed_catalog.signature());
      !ok) {
    return fail("bad_signature", "the catalog's signature does not verify with key " + *id + ": " +
                                     ok.error().message);
  }
  auto catalog = peek_catalog(signed_catalog);
  if (!catalog) return catalog;
  if (auto v = validate_catalog(*catalog, "signed catalog"); !v) return fail(v.error());
  return catalog;
}

std::string encode_signed_catalog(const v1::SignedCatalog& signed_catalog) {
  return signed_catalog.SerializeAsString();
}

Result<v1::SignedCatalog> decode_signed_catalog(std::string_view bytes) {
  if (bytes.size() > kMaxCatalogBytes + kSignedOverhead) {
    return fail("bad_catalog", "a signed catalog is at most " +
                                   std::to_string(kMaxCatalogBytes + kSignedOverhead) + " bytes");
  }
  v1::SignedCatalog out;
  if (!out.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return fail("bad_catalog", "not a signed catalog (made by `helpline admin sign-catalog`)");
  }
  if (out.catalog().empty() || out.signature().empty() || out.key_id().empty()) {
    return fail("bad_catalog", "the signed catalog lacks its catalog, signature or key id");
  }
  return out;
}

Result<v1::Catalog> peek_catalog(const v1::SignedCatalog& signed_catalog) {
  const std::string& bytes = signed_catalog.catalog();
  v1::Catalog catalog;
  if (bytes.size() > kMaxCatalogBytes ||
      !catalog.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return fail("bad_catalog", "the signed bytes are not a catalog");
  }
  return catalog;
}

Result<VersionStep> check_version_step(std::uint64_t current_version,
                                       std::string_view current_bytes, std::uint64_t next_version,
                                       std::string_view next_bytes) {
  if (next_version > current_version) return VersionStep::kNewer;
  if (next_version < current_version) {
    return fail("older_version", "catalog version " + std::to_string(next_version) +
                                     " is older than the installed version " +
                                     std::to_string(current_version));
  }
  if (next_bytes != current_bytes) {
    return fail("version_reused", "catalog version " + std::to_string(next_version) +
                                      " is installed with different content; a changed catalog "
                                      "needs a higher version");
  }
  return VersionStep::kSame;
}

}  // namespace helpline::catalog
