// What `helpline admin installer` writes: the checked values, enroll.toml,
// the .sh installer (its here-document prints enroll.toml byte for byte, its
// payload is found and checked) and the group .deb (dpkg-deb reads it back).
#include "server/cli/installer_build.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "common/catalog/signing.h"
#include "common/core/files.h"
#include "common/tls/crypto.h"
#include "common/tls/tls.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace helpline::cli::installer {
namespace {

using helpline::testing::ProcessOptions;
using helpline::testing::RunResult;
using helpline::testing::TempDir;
using namespace std::chrono_literals;

std::string ed25519_public_pem() {
  auto key = tls::generate_key(tls::KeyType::kEd25519);
  EXPECT_TRUE(key) << key.error().message;
  auto pem = tls::public_key_to_pem(key->get());
  EXPECT_TRUE(pem) << pem.error().message;
  return *pem;
}

Values good_values() {
  Values v;
  v.group = "Lab_EU";
  v.relay = "relay.example.org:8443";
  v.ca_pin = "SHA256:" + std::string(64, 'a');
  v.token = "hle_AbC-12_xyz";
  v.expires_at = "2030-01-02T03:04:05.678Z";
  auto key = org_key_from_pem(ed25519_public_pem());
  EXPECT_TRUE(key) << key.error().message;
  v.org_key = *key;
  return v;
}

std::filesystem::path find_program(const std::string& name) {
  for (const char* dir : {"/usr/bin", "/bin", "/usr/local/bin"}) {
    std::filesystem::path path = std::filesystem::path(dir) / name;
    if (std::filesystem::exists(path)) return path;
  }
  return {};
}

RunResult run(const std::filesystem::path& program, std::vector<std::string> args,
              const TempDir& temp) {
  ProcessOptions options;
  options.program = program;
  options.args = std::move(args);
  options.stdout_path = temp / "out.txt";
  options.stderr_path = temp / "err.txt";
  auto result = helpline::testing::run_command(options, 30s);
  EXPECT_TRUE(result) << result.error().message;
  return result ? *result : RunResult{};
}

TEST(InstallerValues, AcceptsWhatTheRelayAndTheKeyGive) {
  EXPECT_TRUE(check_values(good_values()));
  Values without_key = good_values();
  without_key.org_key = {};
  EXPECT_TRUE(check_values(without_key));
}

TEST(InstallerValues, RefusesEveryCharacterAScriptCouldInterpret) {
  for (std::string bad : {"'", "\"", " ", "$", "%", "`", "\\", "\n", ";", "*"}) {
    for (std::string Values::*field :
         {&Values::group, &Values::relay, &Values::ca_pin, &Values::token, &Values::expires_at}) {
      Values v = good_values();
      v.*field += bad;
      auto checked = check_values(v);
      ASSERT_FALSE(checked) << "accepted '" << bad << "'";
      EXPECT_EQ(checked.error().code, "bad_value");
    }
    Values v = good_values();
    v.org_key.base64 += bad;
    EXPECT_FALSE(check_values(v)) << "accepted '" << bad << "' in the key";
  }
  Values empty_group = good_values();
  empty_group.group.clear();
  EXPECT_FALSE(check_values(empty_group));
}

TEST(InstallerValues, TheTokenMustBeAnEnrollmentToken) {
  Values v = good_values();
  v.token = "hlt_abc";
  auto checked = check_values(v);
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().code, "bad_token");
}

TEST(InstallerValues, PackageNameIsLowerCaseWithDashes) {
  EXPECT_EQ(package_name("Accounting_EU"), "helpline-agent-accounting-eu");
  EXPECT_EQ(package_name("lab.2"), "helpline-agent-lab.2");
}

