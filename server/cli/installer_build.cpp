// Builds per-group installers; see installer_build.h. This file holds the
// texts (enroll.toml, the enrolling preinstall script, the self-contained
// .sh); installer_packages.cpp builds the .deb and .rpm around them. The
// scripts are fixed text; only checked values are put into them, and only
// inside a quoted here-document or single quotes.
#include "server/cli/installer_build.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <algorithm>
#include <tuple>

#include "common/catalog/signing.h"
#include "common/tls/tls.h"

namespace helpline::cli::installer {

namespace {

[[nodiscard]] bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// A shell function hl_enroll_toml that prints enroll.toml: a quoted
// here-document, in which the shell expands nothing.
[[nodiscard]] std::string enroll_toml_function(const Values& v) {
  return "hl_enroll_toml() {\n"
         "cat <<'HELPLINE_ENROLL_TOML'\n" + enroll_toml(v) + "HELPLINE_ENROLL_TOML\n"
         "}\n";
}

// After enroll_toml_function(): enrolls from a private copy of enroll.toml
// without starting the agent. The script's status is the enrollment's.
constexpr std::string_view kPreinstallBody = R"(umask 077
hl_work=$(mktemp -d "${TMPDIR:-/tmp}/helpline-enroll.XXXXXX")
trap 'rm -rf "$hl_work"' EXIT
hl_enroll_toml > "$hl_work/enroll.toml"
/usr/lib/helpline/helpline-agent-enroll --config "$hl_work/enroll.toml" --no-start
)";

// The body of the .sh installer (POSIX sh). The header before it defines
// hl_enroll_toml (prints enroll.toml) and assigns hl_payload_sha256 and
// hl_payload_line; the agent .tar.gz follows the last line.
constexpr std::string_view kShBody = R"SH(
say() { printf 'helpline-installer: %s\n' "$*"; }
die() { say "$*" >&2; exit 1; }

start=1
for arg in "$@"; do
  case "$arg" in
    --no-start) start=0 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) die "unknown option $arg (see --help)" ;;
  esac
done
[ "$(id -u)" -eq 0 ] || die "run me as root"
[ -f "$0" ] || die "run me from a file (sh FILE), not through a pipe"
umask 077

agent=/usr/bin/helpline-agent
state=/var/lib/helpline/agent
config=/etc/helpline/enroll.toml

owned_by_package() {
  if command -v dpkg-query >/dev/null 2>&1 && dpkg-query -S "$1" >/dev/null 2>&1; then return 0; fi
  if command -v rpm >/dev/null 2>&1 && rpm -qf "$1" >/dev/null 2>&1; then return 0; fi
  return 1
}

# What was here before, so that a failed install can put it back.
had_agent=0; [ -e "$agent" ] && had_agent=1
had_state=0; [ -d "$state" ] && had_state=1
had_etc=0; [ -d /etc/helpline ] && had_etc=1
had_lib=0; [ -d /var/lib/helpline ] && had_lib=1
installed_agent=0
wrote_config=0
finished=0
work=$(mktemp -d "${TMPDIR:-/tmp}/helpline-installer.XXXXXX")

finish() {
  status=$?
  if [ "$finished" -ne 1 ]; then
    if [ "$wrote_config" -eq 1 ]; then
      if [ -f "$work/enroll.toml.old" ]; then mv -f "$work/enroll.toml.old" "$config"; else rm -f "$config"; fi
    fi
    if [ "$installed_agent" -eq 1 ]; then
      sh /usr/lib/helpline/helpline-agent-install.sh --uninstall >/dev/null 2>&1 || true
    fi
    # Directories that were not here before hold only what this run made.
    [ "$had_state" -eq 1 ] || rm -rf "$state"
    [ "$had_lib" -eq 1 ] || rm -rf /var/lib/helpline
    [ "$had_etc" -eq 1 ] || rm -rf /etc/helpline
    say "nothing was installed; the machine is as it was before" >&2
    [ "$status" -ne 0 ] || status=1
  fi
  rm -rf "$work"
  exit "$status"
}
trap finish EXIT
trap 'exit 130' INT TERM HUP

tail -n +"$hl_payload_line" "$0" > "$work/agent.tar.gz"
if command -v sha256sum >/dev/null 2>&1; then
  sum=$(sha256sum "$work/agent.tar.gz" | cut -d ' ' -f 1)
  [ "$sum" = "$hl_payload_sha256" ] || die "the embedded agent archive is damaged; get the installer again"
else
  say "sha256sum not found: the embedded agent archive is not checked"
