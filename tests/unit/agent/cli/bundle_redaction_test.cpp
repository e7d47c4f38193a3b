// The bundle redaction hook: every text field that can carry a secret is
// redacted, sources are separate streams, counts land in the bundle.
#include "agent/collect/bundle_redaction.h"

#include <gtest/gtest.h>

#include "agent/collect/bundle.h"

namespace helpline::agent {
namespace {

constexpr const char* kSecret = "hunter2-Sekret-77";
const std::string kKeyValue = std::string("password=") + kSecret;

redact::Redactor make_redactor(std::vector<std::string> patterns = {}) {
  redact::Options options;
  for (std::string& p : patterns) options.extra_patterns.push_back({"", std::move(p)});
  auto r = redact::Redactor::create(std::move(options));
  EXPECT_TRUE(r) << r.error().to_string();
  return std::move(*r);
}

v1::LogEntry& journal(v1::DiagnosticBundle& b, std::string_view identifier, std::uint32_t pid,
                      std::string_view message) {
  v1::LogEntry& e = *b.mutable_logs()->add_entries();
  e.set_identifier(std::string(identifier));
  e.set_pid(pid);
  e.set_priority(3);
  e.set_message(std::string(message));
  return e;
}

// A secret in every field the hook must cover.
v1::DiagnosticBundle seeded_bundle() {
  v1::DiagnosticBundle b;
  journal(b, "app", 10, "login failed, " + kKeyValue);
  b.mutable_logs()->add_kernel()->set_message("cifs: mount with " + kKeyValue);
  v1::LogFile& file = *b.mutable_logs()->add_files();
  file.set_path("/var/log/app.log");
  file.add_lines("GET /api?token=" + std::string(kSecret));
  file.set_error("cannot parse " + kKeyValue);
  v1::Unit& unit = *b.mutable_services()->add_units();
  unit.set_description("Sync " + kKeyValue);
  unit.add_last_log_lines("connecting to postgresql://app:" + std::string(kSecret) + "@db/app");
  v1::Process& cpu = *b.mutable_processes()->add_top_by_cpu();
  cpu.set_cmdline("/usr/bin/mysql --password " + std::string(kSecret));
  *b.mutable_processes()->add_top_by_memory() = cpu;
  b.mutable_processes()->add_oom_kills()->set_message("Killed process 1 (x) " + kKeyValue);
  v1::ProxySetting& proxy = *b.mutable_network()->add_proxies();
  proxy.set_variable("https_proxy");
  proxy.set_value("http://alice:" + std::string(kSecret) + "@proxy.corp:3128");
  v1::Filesystem& fs = *b.mutable_storage()->add_filesystems();
  fs.set_device("https://alice:" + std::string(kSecret) + "@dav.example.com/remote.php");  // davfs
  fs.set_options("rw," + kKeyValue);
  b.add_collectors()->add_errors("smartctl said " + kKeyValue);
  return b;
}

TEST(BundleRedaction, RedactsEveryTextFieldThatCanCarryASecret) {
  v1::DiagnosticBundle b = seeded_bundle();
  redact::Redactor r = make_redactor();
  redact_bundle(r, b);
  std::string serialized = b.SerializeAsString();
  EXPECT_EQ(serialized.find(kSecret), std::string::npos);
  EXPECT_NE(b.processes().top_by_cpu(0).cmdline().find("--password [REDACTED]"), std::string::npos)
      << b.processes().top_by_cpu(0).cmdline();
  EXPECT_EQ(b.network().proxies(0).value(), "http://alice:[REDACTED]@proxy.corp:3128");
  // 13 fields, the cmdline twice.
  EXPECT_EQ(b.redaction().total(), 13u);
  EXPECT_EQ(b.redaction().counts().at("url_credentials"), 3u);
  EXPECT_FALSE(b.redaction().applied());  // collect_bundle sets it
}

TEST(BundleRedaction, CountsArePerBundle) {
  redact::Redactor r = make_redactor();
  v1::DiagnosticBundle first = seeded_bundle();
  v1::DiagnosticBundle second = seeded_bundle();
  redact_bundle(r, first);
  redact_bundle(r, second);
  EXPECT_EQ(first.redaction().total(), second.redaction().total());
}

TEST(BundleRedaction, AbsentSectionsStayAbsent) {
  v1::DiagnosticBundle b;
  b.mutable_system()->set_hostname("ws-1");
  redact::Redactor r = make_redactor();
  redact_bundle(r, b);
  EXPECT_FALSE(b.has_logs());
  EXPECT_FALSE(b.has_network());
  EXPECT_FALSE(b.has_storage());
  EXPECT_FALSE(b.has_services());
  EXPECT_FALSE(b.has_processes());
  EXPECT_EQ(b.redaction().total(), 0u);
}

TEST(BundleRedaction, AKeyLoggedLineByLineInTheJournalSwallowsOnlyItsOwnProcess) {
  v1::DiagnosticBundle b;
  journal(b, "deploy", 42, "-----BEGIN RSA PRIVATE KEY-----");
  journal(b, "sshd", 7, "Accepted publickey for alice");
  journal(b, "deploy", 42, "MIIEpAIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun");
  journal(b, "deploy", 42, "-----END RSA PRIVATE KEY-----");
  journal(b, "deploy", 42, "deploy finished");
  redact::Redactor r = make_redactor();
  redact_bundle(r, b);
  const auto& e = b.logs().entries();
  EXPECT_EQ(e[0].message(), "[REDACTED PRIVATE KEY]");
  EXPECT_EQ(e[1].message(), "Accepted publickey for alice");
  EXPECT_EQ(e[2].message(), "");
  EXPECT_EQ(e[3].message(), "");
  EXPECT_EQ(e[4].message(), "deploy finished");
  EXPECT_EQ(b.redaction().counts().at("private_key"), 1u);
}

TEST(BundleRedaction, AKeyBlockInALogFileEndsWithTheFile) {
  v1::DiagnosticBundle b;
  v1::LogFile& one = *b.mutable_logs()->add_files();
  one.add_lines("-----BEGIN OPENSSH PRIVATE KEY-----");
  one.add_lines("b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW");
  v1::LogFile& two = *b.mutable_logs()->add_files();
  two.add_lines("nginx started");
  redact::Redactor r = make_redactor();
  redact_bundle(r, b);
  EXPECT_EQ(b.logs().files(0).lines(1), "");
  EXPECT_EQ(b.logs().files(1).lines(0), "nginx started");  // a new stream
}

TEST(BundleRedaction, ExtraPatternsCountAndNeverLeaveBrokenUtf8) {
  v1::DiagnosticBundle b;
  // "EMP-." takes the first byte of the two-byte "é".
  journal(b, "hr", 1, "badge EMP-\xc3\xa9t\xc3\xa9 scanned");
  redact::Redactor r = make_redactor({"EMP-."});
  redact_bundle(r, b);
  EXPECT_EQ(b.redaction().counts().at("custom_1"), 1u);
  EXPECT_EQ(b.logs().entries(0).message().find("EMP-"), std::string::npos);
  auto encoded = collect::encode_bundle(b);
  EXPECT_TRUE(encoded) << encoded.error().to_string();
}

TEST(BundleRedaction, HookRefusesABadPattern) {
  auto hook = make_bundle_redactor({"card=([0-9]+"});
  ASSERT_FALSE(hook);
  EXPECT_EQ(hook.error().code, "bad_redact_pattern");
}

TEST(BundleRedaction, HookRedactsWithTheConfiguredPatterns) {
  auto hook = make_bundle_redactor({R"(EMP-\d{6})"});
  ASSERT_TRUE(hook) << hook.error().to_string();
  v1::DiagnosticBundle b;
  journal(b, "hr", 1, "badge EMP-123456 scanned, " + kKeyValue);
  (*hook)(b);
  EXPECT_EQ(b.logs().entries(0).message(), "badge [REDACTED] scanned, password=[REDACTED]");
  EXPECT_EQ(b.redaction().total(), 2u);
}

}  // namespace
}  // namespace helpline::agent
