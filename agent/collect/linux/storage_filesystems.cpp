// storage.filesystems: mounts from /proc/self/mountinfo with their options
// and, on the live machine, usage and inode usage from statvfs. Pseudo
// filesystems are left out; network filesystems are listed without usage
// because statvfs on a dead server blocks for minutes.
#include <sys/statvfs.h>

#include <map>

#include "agent/collect/linux/collectors.h"
#include "agent/collect/linux/source_files.h"
#include "agent/collect/text.h"

namespace helpline::agent::collect::linux_impl {
namespace {

constexpr int kMaxMounts = 2000;

// Kernel and API filesystems that say nothing about storage. squashfs is
// here too: snap and live images mount it read-only and always 100% full.
constexpr std::string_view kPseudo[] = {
    "proc",        "sysfs",    "devpts",          "cgroup",      "cgroup2",
    "securityfs",  "debugfs",  "tracefs",         "pstore",      "bpf",
    "configfs",    "fusectl",  "mqueue",          "hugetlbfs",   "autofs",
    "binfmt_misc", "devtmpfs", "rpc_pipefs",      "nsfs",        "efivarfs",
    "selinuxfs",   "squashfs", "fuse.gvfsd-fuse", "fuse.portal", "ramfs",
};
constexpr std::string_view kNetwork[] = {"nfs",    "nfs4",      "cifs",      "smb3",       "smbfs",
                                         "ceph",   "glusterfs", "9p",        "fuse.sshfs", "afs",
                                         "lustre", "davfs",     "fuse.davfs"};

template <std::size_t N>
[[nodiscard]] bool one_of(std::string_view value, const std::string_view (&list)[N]) {
  for (std::string_view item : list) {
    if (item == value) return true;
  }
  return false;
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
[[nodiscard]] std::string unescape(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size()) {
      auto code = to_u64(text.substr(i + 1, 3), 8);
      if (code && *code < 256) {
        out.push_back(static_cast<char>(*code));
        i += 3;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return clean(out, 4096);
}

[[nodiscard]] bool has_option(std::string_view options, std::string_view option) {
  while (!options.empty()) {
    std::size_t comma = options.find(',');
    if (options.substr(0, comma) == option) return true;
    if (comma == std::string_view::npos) break;
    options.remove_prefix(comma + 1);
  }
  return false;
}

// One mountinfo line, or nullopt when it is malformed or not storage.
[[nodiscard]] std::optional<pb::Filesystem> parse_line(std::string_view line) {
  auto fields = split_fields(line);
  std::size_t dash = 6;
  while (dash < fields.size() && fields[dash] != "-") ++dash;
  if (dash + 2 >= fields.size()) return std::nullopt;
  std::string_view fstype = fields[dash + 1];
  std::string mountpoint = unescape(fields[4]);
  if (one_of(fstype, kPseudo) || starts_with(mountpoint, "/proc/") ||
      starts_with(mountpoint, "/sys/") || mountpoint == "/proc" || mountpoint == "/sys") {
    return std::nullopt;
  }
  pb::Filesystem fs;
  fs.set_device(unescape(fields[dash + 2]));
  fs.set_mountpoint(mountpoint);
  fs.set_fstype(clean(fstype, 64));
  fs.set_options(clean(fields[5], 1024));
  fs.set_read_only(has_option(fields[5], "ro"));
  return fs;
}

void add_usage(pb::Filesystem& fs) {
  struct statvfs st {};
  if (::statvfs(fs.mountpoint().c_str(), &st) != 0) return;
  std::uint64_t unit = st.f_frsize != 0 ? st.f_frsize : st.f_bsize;
  fs.set_size_bytes(st.f_blocks * unit);
  fs.set_used_bytes((st.f_blocks - st.f_bfree) * unit);
  fs.set_avail_bytes(st.f_bavail * unit);
  fs.set_inodes_total(st.f_files);
  fs.set_inodes_used(st.f_files >= st.f_ffree ? st.f_files - st.f_ffree : 0);
}

}  // namespace

Result<void> collect_storage_filesystems(Context& context, pb::DiagnosticBundle& out) {
  auto mountinfo = read_source(context, "/proc/self/mountinfo");
  if (!mountinfo) return fail(mountinfo.error());
  pb::StorageInfo& st = *out.mutable_storage();
  // A later mount on the same mountpoint hides the earlier one: keep the
  // visible one, in the position of the first.
  std::map<std::string, int, std::less<>> index;
  for (std::string_view line : split_lines(*mountinfo)) {
    auto fs = parse_line(line);
    if (!fs) continue;
    auto it = index.find(fs->mountpoint());
    if (it != index.end()) {
      *st.mutable_filesystems(it->second) = std::move(*fs);
      continue;
    }
    if (st.filesystems_size() >= kMaxMounts) {
      context.add_error("more than " + std::to_string(kMaxMounts) + " mounts; the rest left out");
      break;
    }
    index.emplace(fs->mountpoint(), st.filesystems_size());
    *st.add_filesystems() = std::move(*fs);
  }
  if (!context.live()) return {};
  for (pb::Filesystem& fs : *st.mutable_filesystems()) {
    if (context.expired()) return fail("timed_out", "statvfs did not finish in time");
    if (!one_of(fs.fstype(), kNetwork)) add_usage(fs);
  }
  return {};
}

}  // namespace helpline::agent::collect::linux_impl
