// Signing and verifying catalogs with the organisation's Ed25519 key, and
// the version rule. Used by `helpline admin keygen|sign-catalog` (signing),
// by the relay when a catalog is published (verify against the key set with
// set-org-key), and by the agent's pin store (verify against the pinned key,
// then check the version).
//
// The signature covers SignedCatalog.catalog, the serialized Catalog bytes
// exactly as stored: a verifier never re-serializes before checking.
// key_id is "SHA256:<hex>" of the raw 32-byte Ed25519 public key.
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "common/core/result.h"
#include "common/tls/crypto.h"
#include "helpline/v1/catalog.pb.h"

namespace helpline::catalog {

// "SHA256:<64 hex>" naming an Ed25519 public (or private) key.
// Errors: "bad_key" when the key is not Ed25519.
[[nodiscard]] Result<std::string> key_id(const EVP_PKEY* key);

// PEM text of an Ed25519 key. Errors: "bad_key" naming what was expected.
[[nodiscard]] Result<tls::PKeyPtr> load_private_key(std::string_view pem);
[[nodiscard]] Result<tls::PKeyPtr> load_public_key(std::string_view pem);

// Validates the catalog, serializes it and signs those bytes.
// Errors: "bad_catalog", "bad_key", "crypto_error".
[[nodiscard]] Result<v1::SignedCatalog> sign_catalog(const v1::Catalog& catalog,
                                                     EVP_PKEY* private_key);

// Checks, in order: the key id names `public_key` ("wrong_key"), the
// signature over the catalog bytes ("bad_signature"), the bytes parse as a
// Catalog no larger than kMaxCatalogBytes and pass validate_catalog
// ("bad_catalog"). Returns the catalog.
[[nodiscard]] Result<v1::Catalog> verify_signed_catalog(const v1::SignedCatalog& signed_catalog,
                                                        EVP_PKEY* public_key);

// The catalog.signed file format: a serialized SignedCatalog.
[[nodiscard]] std::string encode_signed_catalog(const v1::SignedCatalog& signed_catalog);
// Errors: "bad_catalog" when the bytes are not a SignedCatalog, are larger
// than kMaxCatalogBytes plus room for the signature, or miss a field.
[[nodiscard]] Result<v1::SignedCatalog> decode_signed_catalog(std::string_view bytes);

// The catalog inside, without checking the signature: for the CLI to read
// the version of --previous (a file its own operator signed). Never use it
// to decide what runs. Errors: "bad_catalog".
[[nodiscard]] Result<v1::Catalog> peek_catalog(const v1::SignedCatalog& signed_catalog);

// What a holder of catalog `current_version` does with `next`:
//   kNewer      next.version > current: install it
//   kSame       same version and the same bytes: nothing to do
// Errors: "older_version" (next < current), "version_reused" (same version,
// different bytes). `current_bytes` is the SignedCatalog.catalog held.
enum class VersionStep { kNewer, kSame };
[[nodiscard]] Result<VersionStep> check_version_step(std::uint64_t current_version,
                                                     std::string_view current_bytes,
                                                     std::uint64_t next_version,
                                                     std::string_view next_bytes);

}  // namespace helpline::catalog
