// `helpline admin installer`: asks the relay for a group enrollment token and
// writes an installer that carries it (installer_build.h makes the files).
#include <iostream>
#include <optional>

#include "common/core/files.h"
#include "common/core/host_port.h"
#include "common/core/json_writer.h"
#include "common/tls/tls.h"
#include "helpline/v1/action_api.pb.h"
#include "helpline/v1/api.pb.h"
#include "server/api/json_codec.h"
#include "server/cli/commands.h"
#include "server/cli/installer_build.h"

namespace helpline::cli {

namespace {

constexpr std::size_t kMaxAgentArchive = 256u << 20;
constexpr std::size_t kMaxOrgKeyFile = 64u << 10;

[[nodiscard]] Result<void> check_args(const InstallerArgs& args) {
  if (auto r = installer::check_value("--group", args.group, "._-");
      !r || args.group.size() > 64) {
    return fail("bad_group", "--group must be 1 to 64 letters, digits, '.', '_' or '-'");
  }
  if (args.format != "deb" && args.format != "rpm" && args.format != "sh") {
    return fail("bad_format", "--format must be deb, rpm or sh");
  }
  if (args.format == "sh" && args.agent_package.empty()) {
    return fail("no_agent_package",
                "--format sh needs --agent-package: the helpline-agent-VERSION-linux-ARCH.tar.gz "
                "made by ./scripts/package");
  }
  if (args.format != "sh" && !args.agent_package.empty()) {
    return fail("bad_option", "--agent-package is for --format sh; the " + args.format +
                                  " depends on the helpline-agent package from your repository");
  }
  if (args.out.empty()) return fail("bad_option", "--out needs a file name");
  if (args.no_org_key && !args.org_key.empty()) {
    return fail("bad_option", "--org-key and --no-org-key exclude each other");
  }
  return {};
}

// The catalog key the installer carries: --org-key FILE, which must agree
// with the relay's copy when the relay has one (else every catalog the relay
// offers would be refused), or else the relay's copy. Nothing with
// --no-org-key. Errors: "no_org_key", "org_key_mismatch", "bad_key", the
// relay's and the file's.
[[nodiscard]] Result<installer::OrgKey> choose_org_key(ApiClient& client,
                                                       const InstallerArgs& args) {
  if (args.no_org_key) return installer::OrgKey{};
  std::optional<installer::OrgKey> relay_key;
  auto body = call_api(client, "GET", "/api/v1/catalog/org-key");
  if (body) {
    v1::api::OrgKeyInfo info;
    if (auto parsed = relay::api::parse_json(*body, info); !parsed) {
      return fail("bad_answer", "unexpected answer from the relay: " + parsed.error().message);
    }
    auto key = installer::org_key_from_pem(info.public_key_pem());
    if (!key) return fail(key.error().code, "the relay's organisation key: " + key.error().message);
    relay_key = std::move(*key);
  } else if (body.error().code != "no_org_key") {
    return fail(body.error());
  }
  if (args.org_key.empty()) {
    if (relay_key) return *relay_key;
    return fail("no_org_key",
                "the relay has no organisation key, so the installer would pin none: set it "
                "with helpline admin set-org-key org.pub, or pass --org-key org.pub, or "
                "--no-org-key to let agents trust the first key the relay offers");
  }
  auto pem = files::read(args.org_key, kMaxOrgKeyFile);
  if (!pem) return fail(pem.error());
  auto key = installer::org_key_from_pem(*pem);
  if (!key) return fail(key.error().code, args.org_key + ": " + key.error().message);
  if (relay_key && relay_key->key_id != key->key_id) {
    return fail("org_key_mismatch",
                args.org_key + " is key " + key->key_id + " but the relay checks catalogs "
                "against " + relay_key->key_id + "; agents would refuse every catalog it offers");
  }
  return key;
}

[[nodiscard]] Result<std::string> read_agent_archive(const std::string& path) {
  auto archive = files::read(path, kMaxAgentArchive);
  if (!archive) return fail(archive.error());
  if (archive->size() < 2 || static_cast<unsigned char>((*archive)[0]) != 0x1f ||
      static_cast<unsigned char>((*archive)[1]) != 0x8b) {
    return fail("bad_agent_package", path + " is not a .tar.gz (the agent tarball from "
                                            "./scripts/package)");
  }
  return archive;
}

// Creates the group token on the relay. Errors carry the relay's message.
[[nodiscard]] Result<v1::api::EnrollToken> create_group_token(ApiClient& client,
                                                              const InstallerArgs& args) {
  v1::api::CreateEnrollTokenRequest request;
  request.set_group(args.group);
  request.set_uses(args.uses);
  request.set_expires_in(args.expires);
  auto body = call_api(client, "POST", "/api/v1/enroll-tokens", relay::api::to_json(request));
  if (!body) return fail(body.error());
  v1::api::EnrollToken token;
  if (auto parsed = relay::api::parse_json(*body, token); !parsed) {
    return fail("bad_answer", "unexpected answer from the relay: " + parsed.error().message);
  }
  return token;
}

void print_result(const InstallerArgs& args, const v1::api::EnrollToken& token,
                  const installer::OrgKey& org_key, const Output& out) {
  if (out.json) {
    JsonWriter json;
    json.begin_object()
        .field("out", args.out)
        .field("format", args.format)
        .field("group", token.group())
        .field("package", args.format != "sh" ? installer::package_name(token.group()) : "")
        .field("token_id", token.id())
        .field("uses", static_cast<std::int64_t>(token.uses()))
        .field("expires_at", token.expires_at())
        .field("org_key", org_key.key_id)
        .end_object();
    std::cout << json.str() << "\n";
    return;
  }
  std::cout << "Wrote " << args.out << " (0600): "
            << (args.format == "sh" ? std::string("run it as root with: sh FILE")
                                    : "package " + installer::package_name(token.group()) +
                                          ", install it next to the helpline-agent package")
            << "\nIt holds enrollment token " << token.id() << " for group '" << token.group()
            << "' (" << token.uses() << " uses, expires " << token.expires_at()
            << "); stop it early with: helpline enroll-token revoke " << token.id() << "\n"
            << (org_key.key_id.empty()
                    ? std::string("It pins no catalog key: agents trust the first one the "
                                  "relay offers.\n")
                    : "Agents pin the organisation's catalog key " + org_key.key_id + ".\n");
}

}  // namespace

int cmd_admin_installer(const InstallerArgs& args, const Output& out) {
  if (auto r = check_args(args); !r) return report_failure(r.error());
  auto relay = parse_host_port(args.relay);
  if (!relay) return report_failure("--relay: " + relay.error().message);
  std::string archive;
  if (args.format == "sh") {
    auto read = read_agent_archive(args.agent_package);
    if (!read) return report_failure(read.error());
    archive = std::move(*read);
  }
  auto config = load_config(config_path());
  if (!config) return report_failure(config.error());
  auto pin = tls::normalize_pin(config->ca_pin);
  if (!pin) return report_failure(pin.error());
  auto client = logged_in_client();
  if (!client) return report_failure(client.error());

  // Before the token, so that a refusal leaves no token behind.
  auto org_key = choose_org_key(*client, args);
  if (!org_key) return report_failure(org_key.error());

  auto token = create_group_token(*client, args);
  if (!token) return report_failure(token.error());
  installer::Values values{token->group(), relay->to_string(), *pin, token->token(),
                          token->expires_at(), *org_key};
  Result<std::string> built =
      installer::check_values(values).and_then([&]() -> Result<std::string> {
        if (args.format == "deb") return installer::build_deb(values);
        if (args.format == "rpm") return installer::build_rpm(values);
        return installer::build_sh(values, archive);
      });
  Result<void> written = built.and_then(
      [&](const std::string& data) { return files::write_atomic(args.out, data, 0600); });
  if (!written) {
    // A token no installer carries must not stay valid.
    (void)call_api(*client, "POST", "/api/v1/enroll-tokens/" + token->id() + "/revoke");
    return report_failure(written.error().message + " (enrollment token " + token->id() +
                          " revoked)");
  }
  print_result(args, *token, *org_key, out);
  return 0;
}

}  // namespace helpline::cli
