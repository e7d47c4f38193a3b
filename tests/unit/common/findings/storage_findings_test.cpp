// Filesystem usage, inodes, read-only mounts and kernel remounts.
#include "tests/unit/common/findings/bundle_builder.h"

namespace helpline::findings::testing {
namespace {

v1::Filesystem* mount(v1::DiagnosticBundle& b, std::string_view mountpoint) {
  for (v1::Filesystem& fs : *b.mutable_storage()->mutable_filesystems()) {
    if (fs.mountpoint() == mountpoint) return &fs;
  }
  ADD_FAILURE() << "no mount " << mountpoint;
  static v1::Filesystem none;
  return &none;
}

void set_used(v1::Filesystem& fs, double percent) {
  std::uint64_t usable = fs.used_bytes() + fs.avail_bytes();
  auto used = static_cast<std::uint64_t>(static_cast<double>(usable) * percent / 100.0);
  fs.set_used_bytes(used);
  fs.set_avail_bytes(usable - used);
}

TEST(StorageFindings, HealthyBundleHasNone) {
  auto found = evaluate(healthy_bundle());
  EXPECT_TRUE(found.empty()) << describe(found);
}

TEST(StorageFindings, FilesystemAtWarningThresholdIsNearlyFull) {
  auto b = healthy_bundle();
  set_used(*mount(b, "/home"), 93.5);
  Finding f = only(evaluate(b), "storage.filesystem_nearly_full");
  EXPECT_EQ(f.severity, Severity::kWarning);
  EXPECT_EQ(f.subject, "/home");
  EXPECT_EQ(f.title, "/home is 93.5% full");
  EXPECT_NE(f.evidence.find("93.5 GiB of 105.0 GiB used, 6.5 GiB free"), std::string::npos)
      << f.evidence;
  EXPECT_NE(f.evidence.find("ext4 on /dev/nvme0n1p3"), std::string::npos) << f.evidence;
  EXPECT_NE(f.evidence.find("warning at 90%"), std::string::npos) << f.evidence;
  // /home does not hold /var/log: journal.vacuum would not help.
  EXPECT_EQ(f.suggested_action, "storage.find_large_files");
}

TEST(StorageFindings, FilesystemBelowThresholdIsNoFinding) {
  auto b = healthy_bundle();
  set_used(*mount(b, "/home"), 89.9);
  auto found = evaluate(b);
  EXPECT_TRUE(found.empty()) << describe(found);
}

TEST(StorageFindings, FullFilesystemIsCriticalAndOnlyOnce) {
  auto b = healthy_bundle();
  set_used(*mount(b, "/"), 99);
  auto found = evaluate(b);
  Finding f = only(found, "storage.filesystem_full");
  EXPECT_EQ(f.severity, Severity::kCritical);
  EXPECT_TRUE(of_rule(found, "storage.filesystem_nearly_full").empty()) << describe(found);
  // / holds /var/log here (no separate /var mount).
  EXPECT_EQ(f.suggested_action, "journal.vacuum");
}

TEST(StorageFindings, JournalVacuumGoesToTheMountHoldingVarLog) {
  auto b = healthy_bundle();
  add_fs(b, "/var", "xfs", "/dev/mapper/vg-var", 95);
  set_used(*mount(b, "/"), 95);
  auto found = of_rule(evaluate(b), "storage.filesystem_nearly_full");
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].subject, "/");
  EXPECT_EQ(found[0].suggested_action, "storage.find_large_files");
  EXPECT_EQ(found[1].subject, "/var");
  EXPECT_EQ(found[1].suggested_action, "journal.vacuum");
}

TEST(StorageFindings, ThresholdsComeFromConfig) {
  auto b = healthy_bundle();
  FindingsConfig config;
  config.filesystem_used_percent = 50;
  config.filesystem_critical_percent = 60.5;
  auto found = evaluate(b, config);
  Finding full = only(found, "storage.filesystem_full");  // /home at 61%
  EXPECT_EQ(full.subject, "/home");
  EXPECT_NE(full.evidence.find("critical at 60.5%"), std::string::npos) << full.evidence;
  Finding nearly = only(found, "storage.filesystem_nearly_full");  // / at 52%
  EXPECT_EQ(nearly.subject, "/");
  EXPECT_NE(nearly.evidence.find("warning at 50%"), std::string::npos) << nearly.evidence;
}

TEST(StorageFindings, ReadOnlyAndNetworkFilesystemsAreNotCheckedForUsage) {
  auto b = healthy_bundle();  // squashfs and /mnt/archive at 100%, nfs without usage
  FindingsConfig config;
  config.filesystem_used_percent = 1;
  auto found = evaluate(b, config);
  for (const Finding& f : found) {
    EXPECT_NE(f.subject, "/snap/core22/864");
    EXPECT_NE(f.subject, "/mnt/archive");
    EXPECT_NE(f.subject, "/net/share");
  }
}

