// software.*, services.*, processes.* and logs.* collectors against
// tests/data/fake-root (and generated log files).
#include <unistd.h>

#include <fstream>

#include "agent/collect/linux/kernel_log.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/agent/collect/collect_test_util.h"

namespace helpline::agent::collect::testing {
namespace {

constexpr std::int64_t kBootMs = 1'700'000'000'000;

TEST(SoftwarePackagesCollector, ParsesInstalledPackagesFromDpkgStatus) {
  auto bundle = collect_from(fake_root(), {"software.packages"});
  EXPECT_EQ(status_of(bundle, "software.packages").state(), pb::CollectorStatus::STATE_OK);
  const pb::SoftwareInfo& sw = bundle.software();
  EXPECT_EQ(sw.package_manager(), "dpkg");
  EXPECT_EQ(sw.package_count(), 3u);  // oldpkg is only config-files
  ASSERT_EQ(sw.packages_size(), 3);
  EXPECT_EQ(sw.packages(0).name(), "bash");
  EXPECT_EQ(sw.packages(0).version(), "5.2.15-2+b2");
  EXPECT_EQ(sw.packages(0).arch(), "amd64");
  EXPECT_EQ(sw.packages(1).name(), "python3-six");
  EXPECT_EQ(sw.packages(1).arch(), "all");
  EXPECT_EQ(sw.packages(2).name(), "zlib1g");
  EXPECT_EQ(sw.packages(2).version(), "1:1.2.13.dfsg-1");
}

TEST(SoftwarePackagesCollector, NoPackageDatabaseIsUnavailable) {
  auto bundle = collect_from(fake_root() / "etc", {"software.packages"});
  EXPECT_EQ(status_of(bundle, "software.packages").state(), pb::CollectorStatus::STATE_UNAVAILABLE);
}

TEST(SoftwareModulesCollector, ListsLoadedModulesSorted) {
  auto bundle = collect_from(fake_root(), {"software.modules"});
  EXPECT_EQ(status_of(bundle, "software.modules").state(), pb::CollectorStatus::STATE_OK);
  const auto& m = bundle.software().kernel_modules();
  ASSERT_EQ(m.size(), 3);
  EXPECT_EQ(m[0], "e1000e");
  EXPECT_EQ(m[1], "ext4");
  EXPECT_EQ(m[2], "nvme");
}

TEST(ServicesUnitsCollector, IsSkippedUnderAFakeRoot) {
  auto bundle = collect_from(fake_root(), {"services"});
  auto status = status_of(bundle, "services.units");
  EXPECT_EQ(status.state(), pb::CollectorStatus::STATE_SKIPPED) << errors_of(status);
}

TEST(ProcessesTableCollector, RanksByCpuAndMemoryAndCountsZombies) {
  auto bundle = collect_from(fake_root(), {"processes.table"});
  EXPECT_EQ(status_of(bundle, "processes.table").state(), pb::CollectorStatus::STATE_OK);
  const pb::ProcessesInfo& p = bundle.processes();
  EXPECT_EQ(p.process_count(), 4u);
  EXPECT_EQ(p.zombie_count(), 1u);
  EXPECT_EQ(p.cpu_sample_ms(), 0u);
  ASSERT_EQ(p.top_by_cpu_size(), 4);
  const pb::Process& app = p.top_by_cpu(0);
  EXPECT_EQ(app.pid(), 200u);
  EXPECT_EQ(app.ppid(), 1u);
  EXPECT_EQ(app.name(), "my (app)");  // parentheses inside comm
  EXPECT_EQ(app.user(), "alice");
  EXPECT_EQ(app.state(), "R");
  EXPECT_EQ(app.threads(), 42u);
  // 6170 s of CPU over a 10000 s life (clock ticks at 100 Hz).
  EXPECT_DOUBLE_EQ(app.cpu_percent(), 61.7);
  EXPECT_EQ(app.rss_bytes(), 262144ull * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE)));
  EXPECT_EQ(app.cmdline(), "/usr/lib/app --flag value with space");
  EXPECT_EQ(p.top_by_cpu(1).pid(), 1u);
  EXPECT_EQ(p.top_by_cpu(1).user(), "root");
  EXPECT_DOUBLE_EQ(p.top_by_cpu(1).cpu_percent(), 0.1);
  EXPECT_EQ(p.top_by_cpu(2).pid(), 123u);
  EXPECT_EQ(p.top_by_cpu(2).user(), "107");  // no passwd entry: the uid
  EXPECT_EQ(p.top_by_cpu(3).pid(), 300u);
  EXPECT_EQ(p.top_by_cpu(3).state(), "Z");
  ASSERT_EQ(p.top_by_memory_size(), 4);
  EXPECT_EQ(p.top_by_memory(0).pid(), 200u);
  EXPECT_EQ(p.top_by_memory(1).pid(), 1u);
  EXPECT_EQ(p.top_by_memory(2).pid(), 123u);
  EXPECT_EQ(p.top_by_memory(3).pid(), 300u);
}

