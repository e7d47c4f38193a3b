// Remote diagnostics with the real relay, agent and CLI: a technician opens
// a ticket, collects a bundle from an enrolled agent onto it, reads its
// findings and collector statuses, and downloads it byte for byte; a
// secret in the agent's environment never reaches the relay; oversize
// bundles, unknown sections and unknown tickets are refused clearly with
// nothing stored.
#include <gmock/gmock.h>

#include <filesystem>
#include <fstream>
#include <future>

#include "common/bundle/bundle.h"
#include "common/tls/crypto.h"
#include "tests/e2e/relay_fixture.h"

namespace helpline::e2e {
namespace {

namespace fs = std::filesystem;
using helpline::testing::FrameRead;
using helpline::testing::json_field_bool;
using helpline::testing::json_field_objects;
using helpline::testing::json_field_string;
using helpline::testing::parse_json_array;
using helpline::testing::parse_json_object;
using helpline::testing::TlsTestClient;
using ::testing::HasSubstr;
using ::testing::Not;

// Planted in a log file the agent tails ([collect] log_files in agent.toml)
// and in a proxy variable the network collector reads from the agent's
// environment; the redactor must replace both before the bundle leaves.
constexpr std::string_view kSecret = "S33dedProxyPw-4711";
constexpr std::string_view kLogSecret = "hunter2-in-the-log-9931";
// Sections that are quick to collect even in a sanitizer build, plus the
// configured log files.
constexpr std::string_view kSections = "system,storage,network,processes,logs.files";

[[nodiscard]] std::size_t files_under(const fs::path& dir) {
  std::size_t n = 0;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec)) {
    if (e.is_regular_file()) ++n;
  }
  return n;
}

class Diagnostics : public RelayFixture {
 protected:
  // An enrolled agent, online, with the secret in its environment.
  void start_online_agent() {
    pc_ = enroll_agent("pc1");
    ASSERT_FALSE(pc_.device_id.empty());
    log_file_ = path_for("app.log");
    {
      std::ofstream log(log_file_);
      log << "2024-05-01T10:00:00Z app: starting\n"
          << "2024-05-01T10:00:01Z app: connecting with password=" << kLogSecret << "\n"
          << "2024-05-01T10:00:02Z app: ready\n";
    }
    {
      std::ofstream config(pc_.state / "agent.toml", std::ios::app);
      config << "\n[collect]\nlog_files = [\"" << log_file_.string() << "\"]\n";
    }
    agent_ = start_agent(
        pc_, {{"ftp_proxy", "http://helpdesk:" + std::string(kSecret) + "@proxy.example:3128"}});
    ASSERT_NE(agent_, nullptr);
    ASSERT_TRUE(wait_online(pc_.device_id, kOnlineTimeout));
  }

  // Logs in a technician with role `role` under its own CLI config.
  void login_technician(const std::string& role) {
    RunResult added = cli({"user", "add", "tech-" + role, "--role", role, "--json"});
    ASSERT_EQ(added.exit_code, 0) << added.describe();
    auto user = parse_json_object(added.out);
    ASSERT_TRUE(user) << user.error().message;
    tech_config_ = path_for("tech-" + role + ".toml");
    RunResult login = cli_with(
        tech_config_, {"login", "--url", api_url(), "--ca-pin", ca_pin(), "--user", "tech-" + role},
        json_field_string(*user, "password"));
    ASSERT_EQ(login.exit_code, 0) << login.describe();
  }

  [[nodiscard]] RunResult tech(std::vector<std::string> args) {
    return cli_with(tech_config_, std::move(args));
  }

  // Bundles the relay holds in its blob store.
  [[nodiscard]] std::size_t stored_blobs() const { return files_under(data_dir() / "blobs"); }

  EnrolledAgent pc_;
  fs::path log_file_;
  helpline::testing::Process* agent_ = nullptr;
  fs::path tech_config_;
};

