// The relay's copy of the organisation's action catalog (docs/catalog.md):
// the organisation public key (`helpline admin set-org-key`) and the
// current signed catalog (`helpline admin publish`), kept in the store's
// settings table (no schema change): "catalog.org_key_pem" (PEM text) and
// "catalog.signed" (the catalog.signed bytes, base64).
//
// The relay verifies what it stores, but it is not what the endpoints
// trust: each agent verifies every catalog against the key it pinned.
//
// Thread: the relay's io_context thread, like the Store.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/core/result.h"
#include "helpline/v1/catalog.pb.h"
#include "server/store/store.h"

namespace helpline::relay {

inline constexpr std::string_view kOrgKeySetting = "catalog.org_key_pem";
inline constexpr std::string_view kCatalogSetting = "catalog.signed";
// The largest catalog.signed the relay publishes: an offer travels in one
// tunnel frame (the default maximum is 1 MiB, the minimum an agent may
// negotiate is far below that, so keep room for the key and framing).
inline constexpr std::size_t kMaxOfferBytes = 768u << 10;

struct PublishedCatalog {
  std::string signed_bytes;  // the catalog.signed file
  v1::SignedCatalog signed_catalog;
  v1::Catalog catalog;       // verified against the org key when it was published
};

// Errors: "store_error".
[[nodiscard]] Result<std::optional<std::string>> load_org_key(Store& store);
// Checks the PEM is an Ed25519 public key and stores it; returns its key
// id. Errors: "bad_key", "store_error".
[[nodiscard]] Result<std::string> save_org_key(Store& store, std::string_view pem);

// The stored catalog, nullopt when none was published. Errors:
// "store_error", "bad_catalog" (the stored value is damaged).
[[nodiscard]] Result<std::optional<PublishedCatalog>> load_catalog(Store& store);

// What publishing `signed_bytes` would replace, checked in order:
// "too_large" (above kMaxOfferBytes), "no_org_key" (set-org-key first),
// "bad_catalog", "wrong_key", "bad_signature", "older_version",
// "version_reused" (same version, other content). On success the catalog
// is stored and returned with `previous_version` set.
struct PublishOutcome {
  PublishedCatalog published;
  std::uint64_t previous_version = 0;
  bool unchanged = false;  // the same catalog was already published
  std::string key_id;
};
[[nodiscard]] Result<PublishOutcome> publish_catalog(Store& store, std::string_view signed_bytes);

}  // namespace helpline::relay
