// The rule table: every rule's id, severity, weight, threshold and texts in
// one place. docs/findings.md mirrors it; findings_test checks that every
// row can fire and that its templates leave no "{name}" unrendered.
#include <array>

#include "common/findings/rules.h"

namespace helpline::findings {
namespace {

using C = FindingsConfig;
namespace ids = detail::ids;

constexpr Severity kCritical = Severity::kCritical;
constexpr Severity kWarning = Severity::kWarning;
constexpr Severity kInfo = Severity::kInfo;

// One row per rule: id, severity, weight, threshold, title, evidence,
// action, fallback action, when it fires. Kept in columns by hand.
// clang-format off
constexpr std::array kRules = {
    // ---------------------------------------------------------------- disks
    RuleDefinition{
        ids::kSmartFailing, kCritical, 120, nullptr,
        "disk {subject} fails its SMART health check",
        "{model}: overall health self-assessment FAILED; {reallocated} reallocated and {pending} "
        "pending sectors, {hours} power-on hours; back up its data and replace it",
        "", "",
        "smartctl read the disk and its overall health self-assessment did not pass"},
    RuleDefinition{
        ids::kSmartPending, kWarning, 88, &C::smart_pending_sectors,
        "disk {subject} has {pending} unreadable (pending) sectors",
        "{model}: Current_Pending_Sector (ATA 197) = {pending}, Reallocated_Sector_Ct (ATA 5) = "
        "{reallocated}; warning at {threshold}",
        "smart.run_selftest", "",
        "ATA attribute 197 (sectors waiting to be remapped) is at or above the threshold"},
    RuleDefinition{
        ids::kSmartMediaErrors, kWarning, 87, &C::smart_media_errors,
        "disk {subject} reports {media_errors} media errors",
        "{model}: NVMe media and data integrity errors = {media_errors}, {used}% of its rated "
        "endurance used; warning at {threshold}",
        "smart.run_selftest", "",
        "the NVMe health log counts media and data integrity errors at or above the threshold"},
    RuleDefinition{
        ids::kSmartReallocated, kWarning, 86, &C::smart_reallocated_sectors,
        "disk {subject} has reallocated {reallocated} sectors",
        "{model}: Reallocated_Sector_Ct (ATA 5) = {reallocated}, Current_Pending_Sector (ATA 197) "
        "= {pending}; warning at {threshold}",
        "smart.run_selftest", "",
        "ATA attribute 5 (sectors already remapped) is at or above the threshold"},

    // ---------------------------------------------------------------- filesystems
    RuleDefinition{
        ids::kRootReadOnly, kCritical, 110, nullptr,
        "the root filesystem is read-only",
        "/ ({fstype} on {device}) is mounted {options}{kernel}",
        "storage.schedule_fsck", "",
        "the filesystem mounted on / has the ro option (read-only-by-design types such as "
        "squashfs and iso9660 excepted)"},
    RuleDefinition{
        ids::kRemountedReadOnly, kCritical, 105, nullptr,
        "the kernel switched {subject} to read-only",
        "kernel at {time}: {message}",
        "storage.schedule_fsck", "",
        "a kernel message says a filesystem was remounted or forced read-only after an error "
        "(ext4, XFS, Btrfs, F2FS), and no other rule already reports that filesystem"},
    RuleDefinition{
        ids::kReadOnlyMount, kWarning, 70, nullptr,
        "{subject} is read-only",
        "{subject} ({fstype} on {device}) is mounted {options}, but is normally read-write"
        "{kernel}",
        "storage.schedule_fsck", "",
        "a mount point listed in normally_rw_mounts (other than /) holds a writable filesystem "
        "type mounted ro"},
    RuleDefinition{
        ids::kFilesystemFull, kCritical, 100, &C::filesystem_critical_percent,
        "{subject} is {percent} full",
        "{used} of {size} used, {avail} free ({fstype} on {device}); critical at {threshold}%",
        "journal.vacuum", "storage.find_large_files",
        "used / (used + available) is at or above the threshold, as df computes it; read-only "
        "filesystems and those without usage (network) are skipped. Action journal.vacuum when "
        "the mount holds /var/log, else storage.find_large_files"},
    RuleDefinition{
        ids::kFilesystemNearlyFull, kWarning, 80, &C::filesystem_used_percent,
        "{subject} is {percent} full",
        "{used} of {size} used, {avail} free ({fstype} on {device}); warning at {threshold}%",
        "journal.vacuum", "storage.find_large_files",
        "as filesystem_full, with the warning threshold; only one of the two fires per mount"},
    RuleDefinition{
        ids::kInodesFull, kCritical, 95, &C::inode_critical_percent,
        "{subject} has used {percent} of its inodes",
        "{used} of {total} inodes used, {free} free ({fstype} on {device}); critical at "
        "{threshold}%",
        "storage.find_many_files", "",
        "inodes used / inodes total is at or above the threshold (filesystems that report no "
        "inode count, such as Btrfs, are skipped)"},
    RuleDefinition{
        ids::kInodesNearlyFull, kWarning, 75, &C::inode_used_percent,
        "{subject} has used {percent} of its inodes",
        "{used} of {total} inodes used, {free} free ({fstype} on {device}); warning at "
        "{threshold}%",
        "storage.find_many_files", "",
        "as inodes_full, with the warning threshold; only one of the two fires per mount"},

    // ---------------------------------------------------------------- memory
    RuleDefinition{
        ids::kMemoryLow, kWarning, 60, &C::memory_available_percent,
        "memory is low: {percent} available",
        "{available} of {total} available; swap {swap_used} of {swap_total} used; warning below "
        "{threshold}%",
        "", "",
        "MemAvailable / MemTotal is below the threshold"},
    RuleDefinition{
        ids::kOomKills, kWarning, 65, &C::oom_kills,
        "{count} out-of-memory kill(s) since boot",
        "last: {process} (pid {pid}) at {time}; warning at {threshold}",
        "", "",
        "the kernel's OOM killer ended at least threshold processes since boot"},

    // ---------------------------------------------------------------- temperatures
    RuleDefinition{
        ids::kTemperatureCritical, kCritical, 98, nullptr,
        "{subject} is at {celsius}, at or above its critical {critical}",
        "sensor {sensor}: {celsius} now, critical trip point {critical}",
        "", "",
        "a sensor reads at or above its own critical trip point"},
    RuleDefinition{
        ids::kTemperatureNearCritical, kWarning, 72, &C::temperature_margin_celsius,
        "{subject} is {margin} below its critical temperature",
        "sensor {sensor}: {celsius} now, critical trip point {critical}; warning within "
        "{threshold} C",
        "", "",
        "a sensor reads within the margin of its critical trip point (sensors without a "
        "plausible trip point, below 40 C, are skipped)"},

    // ---------------------------------------------------------------- network
    RuleDefinition{
        ids::kNoDns, kCritical, 100, nullptr,
        "no DNS resolver is configured",
        "{resolver} lists no nameserver{details}",
        "dns.restart_resolver", "",
        "network.dns ran and found no nameserver (also when resolv.conf is missing)"},
    RuleDefinition{
        ids::kNoDefaultRoute, kWarning, 90, nullptr,
        "no default route",
        "{routes} routes, none to 0.0.0.0/0 or ::/0; interfaces up: {up}",
        "network.renew_dhcp", "",
        "network.routes ran and found neither an IPv4 nor an IPv6 default route"},

    // ---------------------------------------------------------------- time
    RuleDefinition{
        ids::kClockUnsynchronized, kWarning, 55, nullptr,
        "the system clock is not synchronised",
        "synchronised: no (read from {source}); time service: {ntp}",
        "time.sync", "",
        "the system section says the clock is not synchronised (unknown is no finding)"},

    // ---------------------------------------------------------------- services and logs
    RuleDefinition{
        ids::kUnitFailed, kWarning, 50, nullptr,
        "unit {subject} failed",
        "{description}: {state}, result {result}, since {since}; last log: {last_log}",
        "systemd.restart_unit", "",
        "a systemd unit is in the failed state"},
    RuleDefinition{
        ids::kErrorBurst, kWarning, 40, &C::error_burst_count,
        "{count} errors from {subject} within {window}",
        "{count} entries of priority {priority} or worse between {from} and {to} (warning at "
        "{threshold} per {window}); last: {message}",
        "", "",
        "one unit (or syslog identifier, or the kernel) logged at least threshold entries of "
        "priority error_burst_priority or worse within error_burst_window"},

    // ---------------------------------------------------------------- battery
    RuleDefinition{
        ids::kBatteryWorn, kInfo, 30, &C::battery_wear_percent,
        "battery {subject} is {wear} worn",
        "a full charge holds {health} of its design capacity; {cycles} charge cycles; {model}; "
        "reported at {threshold}%",
        "", "",
        "the battery's wear (1 - full / design capacity) is at or above the threshold"},
};
// clang-format on

}  // namespace

std::span<const RuleDefinition> rule_definitions() { return kRules; }

}  // namespace helpline::findings
