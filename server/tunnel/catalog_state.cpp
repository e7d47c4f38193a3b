#include "server/tunnel/catalog_state.h"

#include <openssl/evp.h>

#include <vector>

#include "common/catalog/catalog.h"

namespace helpline::relay {

namespace {

[[nodiscard]] std::string to_base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

[[nodiscard]] std::optional<std::string> from_base64(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out(3 * text.size() / 4 + 1, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  std::size_t size = static_cast<std::size_t>(n);
  // EVP_DecodeBlock counts padding as zero bytes.
  if (!text.empty() && text.back() == '=') --size;
  if (text.size() > 1 && text[text.size() - 2] == '=') --size;
  out.resize(size);
  return out;
}

}  // namespace

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
  auto bytes = from_base64(**text);
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
    if (auto stored = store.set_setting(kCatalogSetting, to_base64(signed_bytes)); !stored) {
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
