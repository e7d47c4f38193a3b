// Builds per-group installers; see installer_build.h. The scripts and
// specs are fixed text here; only checked values are put into them.
#include "server/cli/installer_build.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <tuple>
#include <vector>

#include "common/core/files.h"
#include "common/tls/tls.h"

extern char** environ;

namespace helpline::cli::installer {

namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxToolOutput = 4096;
constexpr std::size_t kMaxPackage = 16u << 20;
// The first helpline-agent release that ships /usr/lib/helpline/helpline-agent-enroll.
constexpr std::string_view kMinAgentVersion = "0.1.0";

// The fixed part of the group rpm's spec; rpm_spec() puts the header before it.
constexpr std::string_view kRpmSpecBody = R"(%install
install -D -m 0600 %{hl_src}/enroll.toml %{buildroot}/etc/helpline/enroll.toml
%files
%config(noreplace) %attr(0600,root,root) /etc/helpline/enroll.toml
%post
# Enrolls with the relay named in /etc/helpline/enroll.toml and starts the agent.
/usr/lib/helpline/helpline-agent-enroll --config /etc/helpline/enroll.toml
)";

[[nodiscard]] bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

[[nodiscard]] std::string utc_stamp() {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  char text[32] = {};
  std::strftime(text, sizeof text, "%Y%m%d%H%M%S", &utc);
  return text;
}

// /etc/helpline/enroll.toml, read by /usr/lib/helpline/helpline-agent-enroll.
[[nodiscard]] std::string enroll_toml(const Values& v) {
  return "# Helpline enrollment for group " + v.group + ", written by helpline admin installer.\n"
         "# It holds a group enrollment token: keep it private (0600).\n"
         "relay = \"" + v.relay + "\"\n"
         "ca_pin = \"" + v.ca_pin + "\"\n"
         "group = \"" + v.group + "\"\n"
         "token = \"" + v.token + "\"\n"
         "expires_at = \"" + v.expires_at + "\"\n";
}

// A temporary directory removed with everything in it when this goes away.
class TempDir {
 public:
  static Result<TempDir> create() {
    std::error_code ec;
    fs::path base = fs::temp_directory_path(ec);
    if (ec) return fail("temp_failed", "no temporary directory (TMPDIR): " + ec.message());
    std::string pattern = (base / "helpline-installer.XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      return fail("temp_failed", "cannot create a temporary directory: " +
                                     std::string(std::strerror(errno)));
    }
    return TempDir(pattern);
  }
  TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  TempDir& operator=(TempDir&&) = delete;
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  [[nodiscard]] const fs::path& path() const { return path_; }

 private:
  explicit TempDir(fs::path path) : path_(std::move(path)) {}
  fs::path path_;
};

// Runs a tool (found on PATH) with stdout and stderr going to `log`, and
// waits for it. `package` names the Debian package that provides it.
// Errors: "missing_tool", "tool_failed" with the tool's output.
[[nodiscard]] Result<void> run_tool(const std::vector<std::string>& argv, const fs::path& log,
                                    std::string_view package) {
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc == ENOENT) {
    return fail("missing_tool", argv[0] + " not found; it is needed here (on Debian and Ubuntu "
                                          "it comes with the " + std::string(package) +
                                          " package)");
  }
  if (rc != 0) {
    return fail("spawn_failed", "cannot run " + argv[0] + ": " + std::strerror(rc));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      return fail("spawn_failed", "waiting for " + argv[0] + ": " + std::strerror(errno));
    }
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  auto output = files::read(log, 1u << 20);
  std::string text = output ? *output : std::string();
  if (text.size() > kMaxToolOutput) text = text.substr(text.size() - kMaxToolOutput);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return fail("tool_failed", argv[0] + " failed" + (text.empty() ? "" : ": " + text));
}

[[nodiscard]] Result<void> write_tree_file(const fs::path& path, std::string_view data,
                                           unsigned mode) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) {
    return fail("write_failed", "cannot create " + path.parent_path().string() + ": " + ec.message());
  }
  return files::write_atomic(path, data, mode);
}

// The group package's postinst: fixed text, the data is in enroll.toml.
constexpr std::string_view kDebPostinst = R"(#!/bin/sh
# Enrolls this machine with the relay named in /etc/helpline/enroll.toml
# (written by helpline admin installer) and starts helpline-agent. On
# failure the agent's reason is printed and nothing is enrolled.
set -e
if [ "$1" = configure ]; then
  /usr/lib/helpline/helpline-agent-enroll --config /etc/helpline/enroll.toml
fi
exit 0
)";

// The body of the .sh installer (POSIX sh). The header before it assigns
// hl_group, hl_relay, hl_ca_pin, hl_token, hl_expires, hl_payload_sha256 and
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
{
  printf '# Helpline enrollment for group %s, written by a helpline admin installer.\n' "$hl_group"
  printf '# It holds a group enrollment token: keep it private (0600).\n'
  printf 'relay = "%s"\n' "$hl_relay"
  printf 'ca_pin = "%s"\n' "$hl_ca_pin"
  printf 'group = "%s"\n' "$hl_group"
  printf 'token = "%s"\n' "$hl_token"
  printf 'expires_at = "%s"\n' "$hl_expires"
} > "$config.new"
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