TEST(StorageFindings, InodesNearlyFullAndFull) {
  auto b = healthy_bundle();
  mount(b, "/home")->set_inodes_used(950'000);
  mount(b, "/")->set_inodes_used(990'000);
  auto found = evaluate(b);
  Finding warn = only(found, "storage.inodes_nearly_full");
  EXPECT_EQ(warn.subject, "/home");
  EXPECT_EQ(warn.title, "/home has used 95.0% of its inodes");
  EXPECT_NE(warn.evidence.find("950000 of 1000000 inodes used, 50000 free"), std::string::npos)
      << warn.evidence;
  Finding crit = only(found, "storage.inodes_full");
  EXPECT_EQ(crit.subject, "/");
  EXPECT_EQ(crit.severity, Severity::kCritical);
  EXPECT_EQ(crit.suggested_action, "storage.find_many_files");
}

TEST(StorageFindings, FilesystemWithoutInodeCountIsSkipped) {
  auto b = healthy_bundle();
  v1::Filesystem& btrfs = add_fs(b, "/data", "btrfs", "/dev/sdd", 20);
  btrfs.set_inodes_total(0);
  btrfs.set_inodes_used(0);
  auto found = evaluate(b);
  EXPECT_TRUE(found.empty()) << describe(found);
}

TEST(StorageFindings, ReadOnlyRootIsCritical) {
  auto b = healthy_bundle();
  v1::Filesystem& root = *mount(b, "/");
  root.set_read_only(true);
  root.set_options("ro,relatime");
  auto found = evaluate(b);
  Finding f = only(found, "storage.root_read_only");
  EXPECT_EQ(f.severity, Severity::kCritical);
  EXPECT_EQ(f.subject, "/");
  EXPECT_EQ(f.evidence, "/ (ext4 on /dev/nvme0n1p2) is mounted ro,relatime");
  EXPECT_EQ(f.suggested_action, "storage.schedule_fsck");
  // A read-only root is not also reported as full or as a remount.
  EXPECT_EQ(found.size(), 1u) << describe(found);
}

TEST(StorageFindings, ReadOnlyRootEvidenceQuotesTheKernel) {
  auto b = healthy_bundle();
  mount(b, "/")->set_read_only(true);
  add_kernel_log(b, kCollectedAt - 2 * kMinute, 2,
                 "EXT4-fs (nvme0n1p2): Remounting filesystem read-only");
  auto found = evaluate(b);
  Finding f = only(found, "storage.root_read_only");
  EXPECT_NE(f.evidence.find("kernel at 2023-11-14T22:11:20Z: EXT4-fs (nvme0n1p2): Remounting"),
            std::string::npos)
      << f.evidence;
  EXPECT_TRUE(of_rule(found, "storage.remounted_read_only").empty()) << describe(found);
}

TEST(StorageFindings, SquashfsRootIsReadOnlyByDesign) {
  auto b = healthy_bundle();
  v1::Filesystem& root = *mount(b, "/");
  root.set_fstype("squashfs");
  root.set_read_only(true);
  auto found = evaluate(b);
  EXPECT_TRUE(found.empty()) << describe(found);
}

TEST(StorageFindings, KernelRemountIsFoundWhileTheMountStillSaysRw) {
  // ext4 errors=remount-ro: the superblock is read-only, the mount flags not.
  auto b = healthy_bundle();
  add_kernel_log(b, kCollectedAt - 3 * kMinute, 2,
                 "EXT4-fs error (device nvme0n1p3): ext4_lookup:1855: inode #2: comm ls: "
                 "deleted inode referenced: 1234");
  add_kernel_log(b, kCollectedAt - 3 * kMinute + 1, 2,
                 "EXT4-fs (nvme0n1p3): Remounting filesystem read-only");
  Finding f = only(evaluate(b), "storage.remounted_read_only");
  EXPECT_EQ(f.severity, Severity::kCritical);
  EXPECT_EQ(f.subject, "/home");
  EXPECT_EQ(f.title, "the kernel switched /home to read-only");
  EXPECT_NE(f.evidence.find("Remounting filesystem read-only"), std::string::npos);
}

TEST(StorageFindings, BtrfsForcedReadonlyInTheJournalNamesTheDevice) {
  auto b = healthy_bundle();
  v1::LogEntry& e =
      add_log(b, kCollectedAt - kMinute, 2, "", "BTRFS info (device sdz1): forced readonly");
  e.set_identifier("kernel");
  Finding f = only(evaluate(b), "storage.remounted_read_only");
  EXPECT_EQ(f.subject, "sdz1");  // not mounted any more: the kernel's name
}

TEST(StorageFindings, ReadOnlyHomeIsAWarningButAnArchiveMountIsNot) {
  auto b = healthy_bundle();
  v1::Filesystem& home = *mount(b, "/home");
  home.set_read_only(true);
  home.set_options("ro,nosuid,nodev");
  auto found = evaluate(b);
  Finding f = only(found, "storage.read_only_mount");
  EXPECT_EQ(f.severity, Severity::kWarning);
  EXPECT_EQ(f.title, "/home is read-only");
  EXPECT_EQ(f.evidence,
            "/home (ext4 on /dev/nvme0n1p3) is mounted ro,nosuid,nodev, but is normally "
            "read-write");
  // /mnt/archive (ext4, ro) is not in normally_rw_mounts.
  EXPECT_EQ(found.size(), 1u) << describe(found);

  FindingsConfig config;
  config.normally_rw_mounts = {"/"};
  EXPECT_TRUE(of_rule(evaluate(b, config), "storage.read_only_mount").empty());
}

}  // namespace
}  // namespace helpline::findings::testing
