#include "server/tunnel/catalog_state.h"

#include <vector>

#include "common/catalog/catalog.h"
#include "common/tls/crypto.h"

namespace helpline::relay {

Result<std::optional<std::string>> load_org_key(Store& store) {
  return store.get_setting(kOrgKeySetting);
}

Result<std::string> save_org_key(Store& store, std::string_view pem) {
  auto key = catalog::load_public_key(pem);
  if (!key) return fail(key.error());
  auto id = catalog::key_id(key->get());
  if (!id) return fail(id.error());
  if (auto stored = store.set_setting(kOrgKeySetting, pem); !stored) return fail(stored.error());
  return id;
}

Result<std::optional<PublishedCatalog>> load_catalog(Store& store) {
  auto text = store.get_setting(kCatalogSetting);
  if (!text) return fail(text.error());
  if (!*text || (*text)->empty()) return std::optional<PublishedCatalog>();
  auto bytes = tls::base64_decode(**text);
  if (!bytes) return fail("bad_catalog", "the stored catalog is damaged; publish it again");
  auto decoded = catalog::decode_signed_catalog(*bytes);
  if (!decoded) return fail(decoded.error());
  auto inner = catalog::peek_catalog(*decoded);
  if (!inner) return fail(inner.error());
  PublishedCatalog published;
  published.signed_bytes = std::move(*bytes);
  published.signed_catalog = std::move(*decoded);
  published.catalog = std::move(*inner);
  return std::optional<PublishedCatalog>(std::move(published));
}

Result<PublishOutcome> publish_catalog(Store& store, std::string_view signed_bytes) {
  if (signed_bytes.size() > kMaxOfferBytes) {
    return fail("too_large", "the signed catalog has " + std::to_string(signed_bytes.size()) +
                                 " bytes; the relay hands out at most " +
                                 std::to_string(kMaxOfferBytes) + " (one tunnel frame)");
  }
  auto pem = load_org_key(store);
  if (!pem) return fail(pem.error());
  if (!*pem) {
    return fail("no_org_key",
                "the relay has no organisation key to check the catalog against; run "
                "`helpline admin set-org-key org.pub` first");
  }
  auto key = catalog::load_public_key(**pem);
  if (!key) return fail(key.error());
  auto decoded = catalog::decode_signed_catalog(signed_bytes);
  if (!decoded) return fail(decoded.error());
  auto verified = catalog::verify_signed_catalog(*decoded, key->get());
  if (!verified) return fail(verified.error());
  PublishOutcome outcome;
  auto current = load_catalog(store);
  if (!current) return fail(current.error());
  if (*current) {
    outcome.previous_version = (*current)->catalog.version();
    auto step =
        catalog::check_version_step(outcome.previous_version, (*current)->signed_catalog.catalog(),
                                    verified->version(), decoded->catalog());
    if (!step) return fail(step.error());
    outcome.unchanged = *step == catalog::VersionStep::kSame;
  }
  if (!outcome.unchanged) {
    if (auto stored = store.set_setting(kCatalogSetting, tls::base64_encode(signed_bytes)); !stored) {
      return fail(stored.error());
    }
  }
  auto id = catalog::key_id(key->get());
  outcome.key_id = id ? *id : "";
  outcome.published.signed_bytes = std::string(signed_bytes);
  outcome.published.signed_catalog = std::move(*decoded);
  outcome.published.catalog = std::move(*verified);
  return outcome;
}

}  // namespace helpline::relay
