// The real helpline-agent binary: collect into a file, show it, and the
// failures a person can cause (unknown section, truncated or corrupted
// file, a bad [collect] config). Also a collection from a copy of the
// recorded fake root seeded with secrets: none of them reaches the file.
#include <gtest/gtest.h>

#include <filesystem>

#include "agent/collect/bundle.h"
#include "common/core/files.h"
#include "tests/support/json.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace helpline::agent {
namespace {

using helpline::testing::json_field_number;
using helpline::testing::json_field_object;
using helpline::testing::json_field_string;
using helpline::testing::parse_json_object;
using helpline::testing::ProcessOptions;
using helpline::testing::RunResult;
using helpline::testing::TempDir;

constexpr std::chrono::seconds kTimeout{120};  // a full collection under ASan, bounded

const std::string kAgentToml = R"(relay = "relay.example.com:8443"
ca_pin = "SHA256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
device_id = "dev_3f9a"
enrolled_at = 2026-11-21T10:00:00Z
)";

class AgentCollectCommand : public ::testing::Test {
 protected:
  RunResult agent(std::vector<std::string> args) {
    ProcessOptions options;
    options.program = HELPLINE_AGENT_BIN;
    options.args = std::move(args);
    options.env = {{"HELPLINE_AGENT_STATE", (tmp_ / "state").string()}};
    options.stdout_path = tmp_ / "stdout";
    options.stderr_path = tmp_ / "stderr";
    auto ran = helpline::testing::run_command(options, kTimeout);
    EXPECT_TRUE(ran) << ran.error().to_string();
    if (!ran) return {};
    EXPECT_FALSE(ran->timed_out);
    EXPECT_FALSE(helpline::testing::has_sanitizer_report(ran->err)) << ran->err;
    return *ran;
  }

  // A copy of tests/data/fake-root with a log file, a command line and a
  // proxy setting that hold secrets.
  std::filesystem::path seeded_root() {
    std::filesystem::path root = tmp_ / "root";
    std::filesystem::copy(HELPLINE_FAKE_ROOT, root, std::filesystem::copy_options::recursive);
    std::filesystem::create_directories(root / "var/log");
    EXPECT_TRUE(files::write_atomic(root / "var/log/app.log",
                                    "app started\n"
                                    "db connect postgresql://app:Pg-Secret-991@db:5432/app\n"
                                    "request Authorization: Bearer tok-Secret-5521xyz\n"
                                    "-----BEGIN EC PRIVATE KEY-----\n"
                                    "MHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5oXAUBQYDVQQDDAd0ZXN0\n"
                                    "-----END EC PRIVATE KEY-----\n"
                                    "badge EMP-734521 scanned\n",
                                    0644));
    constexpr char kCmdline[] = "/usr/bin/app\0--password\0Cmd-Secret-8812\0";
    EXPECT_TRUE(files::write_atomic(root / "proc/123/cmdline",
                                    std::string_view(kCmdline, sizeof kCmdline - 1), 0644));
    EXPECT_TRUE(files::write_atomic(
        root / "etc/environment",
        "https_proxy=\"http://alice:Proxy-Secret-4410@proxy.corp.example.com:3128\"\n", 0644));
    return root;
  }

  void write_state(std::string_view collect_table) {
    std::filesystem::create_directories(tmp_ / "state");
    ASSERT_TRUE(files::write_atomic(tmp_ / "state/agent.toml",
                                    kAgentToml + std::string(collect_table), 0600));
  }

  TempDir tmp_{"helpline-agent-cli"};
};

TEST_F(AgentCollectCommand, CollectsSystemAndHardwareThenShowReadsTheFile) {
  std::string out = (tmp_ / "bundle.hlb").string();
  RunResult collected = agent({"collect", "--sections", "system,hardware", "--out", out, "--json"});
  ASSERT_EQ(collected.exit_code, 0) << collected.describe();
  auto summary = parse_json_object(collected.out);
  ASSERT_TRUE(summary) << summary.error().to_string();
  std::string id = json_field_string(*summary, "id");
  EXPECT_EQ(id.rfind("sha256:", 0), 0u) << id;
  EXPECT_EQ(json_field_number(*summary, "compressed_bytes"),
            static_cast<double>(std::filesystem::file_size(out)));
  EXPECT_GT(json_field_number(*summary, "raw_bytes").value_or(0), 0);
  EXPECT_EQ(json_field_string(*summary, "device_id"), "");  // not enrolled
  ASSERT_TRUE(json_field_object(*summary, "redaction"));
  EXPECT_EQ(json_field_object(*summary, "redaction")->fields().at("applied").bool_value(), true);

  RunResult shown = agent({"show", out, "--json"});
  ASSERT_EQ(shown.exit_code, 0) << shown.describe();
  auto report = parse_json_object(shown.out);
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_EQ(json_field_string(*report, "id"), id);
  const auto& sections = report->fields().at("sections").list_value();
  ASSERT_EQ(sections.values_size(), 2);
  EXPECT_EQ(sections.values(0).string_value(), "system");
  for (const auto& c : report->fields().at("collectors").list_value().values()) {
    std::string section = json_field_string(c.struct_value(), "section");
    EXPECT_TRUE(section == "system" || section == "hardware") << section;
  }
  auto facts = json_field_object(*report, "facts");
  ASSERT_TRUE(facts);
  EXPECT_TRUE(json_field_object(*facts, "system"));
  EXPECT_FALSE(json_field_object(*facts, "logs"));
  EXPECT_TRUE(report->fields().at("findings").has_list_value());

  RunResult text = agent({"show", out});
  ASSERT_EQ(text.exit_code, 0) << text.describe();
  EXPECT_NE(text.out.find("bundle      " + id), std::string::npos) << text.out;
}