TEST(ProcessesTableCollector, KeepsOnlyTopN) {
  Options options = fake_options(fake_root(), {"processes.table"});
  options.sources.top_processes = 2;
  auto bundle = collect_bundle(options);
  ASSERT_TRUE(bundle);
  EXPECT_EQ(bundle->processes().top_by_cpu_size(), 2);
  EXPECT_EQ(bundle->processes().top_by_memory_size(), 2);
  EXPECT_EQ(bundle->processes().process_count(), 4u);
}

TEST(ProcessesOomCollector, FindsKillsInTheKernelLog) {
  auto bundle = collect_from(fake_root(), {"processes.oom"});
  EXPECT_EQ(status_of(bundle, "processes.oom").state(), pb::CollectorStatus::STATE_OK);
  const auto& k = bundle.processes().oom_kills();
  ASSERT_EQ(k.size(), 2);  // the oom_reaper line is not a kill
  EXPECT_EQ(k[0].pid(), 4321u);
  EXPECT_EQ(k[0].process(), "java");
  EXPECT_EQ(k[0].time_ms(), kBootMs + 5'000'000);
  EXPECT_EQ(k[1].pid(), 999u);
  EXPECT_EQ(k[1].process(), "node");
  EXPECT_NE(k[1].message().find("Memory cgroup out of memory"), std::string::npos);
}

TEST(LogsKernelCollector, KeepsMessagesAtOrAbovePriorityWithValidUtf8) {
  auto bundle = collect_from(fake_root(), {"logs.kernel"});
  EXPECT_EQ(status_of(bundle, "logs.kernel").state(), pb::CollectorStatus::STATE_OK);
  const auto& k = bundle.logs().kernel();
  ASSERT_EQ(k.size(), 4);  // priority <= 4 (warning) by default
  EXPECT_EQ(k[0].priority(), 4u);
  EXPECT_EQ(k[0].time_ms(), kBootMs + 1500);
  EXPECT_EQ(k[0].identifier(), "kernel");
  EXPECT_EQ(k[0].message(), "ACPI Warning: SystemIO range conflicts with OpRegion");
  EXPECT_EQ(k[3].priority(), 2u);
  // The raw 0xff byte became U+FFFD, so the bundle still decodes.
  EXPECT_EQ(k[3].message(), "EXT4-fs error (device sda1): bad byte \xef\xbf\xbd here");
}

TEST(LogsKernelCollector, HonoursSinceAndMaxEntries) {
  Options options = fake_options(fake_root(), {"logs.kernel"});
  options.sources.max_log_priority = 7;
  options.sources.since_ms = kBootMs + 1'000;
  options.sources.max_log_entries = 3;
  auto bundle = collect_bundle(options);
  ASSERT_TRUE(bundle);
  const auto& k = bundle->logs().kernel();
  ASSERT_EQ(k.size(), 3);  // the newest three after the first second
  EXPECT_EQ(k[0].time_ms(), kBootMs + 6'000'000);
  EXPECT_EQ(k[2].time_ms(), kBootMs + 8'000'000);
}