TEST_F(Diagnostics, TechnicianCollectsABundleOntoATicketAndGetsItBackByteIdentical) {
  ASSERT_NO_FATAL_FAILURE(start_online_agent());
  ASSERT_NO_FATAL_FAILURE(login_technician("l1"));

  RunResult created = tech({"ticket", "create", "--title", "Laptop is slow", "--impact", "3",
                            "--urgency", "4", "--device", pc_.device_id, "--json"});
  ASSERT_EQ(created.exit_code, 0) << created.describe();
  auto ticket = parse_json_object(created.out);
  ASSERT_TRUE(ticket) << ticket.error().message;
  const std::string ticket_id = json_field_string(*ticket, "id");
  ASSERT_FALSE(ticket_id.empty()) << created.out;
  EXPECT_EQ(helpline::testing::json_field_number(*ticket, "priority"), 4.0) << created.out;

  RunResult collected = tech({"diag", "collect", pc_.device_id, "--sections",
                              std::string(kSections), "--ticket", ticket_id, "--json"});
  ASSERT_EQ(collected.exit_code, 0) << collected.describe();
  auto bundle = parse_json_object(collected.out);
  ASSERT_TRUE(bundle) << bundle.error().message;
  const std::string id = json_field_string(*bundle, "id");
  ASSERT_EQ(id.rfind("sha256:", 0), 0u) << collected.out;
  EXPECT_EQ(json_field_string(*bundle, "device_id"), pc_.device_id);
  EXPECT_EQ(json_field_string(*bundle, "ticket_id"), ticket_id);
  EXPECT_EQ(json_field_string(*bundle, "requested_by"), "tech-l1");

  // The ticket lists the bundle.
  RunResult shown_ticket = tech({"ticket", "show", ticket_id, "--json"});
  ASSERT_EQ(shown_ticket.exit_code, 0) << shown_ticket.describe();
  auto with_attachments = parse_json_object(shown_ticket.out);
  ASSERT_TRUE(with_attachments);
  auto attachments = json_field_objects(*with_attachments, "attachments");
  ASSERT_EQ(attachments.size(), 1u) << shown_ticket.out;
  EXPECT_EQ(json_field_string(attachments[0], "kind"), "bundle");
  EXPECT_EQ(json_field_string(attachments[0], "ref"), id);

  // diag show: findings (possibly none on a healthy machine) and one status
  // per collector that ran; redaction was applied.
  RunResult shown = tech({"diag", "show", id, "--json"});
  ASSERT_EQ(shown.exit_code, 0) << shown.describe();
  auto details = parse_json_object(shown.out);
  ASSERT_TRUE(details);
  EXPECT_TRUE(details->fields().contains("findings")) << shown.out;
  auto collectors = json_field_objects(*details, "collectors");
  ASSERT_FALSE(collectors.empty()) << shown.out;
  bool saw_proxy = false;
  for (const auto& c : collectors) {
    EXPECT_FALSE(json_field_string(c, "state").empty());
    saw_proxy = saw_proxy || json_field_string(c, "name") == "network.proxy";
  }
  EXPECT_TRUE(saw_proxy) << shown.out;
  EXPECT_EQ(json_field_bool(*details, "redaction_applied"), true);
  RunResult readable = tech({"diag", "show", id});
  ASSERT_EQ(readable.exit_code, 0) << readable.describe();
  auto findings_at = readable.out.find("findings:");
  auto collectors_at = readable.out.find("collectors:");
  ASSERT_NE(findings_at, std::string::npos) << readable.out;
  ASSERT_NE(collectors_at, std::string::npos) << readable.out;
  EXPECT_LT(findings_at, collectors_at) << "findings come first";

  RunResult listed = tech({"diag", "list", "--ticket", ticket_id, "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.describe();
  auto list = parse_json_array(listed.out);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ(json_field_string((*list)[0], "id"), id);

  // diag get: the very bytes the agent produced (their hash is the id).
  const fs::path out = path_for("bundle.hlb");
  RunResult got = tech({"diag", "get", id, "--out", out.string()});
  ASSERT_EQ(got.exit_code, 0) << got.describe();
  std::string bytes = helpline::testing::read_text_file(out);
  EXPECT_EQ("sha256:" + tls::sha256_hex(bytes), id);
  auto decoded = bundle::decode_bundle(bytes);
  ASSERT_TRUE(decoded) << decoded.error().to_string();
  EXPECT_EQ(decoded->device_id(), pc_.device_id);
  auto reencoded = bundle::encode_bundle(*decoded);
  ASSERT_TRUE(reencoded);
  EXPECT_EQ(*reencoded, bytes);

  // The planted secret: the agent collected the variable, redacted.
  bool saw_variable = false;
  for (const auto& proxy : decoded->network().proxies()) {
    if (proxy.variable() != "ftp_proxy") continue;
    saw_variable = true;
    EXPECT_EQ(proxy.value(), "http://helpdesk:[REDACTED]@proxy.example:3128");
  }
  EXPECT_TRUE(saw_variable) << "the agent did not report ftp_proxy";
  ASSERT_EQ(decoded->logs().files_size(), 1);
  const auto& tail = decoded->logs().files(0);
  EXPECT_EQ(tail.path(), log_file_.string());
  ASSERT_EQ(tail.lines_size(), 3) << tail.error();
  EXPECT_EQ(tail.lines(1), "2024-05-01T10:00:01Z app: connecting with password=[REDACTED]");
  EXPECT_GE(decoded->redaction().total(), 2u);
  for (std::string_view secret : {kSecret, kLogSecret}) {
    EXPECT_EQ(decoded->SerializeAsString().find(secret), std::string::npos) << secret;
  }
  // Nor anywhere else on the relay: every stored blob, the database, the log.
  for (const auto& e : fs::recursive_directory_iterator(data_dir())) {
    if (!e.is_regular_file()) continue;
    std::string content = helpline::testing::read_text_file(e.path());
    auto blob = bundle::decode_bundle(content);
    for (std::string_view secret : {kSecret, kLogSecret}) {
      EXPECT_EQ(content.find(secret), std::string::npos) << e.path();
      if (blob) {
        EXPECT_EQ(blob->SerializeAsString().find(secret), std::string::npos) << e.path();
      }
    }
  }
  for (std::string_view secret : {kSecret, kLogSecret}) {
    EXPECT_THAT(helpline::testing::read_text_file(path_for("relay-1.stderr")),
                Not(HasSubstr(std::string(secret))));
  }
}

TEST_F(Diagnostics, OversizeBundleIsRefusedAndNothingIsStored) {
  ASSERT_NO_FATAL_FAILURE(start_online_agent());
  RunResult refused =
      cli({"diag", "collect", pc_.device_id, "--sections", "system", "--max-bytes", "100"});
  EXPECT_EQ(refused.exit_code, 1) << refused.describe();
  EXPECT_THAT(refused.err, HasSubstr("the relay accepts at most 100")) << refused.describe();
  EXPECT_EQ(stored_blobs(), 0u);
  RunResult listed = cli({"diag", "list", "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.describe();
  EXPECT_EQ(listed.out, "[]\n");
  // The device is fine afterwards.
  EXPECT_TRUE(ping(pc_.device_id));
}

TEST_F(Diagnostics, UnknownSectionsAndTicketsAreRefusedBeforeAnythingIsStored) {
  ASSERT_NO_FATAL_FAILURE(start_online_agent());

  RunResult unknown = cli({"diag", "collect", pc_.device_id, "--sections", "system,bogus"});
  EXPECT_EQ(unknown.exit_code, 1) << unknown.describe();
  EXPECT_THAT(unknown.err, HasSubstr("unknown section 'bogus'"));
  EXPECT_THAT(unknown.err, HasSubstr("valid sections"));

  RunResult malformed = cli({"diag", "collect", pc_.device_id, "--sections", "../etc"});
  EXPECT_EQ(malformed.exit_code, 1) << malformed.describe();
  EXPECT_THAT(malformed.err, HasSubstr("'../etc' is not a section or collector name"));

  RunResult no_ticket = cli({"diag", "collect", pc_.device_id, "--ticket", "999"});
  EXPECT_EQ(no_ticket.exit_code, 1) << no_ticket.describe();
  EXPECT_THAT(no_ticket.err, HasSubstr("no ticket 999"));

  RunResult no_device = cli({"diag", "collect", "dev_nope"});
  EXPECT_EQ(no_device.exit_code, 1) << no_device.describe();
  EXPECT_THAT(no_device.err, HasSubstr("no device with id 'dev_nope'"));

  EXPECT_EQ(stored_blobs(), 0u);
  // No collection started: the agent refused the unknown section on
  // arrival (it alone knows its collectors), and the relay refused the
  // malformed name, the unknown ticket and device before asking it.
  std::string agent_log = agent_->stderr_text();
  std::size_t asked = 0;
  for (auto at = agent_log.find("collecting diagnostics"); at != std::string::npos;
       at = agent_log.find("collecting diagnostics", at + 1)) {
    ++asked;
  }
  EXPECT_EQ(asked, 0u) << agent_log;

  RunResult bad_impact =
      cli({"ticket", "create", "--title", "x", "--impact", "9", "--urgency", "1"});
  EXPECT_EQ(bad_impact.exit_code, 1) << bad_impact.describe();
  EXPECT_THAT(bad_impact.err, HasSubstr("impact must be 1"));
  RunResult missing = cli({"ticket", "show", "12345"});
  EXPECT_EQ(missing.exit_code, 1) << missing.describe();
  EXPECT_THAT(missing.err, HasSubstr("no ticket 12345"));
  RunResult unknown_bundle = cli({"diag", "show", "sha256:" + std::string(64, 'a')});
  EXPECT_EQ(unknown_bundle.exit_code, 1) << unknown_bundle.describe();
  EXPECT_THAT(unknown_bundle.err, HasSubstr("no bundle"));
}

TEST_F(Diagnostics, ViewerMayReadButNotCollect) {
  ASSERT_NO_FATAL_FAILURE(start_online_agent());
  ASSERT_NO_FATAL_FAILURE(login_technician("viewer"));
  RunResult refused = tech({"diag", "collect", pc_.device_id});
  EXPECT_EQ(refused.exit_code, 1) << refused.describe();
  EXPECT_THAT(refused.err, HasSubstr("needs 'l1'"));
  RunResult listed = tech({"diag", "list", "--device", pc_.device_id, "--json"});
  EXPECT_EQ(listed.exit_code, 0) << listed.describe();
}

// A hand-driven agent that streams more than the request allows: the relay
// resets the stream itself (it does not rely on the agent to check), the
// technician gets a clear error, and nothing is stored.
TEST_F(Diagnostics, RelayRefusesAStreamBeyondMaxBytesFromAMisbehavingAgent) {
  EnrolledAgent pc = enroll_agent("raw");
  ASSERT_FALSE(pc.device_id.empty());
  auto client = TlsTestClient::connect(raw_client_options(&pc));
  ASSERT_TRUE(client) << client.error().message;
  v1::Frame hello = hello_frame(pc.device_id);
  hello.mutable_hello()->set_heartbeat_interval_ms(60'000);  // it sends no heartbeats
  ASSERT_TRUE(client->send_frame(hello));
  ASSERT_TRUE(next_frame(*client, [](const v1::Frame& f) { return f.has_hello_ack(); }));

  auto collecting = std::async(std::launch::async, [&] {
    return cli({"diag", "collect", pc.device_id, "--max-bytes", "1000"});
  });
  auto request = next_frame(*client, [](const v1::Frame& f) { return f.has_request(); });
  ASSERT_TRUE(request.has_value());
  ASSERT_TRUE(request->request().has_collect());
  EXPECT_EQ(request->request().collect().max_bytes(), 1000u);

  const std::string content(2000, 'z');
  const std::string claimed = "sha256:" + tls::sha256_hex(content);
  v1::Frame open;
  open.set_channel(1);
  open.mutable_open()->set_kind("bundle");
  open.mutable_open()->set_initial_window(256 * 1024);
  open.mutable_open()->set_metadata(claimed);
  open.mutable_open()->set_request_id(request->request().id());
  ASSERT_TRUE(client->send_frame(open));
  ASSERT_TRUE(next_frame(*client, [](const v1::Frame& f) { return f.has_window_update(); }));
  v1::Frame data;
  data.set_channel(1);
  data.mutable_data()->set_data(content);
  ASSERT_TRUE(client->send_frame(data));
  auto reset = next_frame(*client, [](const v1::Frame& f) { return f.has_reset(); });
  ASSERT_TRUE(reset.has_value()) << "the relay did not reset the oversize stream";
  EXPECT_EQ(reset->channel(), 1u);
  EXPECT_EQ(reset->reset().reason().rfind("too_large", 0), 0u) << reset->reset().reason();
  v1::Frame answer;
  answer.mutable_response()->set_id(request->request().id());
  answer.mutable_response()->mutable_collect()->set_bundle_id(claimed);
  answer.mutable_response()->mutable_collect()->set_size(content.size());
  ASSERT_TRUE(client->send_frame(answer));

  RunResult refused = collecting.get();
  EXPECT_EQ(refused.exit_code, 1) << refused.describe();
  EXPECT_THAT(refused.err, HasSubstr("larger than the 1000 bytes")) << refused.describe();
  EXPECT_EQ(stored_blobs(), 0u);
  EXPECT_EQ(cli({"diag", "list", "--json"}).out, "[]\n");
  EXPECT_TRUE(relay_running());
}

}  // namespace
}  // namespace helpline::e2e
