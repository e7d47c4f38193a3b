// The agent's pinned organisation key and its current verified catalog.
//
// Layout (<state>/catalog, 0700; every file 0600, written atomically):
//   org_key.pem    the organisation's Ed25519 public key
//   org_key.toml   key_id, source (enroll | installer | relay-tofu), pinned_at
//   catalog.signed the current SignedCatalog, exactly as received
//
// Trust: the key is pinned from `helpline-agent enroll --org-key FILE` or by
// the per-group installer (source enroll / installer). An agent without a
// pin accepts the key the relay offers with the first catalog and records
// that it did (source relay-tofu, logged as a warning): from then on that
// key is pinned like any other. An explicit pin replaces a relay-tofu pin;
// nothing replaces an explicit pin (remove org_key.* by hand to re-key).
//
// A catalog is installed only if it is signed by the pinned key, passes
// validation, and its version is above the installed one (the same version
// with the same bytes is accepted as a no-op). Every refusal is logged with
// its reason and leaves what is installed untouched.
//
// Thread: one owner (the agent's loop thread); synchronous small file I/O.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "common/core/result.h"
#include "common/core/time_format.h"
#include "helpline/v1/catalog.pb.h"

namespace helpline::agent::actions {

inline constexpr std::string_view kCatalogDirName = "catalog";
inline constexpr std::string_view kOrgKeyFile = "org_key.pem";
inline constexpr std::string_view kOrgKeyRecordFile = "org_key.toml";
inline constexpr std::string_view kSignedCatalogFile = "catalog.signed";

enum class PinSource { kEnroll, kInstaller, kRelayTofu };
[[nodiscard]] std::string_view pin_source_name(PinSource source);

struct OrgKeyPin {
  std::string key_id;  // "SHA256:<hex>"
  PinSource source = PinSource::kEnroll;
  UnixMillis pinned_at = 0;
  std::string public_key_pem;
};

struct InstallOutcome {
  std::uint64_t version = 0;
  std::uint64_t previous_version = 0;  // 0: there was none
  bool unchanged = false;              // the same catalog was already installed
  bool pinned_now = false;             // the relay's key was pinned (trust on first use)
};

class CatalogStore {
 public:
  // Reads what the directory holds (it may not exist yet: nothing pinned,
  // no catalog). A stored catalog that no longer verifies against the pin
  // is logged and not used (the file stays for inspection).
  // Errors: "bad_state" naming the file when the pin files are damaged.
  [[nodiscard]] static Result<CatalogStore> open(std::filesystem::path dir);

  // Pins the organisation key. Errors: "bad_key" (not an Ed25519 PEM public
  // key), "org_key_pinned" (a different key is pinned explicitly),
  // "write_failed", "mkdir_failed".
  [[nodiscard]] Result<void> pin_org_key(std::string_view public_key_pem, PinSource source,
                                         UnixMillis now);

  // Verifies and installs a catalog.signed. `relay_key_pem` is the key the
  // relay offers with it; it is used only when nothing is pinned yet.
  // Errors: "bad_catalog", "no_org_key" (nothing pinned and no key
  // offered), "wrong_key", "bad_signature", "older_version",
  // "version_reused", "write_failed".
  [[nodiscard]] Result<InstallOutcome> install(std::string_view signed_catalog_bytes,
                                               std::string_view relay_key_pem, UnixMillis now);

  [[nodiscard]] const std::optional<OrgKeyPin>& pin() const { return pin_; }
  // nullptr when no verified catalog is installed.
  [[nodiscard]] const v1::Catalog* catalog() const { return catalog_ ? &*catalog_ : nullptr; }
  [[nodiscard]] std::uint64_t version() const { return catalog_ ? catalog_->version() : 0; }
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }

 private:
  explicit CatalogStore(std::filesystem::path dir) : dir_(std::move(dir)) {}
  [[nodiscard]] Result<void> write_pin(const OrgKeyPin& pin);
  [[nodiscard]] Result<InstallOutcome> install_verified(std::string_view bytes,
                                                        const OrgKeyPin& pin, bool pinned_now);

  std::filesystem::path dir_;
  std::optional<OrgKeyPin> pin_;
  std::optional<v1::Catalog> catalog_;
  std::string catalog_bytes_;  // SignedCatalog.catalog of the installed one
};

}  // namespace helpline::agent::actions
