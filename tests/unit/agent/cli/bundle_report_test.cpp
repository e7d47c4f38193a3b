// What collect and show print for a bundle, as text and as JSON.
#include "agent/cli/bundle_report.h"

#include <gtest/gtest.h>

#include "tests/support/json.h"

namespace helpline::agent {
namespace {

using helpline::testing::json_field_number;
using helpline::testing::json_field_object;
using helpline::testing::json_field_string;
using helpline::testing::parse_json_object;

v1::CollectorStatus& status(v1::DiagnosticBundle& b, std::string_view name,
                            v1::CollectorStatus::State state) {
  v1::CollectorStatus& s = *b.add_collectors();
  s.set_name(std::string(name));
  s.set_section(std::string(name.substr(0, name.find('.'))));
  s.set_state(state);
  s.set_duration_ms(4);
  s.set_bytes(state == v1::CollectorStatus::STATE_OK ? 120 : 0);
  return s;
}

v1::DiagnosticBundle sample_bundle() {
  v1::DiagnosticBundle b;
  b.set_format_version(1);
  b.set_hostname("ws-0142");
  b.set_device_id("dev_3f9a");
  b.set_agent_version("0.1.0");
  b.set_platform("linux-x86_64");
  b.set_collected_at_ms(1'700'000'000'000);
  b.set_duration_ms(250);
  b.add_sections("system");
  b.add_sections("storage");
  status(b, "system.os", v1::CollectorStatus::STATE_OK);
  status(b, "system.users", v1::CollectorStatus::STATE_UNAVAILABLE)
      .add_errors("no utmp file (/run/utmp)");
  status(b, "storage.filesystems", v1::CollectorStatus::STATE_OK);
  b.mutable_system()->set_os_pretty_name("Debian GNU/Linux 12 (bookworm)");
  b.mutable_system()->set_kernel_release("6.1.0-18-amd64");
  b.mutable_system()->set_clock_synchronized(true);
  v1::Filesystem& fs = *b.mutable_storage()->add_filesystems();
  fs.set_mountpoint("/");
  fs.set_fstype("ext4");
  fs.set_device("/dev/sda1");
  fs.set_size_bytes(100ull << 30);
  fs.set_used_bytes(96ull << 30);
  fs.set_avail_bytes(4ull << 30);
  v1::RedactionSummary& r = *b.mutable_redaction();
  r.set_applied(true);
  r.set_total(3);
  (*r.mutable_counts())[std::string("secret_key_value")] = 2;
  (*r.mutable_counts())["bearer_token"] = 1;
  return b;
}

BundleFile sample_file() {
  return BundleFile{"sha256:" + std::string(64, 'a'), "/tmp/b.hlb", 2048, 900};
}

TEST(BundleReport, CollectTextListsOnlyTheCollectorsWithProblems) {
  v1::DiagnosticBundle b = sample_bundle();
  BundleFile file = sample_file();
  auto found = findings::evaluate(b);
  std::string text = collect_report_text({b, file, found, {"agent.toml unreadable"}});
  EXPECT_NE(text.find("note: agent.toml unreadable\n"), std::string::npos) << text;
  EXPECT_NE(text.find("bundle      sha256:aaaa"), std::string::npos) << text;
  EXPECT_NE(text.find("file        /tmp/b.hlb (2.0 KiB raw, 900 B compressed)"), std::string::npos)
      << text;
  EXPECT_NE(text.find("host        ws-0142 (device dev_3f9a)"), std::string::npos) << text;
  EXPECT_NE(text.find("collectors  3 run: 2 ok, 1 unavailable"), std::string::npos) << text;
  EXPECT_NE(text.find("system.users"), std::string::npos) << text;
  EXPECT_EQ(text.find("system.os"), std::string::npos) << text;
  EXPECT_NE(text.find("redaction   3 replacement(s): bearer_token 1, secret_key_value 2"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("findings (1)\n  warning   / is 96.0% full"), std::string::npos) << text;
  EXPECT_NE(text.find("rule storage.filesystem_nearly_full, action journal.vacuum"),
            std::string::npos)
      << text;
}

TEST(BundleReport, ShowTextHasEveryCollectorAndTheFactsOfCollectedSections) {
  v1::DiagnosticBundle b = sample_bundle();
  BundleFile file = sample_file();
  auto found = findings::evaluate(b);
  std::string text = show_report_text({b, file, found});
  EXPECT_NE(text.find("  system.os             ok          4 ms, 120 B"), std::string::npos)
      << text;
  EXPECT_NE(text.find("system\n  os            Debian GNU/Linux 12 (bookworm), kernel "
                      "6.1.0-18-amd64"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  /             ext4 /dev/sda1, 96.0% used (96.0 GiB of 100.0 GiB)"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("\nhardware\n"), std::string::npos) << text;  // not collected
}

TEST(BundleReport, ShowTextSaysWhenABundleWasNotRedacted) {
  v1::DiagnosticBundle b = sample_bundle();
  b.clear_redaction();
  BundleFile file = sample_file();
  std::string text = show_report_text({b, file, {}});
  EXPECT_NE(text.find("redaction   NOT applied"), std::string::npos) << text;
  EXPECT_NE(text.find("findings    none"), std::string::npos) << text;
}

TEST(BundleReport, ShowJsonParsesAndCarriesFactsAndFindings) {
  v1::DiagnosticBundle b = sample_bundle();
  BundleFile file = sample_file();
  auto found = findings::evaluate(b);
  auto json = parse_json_object(show_report_json({b, file, found}));
  ASSERT_TRUE(json) << json.error().to_string();
  EXPECT_EQ(json_field_string(*json, "id"), file.id);
  EXPECT_EQ(json_field_number(*json, "raw_bytes"), 2048);
  EXPECT_EQ(json_field_string(*json, "collected_at"), "2023-11-14T22:13:20Z");
  auto facts = json_field_object(*json, "facts");
  ASSERT_TRUE(facts);
  auto system = json_field_object(*facts, "system");
  ASSERT_TRUE(system);
  EXPECT_EQ(json_field_string(*system, "kernel"), "6.1.0-18-amd64");
  EXPECT_FALSE(json_field_object(*facts, "hardware"));
  const auto& list = json->fields().at("findings").list_value();
  ASSERT_EQ(list.values_size(), 1);
  const auto& finding = list.values(0).struct_value();
  EXPECT_EQ(json_field_string(finding, "rule_id"), "storage.filesystem_nearly_full");
  EXPECT_EQ(json_field_string(finding, "severity"), "warning");
  EXPECT_EQ(json_field_string(finding, "subject"), "/");
  auto redaction = json_field_object(*json, "redaction");
  ASSERT_TRUE(redaction);
  EXPECT_EQ(json_field_number(*redaction, "total"), 3);
}

TEST(BundleReport, CollectJsonHasNoFacts) {
  v1::DiagnosticBundle b = sample_bundle();
  BundleFile file = sample_file();
  auto json = parse_json_object(collect_report_json({b, file, {}, {"a note"}}));
  ASSERT_TRUE(json) << json.error().to_string();
  EXPECT_FALSE(json_field_object(*json, "facts"));
  EXPECT_EQ(json->fields().at("collectors").list_value().values_size(), 3);
  EXPECT_EQ(json->fields().at("notes").list_value().values(0).string_value(), "a note");
}

}  // namespace
}  // namespace helpline::agent
