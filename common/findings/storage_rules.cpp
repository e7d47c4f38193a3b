// Filesystems: usage, inode usage, read-only mounts, and kernel messages
// about filesystems switched to read-only after an error.
//
// The last needs the logs: ext4's errors=remount-ro makes the superblock
// read-only while the mount itself still says rw, so the mount options alone
// miss it.
#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>

#include "common/findings/format.h"
#include "common/findings/rules.h"

namespace helpline::findings::detail {
namespace {

// Read-only by design: a full or read-only one says nothing.
constexpr std::string_view kReadOnlyTypes[] = {"iso9660", "udf", "squashfs", "erofs", "cramfs"};
// Filesystem types that are written to in normal use.
constexpr std::string_view kWritableTypes[] = {
    "ext2", "ext3",   "ext4",     "xfs",  "btrfs", "f2fs", "jfs",   "reiserfs",
    "zfs",  "nilfs2", "bcachefs", "vfat", "exfat", "ntfs", "ntfs3", "fuseblk"};
// Kernel messages that mean "this filesystem is now read-only", lower case.
constexpr std::string_view kRemountMarkers[] = {"remounting filesystem read-only",
                                                "forced readonly", "shutting down filesystem",
                                                "remounted read-only", "switching to read-only"};

template <std::size_t N>
[[nodiscard]] bool one_of(std::string_view value, const std::string_view (&list)[N]) {
  return std::find(std::begin(list), std::end(list), value) != std::end(list);
}

[[nodiscard]] std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// The device a kernel filesystem message names: "(device sda1)" (Btrfs) or
// the first "(name)" without blanks ("EXT4-fs (sda1):", "XFS (dm-0):").
[[nodiscard]] std::string message_device(std::string_view message) {
  if (std::size_t at = message.find("(device "); at != std::string_view::npos) {
    std::size_t start = at + 8;
    std::size_t end = message.find(')', start);
    if (end != std::string_view::npos) return std::string(message.substr(start, end - start));
  }
  std::size_t open = message.find('(');
  std::size_t close = message.find(')', open == std::string_view::npos ? 0 : open);
  if (open == std::string_view::npos || close == std::string_view::npos) return {};
  std::string_view name = message.substr(open + 1, close - open - 1);
  if (name.empty() || name.find(' ') != std::string_view::npos) return {};
  return std::string(name);
}

struct RemountEvent {
  std::string device;  // as the kernel names it: "sda1", "dm-0"
  std::int64_t time_ms = 0;
  std::string message;
  bool reported = false;  // folded into another storage finding
};

// The latest remount event per device from the kernel log and the journal's
// kernel entries.
[[nodiscard]] std::vector<RemountEvent> remount_events(const v1::DiagnosticBundle& bundle) {
  std::vector<RemountEvent> events;
  auto scan = [&events](const v1::LogEntry& entry) {
    std::string text = lower(entry.message());
    bool marked =
        std::any_of(std::begin(kRemountMarkers), std::end(kRemountMarkers),
                    [&](std::string_view m) { return text.find(m) != std::string::npos; });
    if (!marked) return;
    RemountEvent event{message_device(entry.message()), entry.time_ms(), shorten(entry.message()),
                       false};
    auto same = std::find_if(events.begin(), events.end(),
                             [&](const RemountEvent& e) { return e.device == event.device; });
    if (same == events.end()) {
      events.push_back(std::move(event));
    } else if (event.time_ms >= same->time_ms) {
      *same = std::move(event);
    }
  };
  for (const v1::LogEntry& e : bundle.logs().kernel()) scan(e);
  for (const v1::LogEntry& e : bundle.logs().entries()) {
    if (e.identifier() == "kernel") scan(e);
  }
  return events;
}

// Whether the kernel's name for a device ("sda1") is this mount's source.
[[nodiscard]] bool same_device(std::string_view source, std::string_view kernel_name) {
  if (kernel_name.empty()) return false;
  if (source == kernel_name) return true;
  return source.size() > kernel_name.size() && source.ends_with(kernel_name) &&
         source[source.size() - kernel_name.size() - 1] == '/';
}

[[nodiscard]] RemountEvent* event_for(std::vector<RemountEvent>& events, const v1::Filesystem& fs) {
  for (RemountEvent& e : events) {
    if (same_device(fs.device(), e.device)) return &e;
  }
  return nullptr;
}

// The mount point that holds `path`: the longest mount point prefixing it.
[[nodiscard]] std::string mount_holding(const v1::DiagnosticBundle& bundle, std::string_view path) {
  std::string best;
  for (const v1::Filesystem& fs : bundle.storage().filesystems()) {
    const std::string& m = fs.mountpoint();
    bool prefix = m == "/" || path == m ||
                  (path.starts_with(m) && path.size() > m.size() && path[m.size()] == '/');
    if (prefix && m.size() > best.size()) best = m;
  }
  return best;
}

void check_read_only(const v1::Filesystem& fs, std::vector<RemountEvent>& events,
                     Emitter& emitter) {
  if (!fs.read_only() || one_of(fs.fstype(), kReadOnlyTypes)) return;
  const auto& normal = emitter.config().normally_rw_mounts;
  bool is_root = fs.mountpoint() == "/";
  if (!is_root && (!one_of(fs.fstype(), kWritableTypes) ||
                   std::find(normal.begin(), normal.end(), fs.mountpoint()) == normal.end())) {
    return;
  }
  std::string kernel;
  if (RemountEvent* event = event_for(events, fs)) {
    kernel = "; kernel at " + format_time(event->time_ms) + ": " + event->message;
    event->reported = true;
  }
  emitter.emit(is_root ? ids::kRootReadOnly : ids::kReadOnlyMount, fs.mountpoint(),
               {{"fstype", fs.fstype()},
                {"device", fs.device()},
                {"options", fs.options().empty() ? std::string("ro") : fs.options()},
                {"kernel", kernel}});
}

void check_usage(const v1::Filesystem& fs, bool holds_logs, Emitter& emitter) {
  if (fs.read_only() || one_of(fs.fstype(), kReadOnlyTypes)) return;
  if (fs.used_bytes() > UINT64_MAX - fs.avail_bytes()) return;  // nonsense from a peer
  std::uint64_t usable = fs.used_bytes() + fs.avail_bytes();
  if (usable == 0) return;
  double percent = percent_of(fs.used_bytes(), usable);
  std::string_view id;
  if (percent >= emitter.threshold(ids::kFilesystemFull)) {
    id = ids::kFilesystemFull;
  } else if (percent >= emitter.threshold(ids::kFilesystemNearlyFull)) {
    id = ids::kFilesystemNearlyFull;
  } else {
    return;
  }
  emitter.emit(id, fs.mountpoint(),
               {{"percent", format_percent(percent)},
                {"used", format_bytes(fs.used_bytes())},
                {"size", format_bytes(fs.size_bytes())},
                {"avail", format_bytes(fs.avail_bytes())},
                {"fstype", fs.fstype()},
                {"device", fs.device()}},
               !holds_logs);
}

void check_inodes(const v1::Filesystem& fs, Emitter& emitter) {
  if (fs.read_only() || fs.inodes_total() == 0 || one_of(fs.fstype(), kReadOnlyTypes)) return;
  double percent = percent_of(fs.inodes_used(), fs.inodes_total());
  std::string_view id;
  if (percent >= emitter.threshold(ids::kInodesFull)) {
    id = ids::kInodesFull;
  } else if (percent >= emitter.threshold(ids::kInodesNearlyFull)) {
    id = ids::kInodesNearlyFull;
  } else {
    return;
  }
  std::uint64_t free =
      fs.inodes_total() >= fs.inodes_used() ? fs.inodes_total() - fs.inodes_used() : 0;
  emitter.emit(id, fs.mountpoint(),
               {{"percent", format_percent(percent)},
                {"used", std::to_string(fs.inodes_used())},
                {"total", std::to_string(fs.inodes_total())},
                {"free", std::to_string(free)},
                {"fstype", fs.fstype()},
                {"device", fs.device()}});
}

}  // namespace

void evaluate_storage(const v1::DiagnosticBundle& bundle, Emitter& emitter) {
  std::vector<RemountEvent> events = remount_events(bundle);
  std::string log_mount = mount_holding(bundle, "/var/log");
  for (const v1::Filesystem& fs : bundle.storage().filesystems()) {
    check_read_only(fs, events, emitter);
  }
  for (RemountEvent& event : events) {
    if (event.reported) continue;
    std::string subject = event.device.empty() ? std::string("a filesystem") : event.device;
    for (const v1::Filesystem& fs : bundle.storage().filesystems()) {
      if (same_device(fs.device(), event.device)) {
        subject = fs.mountpoint();
        break;
      }
    }
    emitter.emit(ids::kRemountedReadOnly, subject,
                 {{"time", format_time(event.time_ms)}, {"message", event.message}});
  }
  for (const v1::Filesystem& fs : bundle.storage().filesystems()) {
    check_usage(fs, !log_mount.empty() && fs.mountpoint() == log_mount, emitter);
    check_inodes(fs, emitter);
  }
}

}  // namespace helpline::findings::detail
