// Builds the files `helpline admin installer` writes (docs/installers.md):
// the self-contained .sh, the helpline-agent-<group> .deb and .rpm. Internal
// to the CLI; installer_commands.cpp gets the values from the relay.
//
// Every value that ends up in a generated script, spec or control file is
// first checked by check_values() against a small character set (no quote,
// space, '%', '$' or control character can pass), so the scripts hold data
// only inside a quoted here-document (enroll.toml) or single quotes, and the
// rest is fixed text. Tools (dpkg-deb, rpmbuild) are spawned with an argv
// vector, never through a shell.
#pragma once

#include <string>
#include <string_view>

#include "common/core/result.h"

namespace helpline::cli::installer {

// The organisation's catalog public key as an installer carries it: the
// base64 body of its PEM on one line (60 characters for Ed25519).
struct OrgKey {
  std::string base64;  // SubjectPublicKeyInfo, DER, base64
  std::string key_id;  // "SHA256:<hex>" as common/catalog names it
};

// Checks that `pem` is an Ed25519 public key. Errors: "bad_key".
[[nodiscard]] Result<OrgKey> org_key_from_pem(std::string_view pem);

// What an installer carries.
struct Values {
  std::string group;
  std::string relay;       // HOST:PORT the agents dial
  std::string ca_pin;      // SHA256:<hex>
  std::string token;       // hle_...
  std::string expires_at;  // RFC 3339
  OrgKey org_key;          // empty base64: none (the agent trusts the relay's first offer)
};

// Letters, digits and the characters in `extra` only, 1 to 256 of them.
// Errors: "bad_value" naming `what`.
[[nodiscard]] Result<void> check_value(std::string_view what, std::string_view value,
                                       std::string_view extra);

// Checks every field (see above); the build functions assume it passed.
// Errors: "bad_value", "bad_token".
[[nodiscard]] Result<void> check_values(const Values& values);

// /etc/helpline/enroll.toml, read by /usr/lib/helpline/helpline-agent-enroll.
[[nodiscard]] std::string enroll_toml(const Values& values);

// POSIX sh that enrolls this machine from a private copy of enroll.toml
// that it carries, without starting the agent: the group deb's preinst and
// the group rpm's %pre, so that a refused token fails the installation
// before anything is unpacked. Its exit status is the enrollment's.
[[nodiscard]] std::string preinstall_script(const Values& values);

// Package name for a group, lower case: "Accounting_EU" -> "helpline-agent-accounting-eu".
[[nodiscard]] std::string package_name(const std::string& group);

// The .sh installer: a fixed POSIX sh body after the values, then `archive`
// (the agent .tar.gz) appended. Cannot fail.
[[nodiscard]] std::string build_sh(const Values& values, const std::string& archive);

// The group packages (installer_packages.cpp), built in a temporary
// directory (removed afterwards) by spawning dpkg-deb or rpmbuild. Return
// the package's bytes.
// Errors: "missing_tool" when the tool is not installed, "tool_failed" with
// its output, "temp_failed"/"write_failed" for the temporary tree.
[[nodiscard]] Result<std::string> build_deb(const Values& values);
[[nodiscard]] Result<std::string> build_rpm(const Values& values);

}  // namespace helpline::cli::installer