fi
mkdir "$work/agent"
tar -xzf "$work/agent.tar.gz" -C "$work/agent" || die "cannot unpack the embedded agent archive"
install_sh=
for candidate in "$work"/agent/*/install.sh; do
  [ -f "$candidate" ] && install_sh=$candidate
done
[ -n "$install_sh" ] || die "the embedded agent archive has no install.sh"

if [ "$had_agent" -eq 1 ] && owned_by_package "$agent"; then
  say "using the helpline-agent package installed here"
else
  [ "$had_agent" -eq 1 ] || installed_agent=1
  sh "$install_sh" --no-start || die "installing the agent failed"
fi

mkdir -p /etc/helpline
chmod 0755 /etc/helpline
[ ! -f "$config" ] || cp -p "$config" "$work/enroll.toml.old"
wrote_config=1
hl_enroll_toml > "$config.new"
chmod 0600 "$config.new"
mv -f "$config.new" "$config"

if [ "$start" -eq 1 ]; then
  /usr/lib/helpline/helpline-agent-enroll --config "$config" || exit 1
else
  /usr/lib/helpline/helpline-agent-enroll --config "$config" --no-start || exit 1
fi
finished=1
exit 0
)SH";

}  // namespace

std::string enroll_toml(const Values& v) {
  return "# Helpline enrollment for group " + v.group + ", written by helpline admin installer.\n"
         "# It holds a group enrollment token: keep it private (0600).\n"
         "relay = \"" + v.relay + "\"\n"
         "ca_pin = \"" + v.ca_pin + "\"\n"
         "group = \"" + v.group + "\"\n"
         "token = \"" + v.token + "\"\n"
         "expires_at = \"" + v.expires_at + "\"\n" +
         (v.org_key.base64.empty()
              ? std::string()
              : "# The organisation's catalog key: the agent runs only catalogs it signed.\n"
                "org_key = \"" + v.org_key.base64 + "\"\n"
                "org_key_id = \"" + v.org_key.key_id + "\"\n");
}

std::string preinstall_script(const Values& v) {
  return enroll_toml_function(v) + std::string(kPreinstallBody);
}

Result<OrgKey> org_key_from_pem(std::string_view pem) {
  auto key = catalog::load_public_key(pem);
  if (!key) return fail(key.error());
  auto id = catalog::key_id(key->get());
  if (!id) return fail(id.error());
  // The DER of the key itself, not the file's text: one canonical line.
  unsigned char* der = nullptr;
  int size = ::i2d_PUBKEY(key->get(), &der);
  if (size <= 0) return fail("bad_key", "cannot encode the organisation key");
  std::string base64 =
      tls::base64_encode(std::string_view(reinterpret_cast<const char*>(der), static_cast<std::size_t>(size)));
  ::OPENSSL_free(der);
  return OrgKey{std::move(base64), std::move(*id)};
}

Result<void> check_value(std::string_view what, std::string_view value,
                         std::string_view extra) {
  if (value.empty() || value.size() > 256) {
    return fail("bad_value", std::string(what) + " must be 1 to 256 characters");
  }
  for (char c : value) {
    if (!is_alnum(c) && extra.find(c) == std::string_view::npos) {
      return fail("bad_value", std::string(what) + " '" + std::string(value) +
                                   "' may contain only letters, digits and '" +
                                   std::string(extra) + "'");
    }
  }
  return {};
}

Result<void> check_values(const Values& v) {
  for (auto [what, value, extra] :
       {std::tuple{"group", &v.group, "._-"}, std::tuple{"relay address", &v.relay, ".:[]-"},
        std::tuple{"CA pin", &v.ca_pin, ":"}, std::tuple{"enrollment token", &v.token, "_-"},
        std::tuple{"token expiry", &v.expires_at, ":.+-"}}) {
    if (auto r = check_value(what, *value, extra); !r) return r;
  }
  if (!v.org_key.base64.empty()) {
    if (auto r = check_value("organisation key", v.org_key.base64, "+/="); !r) return r;
    if (auto r = check_value("organisation key id", v.org_key.key_id, ":"); !r) return r;
  }
  if (v.token.rfind("hle_", 0) != 0) {
    return fail("bad_token", "the relay answered with a token that is not an hle_ enrollment token");
  }
  return {};
}

std::string package_name(const std::string& group) {
  std::string name = "helpline-agent-";
  for (char c : group) {
    if (c >= 'A' && c <= 'Z') {
      name += static_cast<char>(c - 'A' + 'a');
    } else {
      name += c == '_' ? '-' : c;
    }
  }
  return name;
}

// The self-contained .sh: header (values), fixed body, then the archive.
std::string build_sh(const Values& v, const std::string& archive) {
  std::string header =
      "#!/bin/sh\n"
      "# Helpline agent installer for group " + v.group + " (relay " + v.relay + "), made by\n"
      "# helpline admin installer. It holds an enrollment token valid until\n"
      "# " + v.expires_at + ": keep this file private.   Run: sh THIS_FILE [--no-start]\n"
      "# Installs the agent (or uses the helpline-agent package installed here),\n"
      "# writes /etc/helpline/enroll.toml (0600), enrolls this machine and starts the\n"
      "# agent. If anything fails it exits 1 and leaves the machine as it found it.\n"
      "set -eu\n" +
      enroll_toml_function(v) +
      "hl_payload_sha256='" + tls::sha256_hex(archive) + "'\n"
      "hl_payload_line=@LINE@\n";
  std::string script = header + std::string(kShBody);
  std::size_t lines = static_cast<std::size_t>(std::count(script.begin(), script.end(), '\n'));
  script.replace(script.find("@LINE@"), 6, std::to_string(lines + 1));
  return script + archive;
}

}  // namespace helpline::cli::installer
