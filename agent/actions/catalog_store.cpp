#include "agent/actions/catalog_store.h"

#include <spdlog/spdlog.h>
#include <toml++/toml.h>

#include <system_error>

#include "common/catalog/catalog.h"
#include "common/core/files.h"

namespace helpline::agent::actions {
namespace {

constexpr std::size_t kMaxPinFileBytes = 16u << 10;

[[nodiscard]] std::optional<PinSource> parse_source(std::string_view text) {
  if (text == "enroll") return PinSource::kEnroll;
  if (text == "installer") return PinSource::kInstaller;
  if (text == "relay-tofu") return PinSource::kRelayTofu;
  return std::nullopt;
}

[[nodiscard]] bool file_exists(const std::filesystem::path& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

// Reads org_key.pem and org_key.toml and checks that they agree.
[[nodiscard]] Result<std::optional<OrgKeyPin>> read_pin(const std::filesystem::path& dir) {
  auto key_file = dir / kOrgKeyFile;
  auto record_file = dir / kOrgKeyRecordFile;
  if (!file_exists(key_file) && !file_exists(record_file)) return std::optional<OrgKeyPin>();
  auto bad = [&](const std::filesystem::path& file, std::string_view why) {
    return fail("bad_state", file.string() + ": " + std::string(why));
  };
  auto pem = files::read(key_file, kMaxPinFileBytes);
  if (!pem) return fail(pem.error());
  auto key = catalog::load_public_key(*pem);
  if (!key) return bad(key_file, key.error().message);
  auto text = files::read(record_file, kMaxPinFileBytes);
  if (!text) return fail(text.error());
  toml::table table;
  try {
    table = toml::parse(*text);
  } catch (const toml::parse_error& e) {
    return bad(record_file, e.description());
  }
  OrgKeyPin pin;
  pin.public_key_pem = *pem;
  pin.key_id = table["key_id"].value_or(std::string());
  auto source = parse_source(table["source"].value_or(std::string()));
  if (!source) return bad(record_file, "source: expected enroll, installer or relay-tofu");
  pin.source = *source;
  pin.pinned_at = table["pinned_at"].value_or(std::int64_t{0});
  auto id = catalog::key_id(key->get());
  if (!id || *id != pin.key_id) {
    return bad(record_file, "key_id does not name the key in " + std::string(kOrgKeyFile));
  }
  return std::optional<OrgKeyPin>(std::move(pin));
}

}  // namespace

std::string_view pin_source_name(PinSource source) {
  switch (source) {
    case PinSource::kEnroll:
      return "enroll";
    case PinSource::kInstaller:
      return "installer";
    case PinSource::kRelayTofu:
      return "relay-tofu";
  }
  return "unknown";
}

Result<CatalogStore> CatalogStore::open(std::filesystem::path dir) {
  CatalogStore store(std::move(dir));
  auto pin = read_pin(store.dir_);
  if (!pin) return fail(pin.error());
  store.pin_ = std::move(*pin);
  auto catalog_file = store.dir_ / kSignedCatalogFile;
  if (!store.pin_ || !file_exists(catalog_file)) return store;
  auto bytes = files::read(catalog_file, catalog::kMaxCatalogBytes + 4096);
  auto signed_catalog =
      bytes.and_then([](const std::string& b) { return catalog::decode_signed_catalog(b); });
  auto key = catalog::load_public_key(store.pin_->public_key_pem);
  Result<v1::Catalog> verified =
      signed_catalog.and_then([&](const v1::SignedCatalog& s) -> Result<v1::Catalog> {
        if (!key) return fail(key.error());
        return catalog::verify_signed_catalog(s, key->get());
      });
  if (!verified) {
    spdlog::error("actions: the stored catalog {} is not used: {}", catalog_file.string(),
                  verified.error().to_string());
    return store;
  }
  store.catalog_ = std::move(*verified);
  store.catalog_bytes_ = signed_catalog->catalog();
  return store;
}

Result<void> CatalogStore::write_pin(const OrgKeyPin& pin) {
  if (auto made = files::ensure_private_dir(dir_); !made) return made;
  if (auto w = files::write_atomic(dir_ / kOrgKeyFile, pin.public_key_pem, 0600); !w) return w;
  std::string record = "key_id = \"" + pin.key_id + "\"\nsource = \"" +
                       std::string(pin_source_name(pin.source)) +
                       "\"\npinned_at = " + std::to_string(pin.pinned_at) + "\n";
  return files::write_atomic(dir_ / kOrgKeyRecordFile, record, 0600);
}

Result<void> CatalogStore::pin_org_key(std::string_view public_key_pem, PinSource source,
                                       UnixMillis now) {
  auto key = catalog::load_public_key(public_key_pem);
  if (!key) return fail(key.error());
  auto id = catalog::key_id(key->get());
  if (!id) return fail(id.error());
  if (pin_ && pin_->key_id == *id &&
      (pin_->source != PinSource::kRelayTofu || source == PinSource::kRelayTofu)) {
    return {};
  }
  if (pin_ && pin_->key_id != *id && pin_->source != PinSource::kRelayTofu) {
    spdlog::error("actions: refused organisation key {}: key {} is pinned ({})", *id, pin_->key_id,
                  pin_source_name(pin_->source));
    return fail("org_key_pinned", "the organisation key " + pin_->key_id +
                                      " is already pinned; remove " +
                                      (dir_ / kOrgKeyFile).string() + " and " +
                                      std::string(kOrgKeyRecordFile) + " to pin another");
  }
  OrgKeyPin pin{*id, source, now, std::string(public_key_pem)};
  if (auto w = write_pin(pin); !w) return w;
  if (pin_ && pin_->key_id != *id) {
    spdlog::warn("actions: organisation key {} (trusted on first use) replaced by {} ({})",
                 pin_->key_id, *id, pin_source_name(source));
    // The catalog was signed by the replaced key: it is no longer trusted.
    catalog_.reset();
    catalog_bytes_.clear();
  }
  pin_ = std::move(pin);
  return {};
}

Result<InstallOutcome> CatalogStore::install(std::string_view signed_catalog_bytes,
                                             std::string_view relay_key_pem, UnixMillis now) {
  if (pin_) return install_verified(signed_catalog_bytes, *pin_, false);
  if (relay_key_pem.empty()) {
    spdlog::error(
        "actions: refused a catalog: no organisation key is pinned and the relay "
        "offered none");
    return fail("no_org_key",
                "no organisation key is pinned (enroll with --org-key) and the "
                "relay offered none");
  }
  auto key = catalog::load_public_key(relay_key_pem);
  if (!key) return fail(key.error());
  auto id = catalog::key_id(key->get());
  if (!id) return fail(id.error());
  OrgKeyPin tofu{*id, PinSource::kRelayTofu, now, std::string(relay_key_pem)};
  // Verify before pinning, so that a catalog that fails does not leave the
  // relay's key pinned.
  auto outcome = install_verified(signed_catalog_bytes, tofu, true);
  if (!outcome) return outcome;
  spdlog::warn(
      "actions: pinned the organisation key {} offered by the relay (trust on first "
      "use); pin it at enrollment with --org-key to avoid this",
      *id);
  return outcome;
}

Result<InstallOutcome> CatalogStore::install_verified(std::string_view bytes, const OrgKeyPin& pin,
                                                      bool pinned_now) {
  auto refuse = [&](const Error& e) {
    spdlog::error("actions: refused a catalog: {}", e.to_string());
    return fail(e);
  };
  auto signed_catalog = catalog::decode_signed_catalog(bytes);
  if (!signed_catalog) return refuse(signed_catalog.error());
  auto key = catalog::load_public_key(pin.public_key_pem);
  if (!key) return refuse(key.error());
  auto verified = catalog::verify_signed_catalog(*signed_catalog, key->get());
  if (!verified) return refuse(verified.error());
  InstallOutcome outcome{verified->version(), version(), false, pinned_now};
  if (catalog_) {
    auto step = catalog::check_version_step(catalog_->version(), catalog_bytes_,
                                            verified->version(), signed_catalog->catalog());
    if (!step) return refuse(step.error());
    if (*step == catalog::VersionStep::kSame) {
      outcome.unchanged = true;
      return outcome;
    }
  }
  if (pinned_now) {
    if (auto w = write_pin(pin); !w) return refuse(w.error());
    pin_ = pin;
  }
  if (auto made = files::ensure_private_dir(dir_); !made) return refuse(made.error());
  if (auto w = files::write_atomic(dir_ / kSignedCatalogFile, bytes, 0600); !w) {
    return refuse(w.error());
  }
  spdlog::info("actions: installed catalog version {} from {} ({} actions)", verified->version(),
               verified->issuer(), verified->actions_size());
  catalog_bytes_ = signed_catalog->catalog();
  catalog_ = std::move(*verified);
  return outcome;
}

}  // namespace helpline::agent::actions