TEST(KmsgRecord, ParsesPrefixAndRejectsContinuationLines) {
  auto r = linux_impl::parse_kmsg_record("30,812,123456789,-,caller=T1;systemd[1]: Started x.");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->priority, 6u);
  EXPECT_EQ(r->facility, 3u);
  EXPECT_EQ(r->usec, 123456789u);
  EXPECT_EQ(r->message, "systemd[1]: Started x.");
  EXPECT_FALSE(linux_impl::parse_kmsg_record(" SUBSYSTEM=acpi"));
  EXPECT_FALSE(linux_impl::parse_kmsg_record("garbage"));
  EXPECT_FALSE(linux_impl::parse_kmsg_record("x,1,2,-;text"));
}

TEST(LogsJournalCollector, IsSkippedUnderAFakeRoot) {
  auto bundle = collect_from(fake_root(), {"logs.journal"});
  EXPECT_EQ(status_of(bundle, "logs.journal").state(), pb::CollectorStatus::STATE_SKIPPED);
}

TEST(LogsFilesCollector, TailsConfiguredFilesAndReportsUnreadableOnes) {
  Options options = fake_options(fake_root(), {"logs.files"});
  options.sources.log_files = {"/var/log/app.log", "/var/log/missing.log", "relative.log"};
  auto bundle = collect_bundle(options);
  ASSERT_TRUE(bundle);
  auto status = status_of(*bundle, "logs.files");
  EXPECT_EQ(status.state(), pb::CollectorStatus::STATE_PARTIAL);
  EXPECT_EQ(status.errors_size(), 2);
  const auto& files = bundle->logs().files();
  ASSERT_EQ(files.size(), 3);
  EXPECT_EQ(files[0].path(), "/var/log/app.log");
  ASSERT_EQ(files[0].lines_size(), 5);
  EXPECT_EQ(files[0].lines(1), "line 2 \xe2\x9c\x93 ok");
  EXPECT_FALSE(files[0].truncated());
  EXPECT_EQ(files[0].error(), "");
  EXPECT_EQ(files[1].error(), "cannot open: No such file or directory");
  EXPECT_EQ(files[2].error(), "not an absolute path");
}

TEST(LogsFilesCollector, KeepsOnlyTheLastLinesAndBytes) {
  helpline::testing::TempDir root("collect-logs");
  {
    std::ofstream log(root / "big.log");
    for (int i = 1; i <= 1000; ++i) log << "entry " << i << "\n";
  }
  Options options = fake_options(root.path(), {"logs.files"});
  options.sources.log_files = {"/big.log"};
  options.sources.log_file_max_lines = 10;
  auto bundle = collect_bundle(options);
  ASSERT_TRUE(bundle);
  const pb::LogFile& file = bundle->logs().files(0);
  ASSERT_EQ(file.lines_size(), 10);
  EXPECT_EQ(file.lines(0), "entry 991");
  EXPECT_EQ(file.lines(9), "entry 1000");
  EXPECT_TRUE(file.truncated());

  options.sources.log_file_max_bytes = 30;  // "entry 997\n" is 10 bytes
  bundle = collect_bundle(options);
  ASSERT_TRUE(bundle);
  const pb::LogFile& tail = bundle->logs().files(0);
  ASSERT_EQ(tail.lines_size(), 2);  // the first, cut line is dropped
  EXPECT_EQ(tail.lines(0), "entry 999");
  EXPECT_EQ(tail.lines(1), "entry 1000");
  EXPECT_GT(tail.size_bytes(), 8000u);
}

TEST(LogsFilesCollector, NothingConfiguredIsSkipped) {
  auto bundle = collect_from(fake_root(), {"logs.files"});
  EXPECT_EQ(status_of(bundle, "logs.files").state(), pb::CollectorStatus::STATE_SKIPPED);
}

}  // namespace
}  // namespace helpline::agent::collect::testing