TEST_F(AgentCollectCommand, TruncatedOrCorruptedFileFailsWithTheDecodersMessage) {
  std::string out = (tmp_ / "bundle.hlb").string();
  ASSERT_EQ(agent({"collect", "--sections", "system", "--out", out}).exit_code, 0);
  std::string bytes = files::read(out).value();

  std::filesystem::path truncated = tmp_ / "truncated.hlb";
  ASSERT_TRUE(files::write_atomic(truncated, bytes.substr(0, bytes.size() - 7), 0600));
  RunResult cut = agent({"show", truncated.string(), "--json"});
  EXPECT_EQ(cut.exit_code, 1) << cut.describe();
  EXPECT_EQ(cut.out, "");
  EXPECT_NE(cut.err.find("helpline-agent: " + truncated.string() + ": "), std::string::npos)
      << cut.err;
  EXPECT_NE(cut.err.find("ends early"), std::string::npos) << cut.err;

  std::filesystem::path corrupted = tmp_ / "corrupted.hlb";
  std::string flipped = bytes;
  flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 0x5a);
  ASSERT_TRUE(files::write_atomic(corrupted, flipped, 0600));
  RunResult bad = agent({"show", corrupted.string()});
  EXPECT_EQ(bad.exit_code, 1) << bad.describe();
  EXPECT_NE(bad.err.find(corrupted.string() + ": "), std::string::npos) << bad.err;

  RunResult missing = agent({"show", (tmp_ / "nope.hlb").string()});
  EXPECT_EQ(missing.exit_code, 1) << missing.describe();
}

TEST_F(AgentCollectCommand, UnknownSectionFailsWithTheValidListAndWritesNothing) {
  std::filesystem::path out = tmp_ / "bundle.hlb";
  RunResult ran = agent({"collect", "--sections", "system,disks", "--out", out.string()});
  EXPECT_EQ(ran.exit_code, 1) << ran.describe();
  EXPECT_NE(ran.err.find("unknown section 'disks'"), std::string::npos) << ran.err;
  EXPECT_NE(ran.err.find("system, hardware, storage, network, software, services, processes, logs"),
            std::string::npos)
      << ran.err;
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST_F(AgentCollectCommand, SeededSecretsNeverReachTheFileAndFindingsAreShown) {
  std::filesystem::path root = seeded_root();
  write_state(R"(
[collect]
redact_patterns = ['EMP-\d{6}']
log_files = ["/var/log/app.log"]
top_processes = 5
)");
  std::string out = (tmp_ / "bundle.hlb").string();
  RunResult ran = agent({"collect", "--root", root.string(), "--out", out, "--sections",
                         "system,network,processes,logs"});
  ASSERT_EQ(ran.exit_code, 0) << ran.describe();
  // The fake root's kernel log holds an OOM kill.
  EXPECT_NE(ran.out.find("out-of-memory kill(s) since boot"), std::string::npos) << ran.out;
  EXPECT_NE(ran.out.find("rule memory.oom_kills"), std::string::npos) << ran.out;
  EXPECT_NE(ran.out.find("host        ws-042 (device dev_3f9a)"), std::string::npos) << ran.out;

  auto bundle = collect::decode_bundle(files::read(out).value());
  ASSERT_TRUE(bundle) << bundle.error().to_string();
  std::string all = bundle->SerializeAsString();
  for (const char* secret : {"Pg-Secret-991", "tok-Secret-5521xyz", "MHcCAQEEIBkg4LVWM9nu",
                             "EMP-734521", "Cmd-Secret-8812", "Proxy-Secret-4410"}) {
    EXPECT_EQ(all.find(secret), std::string::npos) << secret;
  }
  EXPECT_EQ(bundle->device_id(), "dev_3f9a");
  const auto& counts = bundle->redaction().counts();
  EXPECT_TRUE(bundle->redaction().applied());
  EXPECT_GE(bundle->redaction().total(), 6u);
  EXPECT_EQ(counts.count("custom_1"), 1u);
  EXPECT_EQ(counts.count("private_key"), 1u);
  EXPECT_GE(counts.at("url_credentials"), 2u);
  ASSERT_EQ(bundle->logs().files_size(), 1);
  EXPECT_EQ(bundle->logs().files(0).lines(0), "app started");
}

TEST_F(AgentCollectCommand, BadCollectConfigIsRefusedNamingTheKey) {
  write_state("\n[collect]\nredact_patterns = ['card=([0-9]+']\n");
  std::filesystem::path out = tmp_ / "bundle.hlb";
  RunResult ran = agent({"collect", "--sections", "system", "--out", out.string()});
  EXPECT_EQ(ran.exit_code, 1) << ran.describe();
  EXPECT_NE(ran.err.find("agent.toml: collect.redact_patterns: redact pattern custom_1"),
            std::string::npos)
      << ran.err;
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST_F(AgentCollectCommand, BadSinceIsAUsageMistakeNamingTheOption) {
  RunResult ran = agent({"collect", "--since", "yesterday", "--out", (tmp_ / "b").string()});
  EXPECT_EQ(ran.exit_code, 1) << ran.describe();
  EXPECT_NE(ran.err.find("--since: "), std::string::npos) << ran.err;
}

}  // namespace
}  // namespace helpline::agent
