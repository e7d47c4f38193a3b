// The rule table as a whole and the ranking: every rule fires on a bundle
// where everything is wrong, texts render completely, order is severity
// then weight, stable, and capped.
#include <limits>
#include <map>
#include <set>

#include "tests/unit/common/findings/bundle_builder.h"

namespace helpline::findings::testing {
namespace {

v1::DiagnosticBundle broken_bundle() {
  v1::DiagnosticBundle b = healthy_bundle();
  v1::HardwareInfo& hw = *b.mutable_hardware();
  hw.mutable_smart(0)->set_passed(false);
  hw.mutable_smart(1)->set_media_errors(2);
  v1::SmartDevice& sdc = *hw.add_smart();
  sdc.set_device("/dev/sdc");
  sdc.set_model("ST2000DM008");
  sdc.set_available(true);
  sdc.set_passed(true);
  sdc.set_pending_sectors(1);
  sdc.set_reallocated_sectors(3);
  hw.mutable_memory()->set_available_bytes(kGiB / 4);
  hw.mutable_temperatures(0)->set_celsius(101);
  v1::Temperature& gpu = *hw.add_temperatures();
  gpu.set_sensor("hwmon4/amdgpu");
  gpu.set_label("edge");
  gpu.set_celsius(97);
  gpu.set_critical_celsius(100);
  hw.mutable_batteries(0)->set_wear_percent(48);

  v1::StorageInfo& st = *b.mutable_storage();
  st.mutable_filesystems(0)->set_read_only(true);  // /
  v1::Filesystem& home = *st.mutable_filesystems(2);
  home.set_used_bytes(99 * kGiB);
  home.set_avail_bytes(kGiB);
  home.set_inodes_used(995'000);
  v1::Filesystem& var = add_fs(b, "/var", "xfs", "/dev/mapper/vg-var", 92);
  var.set_inodes_used(910'000);
  add_fs(b, "/srv", "ext4", "/dev/sde1", 10, true);
  add_kernel_log(b, kCollectedAt - kMinute, 2, "EXT4-fs (sdx9): Remounting filesystem read-only");

  v1::OomKill& kill = *b.mutable_processes()->add_oom_kills();
  kill.set_time_ms(kCollectedAt - kMinute);
  kill.set_process("firefox");
  kill.set_pid(777);

  b.mutable_network()->clear_dns_servers();
  b.mutable_network()->clear_default_gateway();
  b.mutable_network()->clear_routes();
  b.mutable_system()->set_clock_synchronized(false);
  add_unit(b, "cups.service", "failed");
  add_log_run(b, "sssd.service", 70, 2000);
  return b;
}

FindingsConfig unlimited() {
  FindingsConfig config;
  config.max_findings = 0;
  return config;
}

int weight_of(std::string_view id) {
  for (const RuleDefinition& r : rule_definitions()) {
    if (r.id == id) return r.weight;
  }
  ADD_FAILURE() << "no rule " << id;
  return 0;
}

TEST(RuleTable, IdsAreUniqueAndEveryRuleIsDescribed) {
  std::set<std::string_view> seen;
  for (const RuleDefinition& r : rule_definitions()) {
    EXPECT_TRUE(seen.insert(r.id).second) << "duplicate rule id " << r.id;
    EXPECT_FALSE(r.title.empty()) << r.id;
    EXPECT_FALSE(r.evidence.empty()) << r.id;
    EXPECT_FALSE(r.when.empty()) << r.id;
    // A rule with a threshold shows it; one without has nothing to show.
    bool shows = r.evidence.find("{threshold}") != std::string_view::npos;
    EXPECT_EQ(shows, r.threshold != nullptr) << r.id;
    if (!r.fallback_action.empty()) {
      EXPECT_FALSE(r.action.empty()) << r.id;
    }
  }
  EXPECT_EQ(seen.size(), 21u);
}

TEST(RuleTable, EveryRuleFiresOnABrokenBundleWithFullyRenderedTexts) {
  auto found = evaluate(broken_bundle(), unlimited());
  std::set<std::string> fired;
  for (const Finding& f : found) {
    fired.insert(f.rule_id);
    for (const std::string* text : {&f.title, &f.evidence}) {
      EXPECT_EQ(text->find('{'), std::string::npos) << f.rule_id << ": " << *text;
      EXPECT_EQ(text->find('}'), std::string::npos) << f.rule_id << ": " << *text;
    }
  }
  for (const RuleDefinition& r : rule_definitions()) {
    EXPECT_EQ(fired.count(std::string(r.id)), 1u) << r.id << " did not fire:\n" << describe(found);
  }
}

TEST(RuleTable, EmptyBundleHasNoFindings) {
  auto found = evaluate(v1::DiagnosticBundle());
  EXPECT_TRUE(found.empty()) << describe(found);
}

TEST(RuleTable, ExtremeValuesFromAPeerNeitherOverflowNorFire) {
  v1::DiagnosticBundle b = healthy_bundle();
  for (int i = 0; i < 60; ++i) {
    add_log(b, i % 2 == 0 ? INT64_MIN : INT64_MAX, 0, "x.service", "boom");
    add_kernel_log(b, INT64_MAX - i, 0, "EXT4-fs (sda1): Remounting filesystem read-only");
  }
  v1::Filesystem& fs = add_fs(b, "/data", "ext4", "/dev/sdz", 10);
  fs.set_used_bytes(UINT64_MAX);
  fs.set_avail_bytes(UINT64_MAX);
  fs.set_inodes_used(UINT64_MAX);
  fs.set_inodes_total(1);
  v1::Temperature& t = *b.mutable_hardware()->add_temperatures();
  t.set_celsius(std::numeric_limits<double>::quiet_NaN());
  t.set_critical_celsius(std::numeric_limits<double>::infinity());
  b.mutable_hardware()->mutable_batteries(0)->set_wear_percent(
      std::numeric_limits<double>::quiet_NaN());
  auto found = evaluate(b, unlimited());
  // Only the inode rule has something real to say (more used than exist),
  // and the kernel's remount message is reported once, whatever its date.
  EXPECT_EQ(rule_ids(found),
            (std::vector<std::string>{"storage.remounted_read_only", "storage.inodes_full"}))
      << describe(found);
}

TEST(Ranking, SeverityFirstThenWeight) {
  auto found = evaluate(broken_bundle(), unlimited());
  ASSERT_GT(found.size(), 2u);
  for (std::size_t i = 1; i < found.size(); ++i) {
    const Finding& a = found[i - 1];
    const Finding& b = found[i];
    ASSERT_LE(a.severity, b.severity) << describe(found);
    if (a.severity == b.severity) {
      EXPECT_GE(weight_of(a.rule_id), weight_of(b.rule_id)) << describe(found);
    }
  }
  EXPECT_EQ(found.front().rule_id, "hardware.smart_failing");
  EXPECT_EQ(found.back().rule_id, "hardware.battery_worn");
}

TEST(Ranking, RulesOfEqualWeightKeepTheirEvaluationOrder) {
  // filesystem_full and no_dns both weigh 100: storage is evaluated first.
  auto found = evaluate(broken_bundle(), unlimited());
  auto ids = rule_ids(found);
  auto full = std::find(ids.begin(), ids.end(), "storage.filesystem_full");
  auto dns = std::find(ids.begin(), ids.end(), "network.no_dns");
  ASSERT_NE(full, ids.end());
  ASSERT_NE(dns, ids.end());
  EXPECT_EQ(dns - full, 1);
}

TEST(Ranking, FindingsOfOneRuleKeepTheBundlesOrder) {
  auto b = healthy_bundle();
  for (v1::Filesystem& fs : *b.mutable_storage()->mutable_filesystems()) {
    if (fs.read_only() || fs.size_bytes() == 0) continue;
    fs.set_used_bytes(95 * kGiB);
    fs.set_avail_bytes(5 * kGiB);
  }
  std::vector<std::string> subjects;
  for (const Finding& f : evaluate(b)) subjects.push_back(f.subject);
  EXPECT_EQ(subjects, (std::vector<std::string>{"/", "/boot/efi", "/home"}));
}

TEST(Ranking, MaxFindingsKeepsTheTopOfTheList) {
  auto all = evaluate(broken_bundle(), unlimited());
  FindingsConfig config;
  config.max_findings = 3;
  auto top = evaluate(broken_bundle(), config);
  ASSERT_EQ(top.size(), 3u);
  EXPECT_TRUE(std::equal(top.begin(), top.end(), all.begin()));
  EXPECT_EQ(evaluate(broken_bundle()).size(), FindingsConfig{}.max_findings);
}

TEST(Ranking, DisabledRulesNeverFire) {
  FindingsConfig config = unlimited();
  config.disabled_rules = {"hardware.smart_failing", "logs.error_burst"};
  auto found = evaluate(broken_bundle(), config);
  EXPECT_TRUE(of_rule(found, "hardware.smart_failing").empty());
  EXPECT_TRUE(of_rule(found, "logs.error_burst").empty());
  EXPECT_EQ(found.size() + 2, evaluate(broken_bundle(), unlimited()).size());
}

TEST(Ranking, SeverityNames) {
  EXPECT_EQ(severity_name(Severity::kCritical), "critical");
  EXPECT_EQ(severity_name(Severity::kWarning), "warning");
  EXPECT_EQ(severity_name(Severity::kInfo), "info");
}

}  // namespace
}  // namespace helpline::findings::testing
