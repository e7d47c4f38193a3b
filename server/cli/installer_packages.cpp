// Builds the per-group .deb and .rpm (installer_build.h) by spawning
// dpkg-deb or rpmbuild, with an argv vector, on a temporary tree.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <tuple>
#include <vector>

#include "common/core/files.h"
#include "server/cli/installer_build.h"

extern char** environ;

namespace helpline::cli::installer {

namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxToolOutput = 4096;
constexpr std::size_t kMaxPackage = 16u << 20;
// The first helpline-agent release that ships /usr/lib/helpline/helpline-agent-enroll.
constexpr std::string_view kMinAgentVersion = "0.1.0";

// The fixed part of the group rpm's spec; rpm_spec() puts the header and
// the %pre scriptlet before it.
constexpr std::string_view kRpmSpecBody = R"(%install
install -D -m 0600 %{hl_src}/enroll.toml %{buildroot}/etc/helpline/enroll.toml
%files
%config(noreplace) %attr(0600,root,root) /etc/helpline/enroll.toml
%post
# Enrolled by %pre; this starts the agent.
/usr/lib/helpline/helpline-agent-enroll --config /etc/helpline/enroll.toml
)";

// The group deb's maintainer scripts: fixed text around checked values.
// preinst enrolls before anything is unpacked, so a refused token fails the
// installation and dpkg leaves the package not installed; postinst starts
// the agent.
constexpr std::string_view kDebPreinstHead = R"(#!/bin/sh
# Enrolls this machine with the relay named below before the package is
# unpacked: if the relay refuses the token (expired, revoked, used up) the
# installation fails and leaves nothing behind. An enrolled machine keeps
# its identity (upgrades and reinstalls enroll nothing).
set -e
case "$1" in
  install|upgrade) ;;
  *) exit 0 ;;
esac
)";

constexpr std::string_view kDebPostinst = R"(#!/bin/sh
# The preinst enrolled this machine; this starts helpline-agent.
set -e
if [ "$1" = configure ]; then
  /usr/lib/helpline/helpline-agent-enroll --config /etc/helpline/enroll.toml
fi
exit 0
)";

[[nodiscard]] std::string utc_stamp() {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  char text[32] = {};
  std::strftime(text, sizeof text, "%Y%m%d%H%M%S", &utc);
  return text;
}

// For the package descriptions: which catalog key the agent will pin.
[[nodiscard]] std::string key_sentence(const Values& v, std::string_view line_break) {
  if (v.org_key.base64.empty()) return "";
  return std::string(line_break) + "It pins the organisation's catalog key" +
         std::string(line_break) + v.org_key.key_id + ".";
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
         "Requires(pre): helpline-agent >= " + std::string(kMinAgentVersion) + "\n" +
         "%define debug_package %{nil}\n"
         "%define __spec_install_post %{nil}\n"
         "%define _build_id_links none\n"
         "%description\n"
         "Installing this package enrolls the machine with the Helpline relay\n" +
         v.relay + " (group " + v.group + ") with the group enrollment token in\n" +
         "/etc/helpline/enroll.toml, valid until " + v.expires_at + ", then starts\n" +
         "helpline-agent." + key_sentence(v, "\n") + "\n" +
         // Enrolls before anything is installed: a refused token fails the
         // transaction and leaves nothing behind.
         "%pre\n" + preinstall_script(v) + std::string(kRpmSpecBody);
}

}  // namespace

// A deb that pre-depends on helpline-agent, enrolls in its preinst and
// carries /etc/helpline/enroll.toml as a 0600 conffile.
Result<std::string> build_deb(const Values& v) {
  auto temp = TempDir::create();
  if (!temp) return fail(temp.error());
  const fs::path root = temp->path() / "root";
  std::string name = package_name(v.group);
  std::string control = "Package: " + name + "\n" +
                        "Version: " + HELPLINE_VERSION + "+" + utc_stamp() + "\n" +
                        "Architecture: all\n"
                        "Maintainer: Helpline admin installer <helpline@example.org>\n"
                        // Pre-Depends: the preinst runs helpline-agent.
                        "Pre-Depends: helpline-agent (>= " + std::string(kMinAgentVersion) + ")\n"
                        "Section: admin\n"
                        "Priority: optional\n"
                        "Description: Helpline agent enrollment for group " + v.group + "\n"
                        " Installing this package enrolls the machine with the Helpline relay\n"
                        " " + v.relay + " (group " + v.group + ") with the group enrollment token\n"
                        " in /etc/helpline/enroll.toml, valid until " + v.expires_at + ",\n"
                        " then starts helpline-agent." + key_sentence(v, "\n ") + "\n";
  const std::string preinst = std::string(kDebPreinstHead) + preinstall_script(v);
  for (auto [path, data, mode] :
       {std::tuple{root / "DEBIAN/control", std::string_view(control), 0644u},
        std::tuple{root / "DEBIAN/preinst", std::string_view(preinst), 0755u},
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

// A noarch rpm that requires helpline-agent, enrolls in %pre and carries
// /etc/helpline/enroll.toml as a 0600 %config file.
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