// The group rpm's spec. Only the header lines and the description carry
// values (checked: no '%' for rpm's macros); %install copies enroll.toml
// from the directory given as the macro hl_src on rpmbuild's command line.
[[nodiscard]] std::string rpm_spec(const Values& v) {
  return "Name: " + package_name(v.group) + "\n" +
         "Version: " + HELPLINE_VERSION + "\n" +
         "Release: " + utc_stamp() + "\n" +
         "Summary: Helpline agent enrollment for group " + v.group + "\n" +
         "License: LicenseRef-Helpline\n"
         "BuildArch: noarch\n"
         "Requires: helpline-agent >= " + std::string(kMinAgentVersion) + "\n" +
         "%define debug_package %{nil}\n"
         "%define __spec_install_post %{nil}\n"
         "%define _build_id_links none\n"
         "%description\n"
         "Installing this package enrolls the machine with the Helpline relay\n" +
         v.relay + " (group " + v.group + ") with the group enrollment token in\n" +
         "/etc/helpline/enroll.toml, valid until " + v.expires_at + ", then starts\n" +
         "helpline-agent.\n" + std::string(kRpmSpecBody);
}

}  // namespace

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

// A deb that depends on helpline-agent and carries /etc/helpline/enroll.toml
// as a 0600 conffile.
Result<std::string> build_deb(const Values& v) {
  auto temp = TempDir::create();
  if (!temp) return fail(temp.error());
  const fs::path root = temp->path() / "root";
  std::string name = package_name(v.group);
  std::string control = "Package: " + name + "\n" +
                        "Version: " + HELPLINE_VERSION + "+" + utc_stamp() + "\n" +
                        "Architecture: all\n"
                        "Maintainer: Helpline admin installer <helpline@example.org>\n"
                        "Depends: helpline-agent (>= " + std::string(kMinAgentVersion) + ")\n"
                        "Section: admin\n"
                        "Priority: optional\n"
                        "Description: Helpline agent enrollment for group " + v.group + "\n"
                        " Installing this package enrolls the machine with the Helpline relay\n"
                        " " + v.relay + " (group " + v.group + ") with the group enrollment token\n"
                        " in /etc/helpline/enroll.toml, valid until " + v.expires_at + ",\n"
                        " then starts helpline-agent.\n";
  for (auto [path, data, mode] :
       {std::tuple{root / "DEBIAN/control", std::string_view(control), 0644u},
        std::tuple{root / "DEBIAN/conffiles", std::string_view("/etc/helpline/enroll.toml\n"), 0644u},
        std::tuple{root / "DEBIAN/postinst", kDebPostinst, 0755u}}) {
    if (auto r = write_tree_file(path, data, mode); !r) return fail(r.error());
  }
  if (auto r = write_tree_file(root / "etc/helpline/enroll.toml", enroll_toml(v), 0600); !r) {
    return fail(r.error());
  }
  std::error_code ec;
  for (const auto& dir : {root, root / "DEBIAN", root / "etc", root / "etc/helpline"}) {
    fs::permissions(dir, fs::perms(0755), ec);
  }
  const fs::path deb = temp->path() / "out.deb";
  if (auto r = run_tool({"dpkg-deb", "--root-owner-group", "--build", root.string(), deb.string()},
                        temp->path() / "dpkg-deb.log", "dpkg");
      !r) {
    return fail(r.error());
  }
  return files::read(deb, kMaxPackage);
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
      "set -eu\n"
      "hl_group='" + v.group + "'\n"
      "hl_relay='" + v.relay + "'\n"
      "hl_ca_pin='" + v.ca_pin + "'\n"
      "hl_token='" + v.token + "'\n"
      "hl_expires='" + v.expires_at + "'\n"
      "hl_payload_sha256='" + tls::sha256_hex(archive) + "'\n"
      "hl_payload_line=@LINE@\n";
  std::string script = header + std::string(kShBody);
  std::size_t lines = static_cast<std::size_t>(std::count(script.begin(), script.end(), '\n'));
  script.replace(script.find("@LINE@"), 6, std::to_string(lines + 1));
  return script + archive;
}

// A noarch rpm that requires helpline-agent and carries /etc/helpline/enroll.toml
// as a 0600 %config file; its %post enrolls.
Result<std::string> build_rpm(const Values& v) {
  auto temp = TempDir::create();
  if (!temp) return fail(temp.error());
  const fs::path& dir = temp->path();
  // The directory reaches rpmbuild's %install shell through the hl_src macro.
  if (auto r = check_value("temporary directory", dir.string(), "/._-"); !r) {
    return fail("bad_value", "the temporary directory " + dir.string() +
                                 " holds characters rpmbuild cannot take; set TMPDIR");
  }
  if (auto r = write_tree_file(dir / "src/enroll.toml", enroll_toml(v), 0600); !r) {
    return fail(r.error());
  }
  const fs::path spec = dir / "group.spec";
  if (auto r = write_tree_file(spec, rpm_spec(v), 0644); !r) return fail(r.error());
  const fs::path rpms = dir / "rpms";
  if (auto r = run_tool({"rpmbuild", "-bb", "--quiet", "--define", "_topdir " + (dir / "top").string(),
                         "--define", "_rpmdir " + rpms.string(), "--define",
                         "hl_src " + (dir / "src").string(), spec.string()},
                        dir / "rpmbuild.log", "rpm");
      !r) {
    return fail(r.error());
  }
  std::error_code ec;
  for (const auto& entry : fs::recursive_directory_iterator(rpms, ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".rpm") {
      return files::read(entry.path(), kMaxPackage);
    }
  }
  return fail("tool_failed", "rpmbuild finished without writing a package");
}
}  // namespace helpline::cli::installer
