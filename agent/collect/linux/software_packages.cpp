// software.packages: installed packages from dpkg's status file (parsed
// directly: no dpkg-query, no locking) and, where an RPM database exists,
// from `rpm -qa` spawned with a fixed query format.
#include <algorithm>

#include "agent/collect/linux/collectors.h"
#include "agent/collect/linux/source_files.h"
#include "agent/collect/linux/spawn.h"
#include "agent/collect/text.h"

namespace helpline::agent::collect::linux_impl {
namespace {

constexpr std::size_t kMaxStatusFile = 64u << 20;
constexpr std::size_t kMaxPackages = 50000;

void add_package(std::vector<pb::Package>& out, std::string_view name, std::string_view version,
                 std::string_view arch) {
  if (name.empty() || out.size() >= kMaxPackages) return;
  pb::Package& p = out.emplace_back();
  p.set_name(clean(name, 256));
  p.set_version(clean(version, 256));
  p.set_arch(clean(arch, 64));
}

// Stanzas separated by blank lines; only "Status: install ok installed".
void parse_dpkg_status(std::string_view text, std::vector<pb::Package>& out) {
  std::string_view name;
  std::string_view version;
  std::string_view arch;
  bool installed = false;
  auto flush = [&] {
    if (installed) add_package(out, name, version, arch);
    name = version = arch = {};
    installed = false;
  };
  for (std::string_view line : split_lines(text)) {
    if (trim(line).empty()) {
      flush();
      continue;
    }
    if (line.front() == ' ' || line.front() == '\t') continue;  // continuation
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view key = line.substr(0, colon);
    std::string_view value = trim(line.substr(colon + 1));
    if (key == "Package") {
      name = value;
    } else if (key == "Version") {
      version = value;
    } else if (key == "Architecture") {
      arch = value;
    } else if (key == "Status") {
      auto words = split_fields(value);
      installed = words.size() == 3 && words[2] == "installed";
    }
  }
  flush();
}

[[nodiscard]] bool rpm_database_present(Context& context) {
  for (std::string_view dir : {"/var/lib/rpm", "/usr/lib/sysimage/rpm"}) {
    for (const std::string& entry : list_dir(context, dir)) {
      if (entry == "rpmdb.sqlite" || entry == "Packages" || entry == "Packages.db") return true;
    }
  }
  return false;
}

[[nodiscard]] Result<void> read_rpm(Context& context, std::vector<pb::Package>& out) {
  std::string rpm = find_program("rpm");
  if (rpm.empty()) return fail("read_failed", "an RPM database exists but rpm is not installed");
  auto run = run_program({rpm, "-qa", "--qf", "%{NAME}\\t%{VERSION}-%{RELEASE}\\t%{ARCH}\\n"},
                         context.deadline(), 32u << 20);
  if (!run) return fail(run.error());
  if (run->exit_code != 0) {
    return fail("read_failed", "rpm -qa exited with status " + std::to_string(run->exit_code));
  }
  for (std::string_view line : split_lines(run->output)) {
    std::size_t t1 = line.find('\t');
    std::size_t t2 = t1 == std::string_view::npos ? t1 : line.find('\t', t1 + 1);
    if (t2 == std::string_view::npos) continue;
    add_package(out, line.substr(0, t1), line.substr(t1 + 1, t2 - t1 - 1), line.substr(t2 + 1));
  }
  return {};
}

}  // namespace

Result<void> collect_software_packages(Context& context, pb::DiagnosticBundle& out) {
  std::vector<pb::Package> packages;
  std::string manager;
  auto status = read_source(context, "/var/lib/dpkg/status", kMaxStatusFile);
  if (status) {
    parse_dpkg_status(*status, packages);
    manager = "dpkg";
  }
  // rpm is spawned on the live machine only; a fake tree has no database.
  if (context.live() && rpm_database_present(context)) {
    std::size_t before = packages.size();
    auto rpm = read_rpm(context, packages);
    if (!rpm) {
      context.add_error("rpm: " + rpm.error().message);
    } else if (packages.size() > before) {
      manager = manager.empty() ? "rpm" : manager + "+rpm";
    }
  }
  if (manager.empty()) {
    return unavailable("no package database found (neither dpkg nor rpm)");
  }
  if (packages.size() >= kMaxPackages) {
    context.add_error("more than " + std::to_string(kMaxPackages) + " packages; list cut");
  }
  std::sort(packages.begin(), packages.end(), [](const pb::Package& a, const pb::Package& b) {
    return a.name() != b.name() ? a.name() < b.name() : a.arch() < b.arch();
  });
  pb::SoftwareInfo& sw = *out.mutable_software();
  sw.set_package_manager(manager);
  sw.set_package_count(static_cast<std::uint32_t>(packages.size()));
  for (pb::Package& p : packages) *sw.add_packages() = std::move(p);
  return {};
}

}  // namespace helpline::agent::collect::linux_impl