TEST(InstallerOrgKey, OneLineOfBase64ThatIsTheSameKey) {
  std::string pem = ed25519_public_pem();
  auto key = org_key_from_pem(pem);
  ASSERT_TRUE(key) << key.error().message;
  EXPECT_EQ(key->base64.size(), 60u);
  EXPECT_EQ(key->base64.find('\n'), std::string::npos);
  // The agent's helper rebuilds the PEM from the line: same key, same id.
  auto rebuilt = catalog::load_public_key("-----BEGIN PUBLIC KEY-----\n" + key->base64 +
                                          "\n-----END PUBLIC KEY-----\n");
  ASSERT_TRUE(rebuilt) << rebuilt.error().message;
  auto id = catalog::key_id(rebuilt->get());
  ASSERT_TRUE(id);
  EXPECT_EQ(*id, key->key_id);
  EXPECT_EQ(key->key_id.rfind("SHA256:", 0), 0u);
}

TEST(InstallerOrgKey, RefusesWhatIsNotAnEd25519PublicKey) {
  auto ecdsa = tls::generate_key(tls::KeyType::kEcdsaP256);
  ASSERT_TRUE(ecdsa);
  auto ecdsa_pem = tls::public_key_to_pem(ecdsa->get());
  ASSERT_TRUE(ecdsa_pem);
  for (const std::string& pem : {*ecdsa_pem, std::string("not a key"), std::string()}) {
    auto key = org_key_from_pem(pem);
    ASSERT_FALSE(key);
    EXPECT_EQ(key.error().code, "bad_key");
  }
}

TEST(InstallerEnrollToml, CarriesEveryValueAndTheKeyOnlyWhenThereIsOne) {
  Values v = good_values();
  std::string toml = enroll_toml(v);
  for (const std::string& line : std::vector<std::string>{
           "relay = \"relay.example.org:8443\"", "ca_pin = \"" + v.ca_pin + "\"",
        "group = \"Lab_EU\"", "token = \"hle_AbC-12_xyz\"",
        "expires_at = \"2030-01-02T03:04:05.678Z\"", "org_key = \"" + v.org_key.base64 + "\"",
        "org_key_id = \"" + v.org_key.key_id + "\""}) {
    EXPECT_NE(toml.find("\n" + line + "\n"), std::string::npos) << line << " in\n" << toml;
  }
  v.org_key = {};
  EXPECT_EQ(enroll_toml(v).find("org_key"), std::string::npos);
}

// The script part of a .sh installer (before the payload).
std::string script_part(const std::string& installer, std::size_t* payload_line) {
  const std::string marker = "\nhl_payload_line=";
  auto at = installer.find(marker);
  EXPECT_NE(at, std::string::npos);
  *payload_line = std::stoul(installer.substr(at + marker.size()));
  std::size_t offset = 0;
  for (std::size_t line = 1; line < *payload_line; ++line) {
    offset = installer.find('\n', offset);
    EXPECT_NE(offset, std::string::npos);
    ++offset;
  }
  return installer.substr(0, offset);
}

TEST(InstallerSh, ParsesFindsItsPayloadAndPrintsEnrollTomlVerbatim) {
  auto sh = find_program("sh");
  ASSERT_FALSE(sh.empty());
  TempDir temp("helpline-installer-test");
  Values v = good_values();
  const std::string archive = std::string("\x1f\x8b", 2) + std::string(300, '\0') + "\n$(x)'\n";
  std::string installer = build_sh(v, archive);
  ASSERT_EQ(installer.rfind("#!/bin/sh\n", 0), 0u);

  std::size_t payload_line = 0;
  std::string script = script_part(installer, &payload_line);
  EXPECT_EQ(installer.substr(script.size()), archive);
  EXPECT_NE(script.find("hl_payload_sha256='" + tls::sha256_hex(archive) + "'"), std::string::npos);
  // The token appears once: inside the quoted here-document.
  EXPECT_EQ(script.find(v.token), script.rfind(v.token));

  ASSERT_TRUE(files::write_atomic(temp / "script.sh", script, 0600));
  RunResult parsed = run(sh, {"-n", (temp / "script.sh").string()}, temp);
  EXPECT_EQ(parsed.exit_code, 0) << parsed.describe();

  // The header alone (up to hl_payload_line) defines hl_enroll_toml.
  std::string header = script.substr(0, script.find("\nhl_payload_line=") + 1);
  ASSERT_TRUE(files::write_atomic(temp / "header.sh", header, 0600));
  RunResult printed =
      run(sh, {"-c", ". \"$1\" && hl_enroll_toml", "sh", (temp / "header.sh").string()}, temp);
  ASSERT_EQ(printed.exit_code, 0) << printed.describe();
  EXPECT_EQ(printed.out, enroll_toml(v));
}

