// `helpline admin keygen` and `helpline admin sign-catalog`: the
// organisation's Ed25519 key pair and signed catalogs (docs/catalog.md).
// Both work offline: the private key never goes to the relay.
// `helpline admin set-org-key` and `helpline admin publish` hand the public
// key and a signed catalog to the relay.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>

#include "common/catalog/catalog.h"
#include "common/core/files.h"
#include "common/core/json_writer.h"
#include "common/core/time_format.h"
#include "common/tls/tls.h"
#include "helpline/v1/action_api.pb.h"
#include "server/cli/api_fetch.h"
#include "server/cli/commands.h"

namespace helpline::cli {
namespace {

constexpr std::string_view kPrivateKeyName = "org.key";
constexpr std::string_view kPublicKeyName = "org.pub";
constexpr std::size_t kMaxKeyFile = 64u << 10;

struct KeygenArgs {
  std::string out;
};

struct SignArgs {
  std::string catalog;
  std::string key;
  std::string out;
  std::string previous;
};

[[nodiscard]] bool path_exists(const std::filesystem::path& path) {
  std::error_code ec;
  return std::filesystem::symlink_status(path, ec).type() != std::filesystem::file_type::not_found;
}

int cmd_admin_keygen(const KeygenArgs& args, const Output& out) {
  std::filesystem::path dir = args.out;
  auto private_path = dir / kPrivateKeyName;
  auto public_path = dir / kPublicKeyName;
  for (const auto& p : {private_path, public_path}) {
    if (path_exists(p)) {
      return report_failure(Error{"exists", p.string() +
                                                " already exists; keygen never "
                                                "overwrites a key (choose another --out)"});
    }
  }
  if (!path_exists(dir)) {
    if (auto made = files::ensure_private_dir(dir); !made) return report_failure(made.error());
  }
  auto key = tls::generate_key(tls::KeyType::kEd25519);
  if (!key) return report_failure(key.error());
  auto private_pem = tls::private_key_to_pem(key->get());
  auto public_pem = tls::public_key_to_pem(key->get());
  auto id = catalog::key_id(key->get());
  if (!private_pem) return report_failure(private_pem.error());
  if (!public_pem) return report_failure(public_pem.error());
  if (!id) return report_failure(id.error());
  if (auto w = files::write_atomic(private_path, *private_pem, 0600); !w) {
    return report_failure(w.error());
  }
  if (auto w = files::write_atomic(public_path, *public_pem, 0644); !w) {
    return report_failure(w.error());
  }
  if (out.json) {
    JsonWriter json;
    json.begin_object()
        .field("private_key", private_path.string())
        .field("public_key", public_path.string())
        .field("key_id", *id)
        .end_object();
    std::cout << json.str() << "\n";
    return 0;
  }
  std::cout << "Wrote " << private_path.string() << " (0600, keep it offline; it signs what "
            << "every agent will run)\nand " << public_path.string() << " (give it to agents: "
            << "helpline-agent enroll --org-key " << public_path.filename().string() << ")\nKey id "
            << *id << "\n";
  return 0;
}

// The version of the catalog in a previously signed file.
[[nodiscard]] Result<std::uint64_t> previous_version(const std::string& path) {
  auto bytes = files::read(path, catalog::kMaxCatalogBytes + 4096);
  if (!bytes) return fail(bytes.error());
  auto decoded = catalog::decode_signed_catalog(*bytes);
  if (!decoded) return fail(decoded.error().code, path + ": " + decoded.error().message);
  auto inner = catalog::peek_catalog(*decoded);
  if (!inner) return fail(inner.error().code, path + ": " + inner.error().message);
  return inner->version();
}

int cmd_admin_sign_catalog(const SignArgs& args, const Output& out) {
  auto text = files::read(args.catalog, catalog::kMaxCatalogBytes);
  if (!text) return report_failure(text.error());
  auto parsed = catalog::parse_catalog_toml(*text, args.catalog);
  if (!parsed) return report_failure(parsed.error());
  if (!args.previous.empty()) {
    auto previous = previous_version(args.previous);
    if (!previous) return report_failure(previous.error());
    if (parsed->version() <= *previous) {
      return report_failure(Error{
          "version_not_newer", args.catalog + ": version " + std::to_string(parsed->version()) +
                                   " is not above version " + std::to_string(*previous) + " of " +
                                   args.previous + "; agents refuse a catalog that is not newer"});
    }
  }
  auto pem = files::read(args.key, kMaxKeyFile);
  if (!pem) return report_failure(pem.error());
  auto key = catalog::load_private_key(*pem);
  if (!key) return report_failure(Error{key.error().code, args.key + ": " + key.error().message});
  parsed->set_issued_at_ms(unix_now_ms());
  auto signed_catalog = catalog::sign_catalog(*parsed, key->get());
  if (!signed_catalog) return report_failure(signed_catalog.error());
  if (auto w = files::write_atomic(args.out, catalog::encode_signed_catalog(*signed_catalog), 0644);
      !w) {
    return report_failure(w.error());
  }
  if (out.json) {
    JsonWriter json;
    json.begin_object()
        .field("out", args.out)
        .field("version", static_cast<std::int64_t>(parsed->version()))
        .field("actions", static_cast<std::int64_t>(parsed->actions_size()))
        .field("key_id", signed_catalog->key_id())
        .field("issued_at", format_rfc3339(parsed->issued_at_ms()))
        .end_object();
    std::cout << json.str() << "\n";
    return 0;
  }
  std::cout << "Signed catalog version " << parsed->version() << " (" << parsed->actions_size()
            << " actions, issuer \"" << parsed->issuer() << "\") with key "
            << signed_catalog->key_id() << "\nWrote " << args.out << "\n";
  return 0;
}

int cmd_admin_set_org_key(const std::string& file, const Output& out) {
  auto pem = files::read(file, kMaxKeyFile);
  if (!pem) return report_failure(pem.error());
  // Checked here too, so a private key is never sent to the relay by mistake.
  if (auto key = catalog::load_public_key(*pem); !key) {
    return report_failure(Error{key.error().code, file + ": " + key.error().message});
  }
  v1::api::SetOrgKeyRequest request;
  request.set_public_key_pem(*pem);
  v1::api::OrgKeyInfo info;
  if (int rc = fetch("PUT", "/api/v1/catalog/org-key", info, relay::api::to_json(request));
      rc != 0) {
    return rc;
  }
  if (out.json) {
    std::cout << relay::api::to_json(info) << "\n";
    return 0;
  }
  std::cout << "The relay now checks published catalogs against " << info.key_id() << "\n";
  return 0;
}

int cmd_admin_publish(const std::string& file, const Output& out) {
  auto bytes = files::read(file, catalog::kMaxCatalogBytes + 4096);
  if (!bytes) return report_failure(bytes.error());
  v1::api::PublishCatalogRequest request;
  request.set_signed_catalog(*bytes);
  v1::api::PublishCatalogResponse published;
  if (int rc = fetch("POST", "/api/v1/catalog", published, relay::api::to_json(request)); rc != 0) {
    return rc;
  }
  if (out.json) {
    std::cout << relay::api::to_json(published) << "\n";
    return 0;
  }
  std::cout << "Published catalog version " << published.version() << " ("
            << published.actions() << " actions, key " << published.key_id() << ")"
            << (published.previous_version() != 0
                    ? ", replacing version " + std::to_string(published.previous_version())
                    : std::string())
            << "; offered to " << published.offered_to() << " online agents\n";
  return 0;
}

}  // namespace

std::function<std::optional<int>()> add_catalog_commands(CLI::App& admin, Output& out) {
  auto keygen_args = std::make_shared<KeygenArgs>();
  auto sign_args = std::make_shared<SignArgs>();
  auto* keygen = admin.add_subcommand(
      "keygen", "Make the organisation's Ed25519 key pair for signing the action catalog");
  keygen->add_option("--out", keygen_args->out, "Directory for org.key (0600) and org.pub")
      ->required();
  keygen->add_flag("--json", out.json, "Print JSON");
  auto* sign = admin.add_subcommand("sign-catalog", "Validate and sign an action catalog");
  sign->add_option("CATALOG", sign_args->catalog, "The catalog, TOML (docs/catalog.md)")
      ->required();
  sign->add_option("--key", sign_args->key, "The organisation's private key (org.key)")->required();
  sign->add_option("--out", sign_args->out, "The signed catalog to write")->required();
  sign->add_option("--previous", sign_args->previous,
                   "The last signed catalog: refuse a version that is not above its version");
  sign->add_flag("--json", out.json, "Print JSON");
  auto org_key_file = std::make_shared<std::string>();
  auto* set_key = admin.add_subcommand(
      "set-org-key", "Give the relay the organisation's public key to check catalogs with");
  set_key->add_option("PUBFILE", *org_key_file, "The public key (org.pub)")->required();
  set_key->add_flag("--json", out.json, "Print JSON");
  auto signed_file = std::make_shared<std::string>();
  auto* publish = admin.add_subcommand(
      "publish", "Upload a signed catalog; the relay checks it and hands it to every agent");
  publish->add_option("CATALOG_SIGNED", *signed_file, "The signed catalog (sign-catalog --out)")
      ->required();
  publish->add_flag("--json", out.json, "Print JSON");
  return [keygen, sign, set_key, publish, keygen_args, sign_args, org_key_file, signed_file,
          &out]() -> std::optional<int> {
    if (*keygen) return cmd_admin_keygen(*keygen_args, out);
    if (*sign) return cmd_admin_sign_catalog(*sign_args, out);
    if (*set_key) return cmd_admin_set_org_key(*org_key_file, out);
    if (*publish) return cmd_admin_publish(*signed_file, out);
    return std::nullopt;
  };
}

}  // namespace helpline::cli