TEST(InstallerPreinstall, EnrollsFromItsOwnCopyWithoutStarting) {
  auto sh = find_program("sh");
  ASSERT_FALSE(sh.empty());
  TempDir temp("helpline-installer-test");
  std::string script = preinstall_script(good_values());
  EXPECT_NE(script.find("/usr/lib/helpline/helpline-agent-enroll --config \"$hl_work/enroll.toml\" "
                        "--no-start"),
            std::string::npos);
  ASSERT_TRUE(files::write_atomic(temp / "pre.sh", script, 0600));
  RunResult parsed = run(sh, {"-n", (temp / "pre.sh").string()}, temp);
  EXPECT_EQ(parsed.exit_code, 0) << parsed.describe();
}

TEST(InstallerDeb, PreDependsOnTheAgentAndCarriesAPrivateConffile) {
  auto dpkg_deb = find_program("dpkg-deb");
  if (dpkg_deb.empty()) GTEST_SKIP() << "dpkg-deb is not installed";
  TempDir temp("helpline-installer-test");
  Values v = good_values();
  auto deb = build_deb(v);
  ASSERT_TRUE(deb) << deb.error().message;
  ASSERT_TRUE(files::write_atomic(temp / "lab.deb", *deb, 0600));
  const std::string file = (temp / "lab.deb").string();

  RunResult fields = run(dpkg_deb, {"-f", file, "Package", "Pre-Depends", "Architecture"}, temp);
  ASSERT_EQ(fields.exit_code, 0) << fields.describe();
  EXPECT_NE(fields.out.find("Package: helpline-agent-lab-eu\n"), std::string::npos) << fields.out;
  EXPECT_NE(fields.out.find("Pre-Depends: helpline-agent (>= "), std::string::npos) << fields.out;
  EXPECT_NE(fields.out.find("Architecture: all\n"), std::string::npos) << fields.out;

  RunResult contents = run(dpkg_deb, {"-c", file}, temp);
  ASSERT_EQ(contents.exit_code, 0) << contents.describe();
  EXPECT_NE(contents.out.find("-rw------- root/root"), std::string::npos) << contents.out;
  EXPECT_NE(contents.out.find("./etc/helpline/enroll.toml\n"), std::string::npos) << contents.out;

  RunResult control = run(dpkg_deb, {"-e", file, (temp / "control").string()}, temp);
  ASSERT_EQ(control.exit_code, 0) << control.describe();
  EXPECT_EQ(helpline::testing::read_text_file(temp / "control/conffiles"),
            "/etc/helpline/enroll.toml\n");
  std::string preinst = helpline::testing::read_text_file(temp / "control/preinst");
  EXPECT_NE(preinst.find(enroll_toml(v)), std::string::npos) << preinst;
  EXPECT_EQ(std::filesystem::status(temp / "control/preinst").permissions() &
                std::filesystem::perms::owner_exec,
            std::filesystem::perms::owner_exec);
  RunResult data = run(dpkg_deb, {"-x", file, (temp / "root").string()}, temp);
  ASSERT_EQ(data.exit_code, 0) << data.describe();
  EXPECT_EQ(helpline::testing::read_text_file(temp / "root/etc/helpline/enroll.toml"),
            enroll_toml(v));
}

}  // namespace
}  // namespace helpline::cli::installer
