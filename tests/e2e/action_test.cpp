// Remediation actions end to end with the real relay, agent and CLI: the
// organisation signs a catalog, the relay checks and publishes it, the
// agent (which pinned the organisation key at enrollment) installs it and
// runs an action whose result lands on the ticket. Each refusal has its
// own test: bad catalogs at the relay and at the agent, unknown actions,
// parameter injection, a role too low for the risk, consent denied or
// unanswered, the action's timeout and its output cap.
//
// Nothing here changes the machine: the actions run /bin/echo, /bin/sleep
// and seq, and the one catalog tool (/usr/bin/resolvectl) is mapped to a
// fake script with the test-only HELPLINE_AGENT_TEST_PROGRAMS.
#include <gmock/gmock.h>

#include <filesystem>
#include <fstream>
#include <future>

#include "tests/e2e/relay_fixture.h"

namespace helpline::e2e {
namespace {

namespace fs = std::filesystem;
using helpline::testing::json_field_bool;
using helpline::testing::json_field_number;
using helpline::testing::json_field_string;
using helpline::testing::parse_json_array;
using helpline::testing::parse_json_object;
using ::testing::HasSubstr;

constexpr std::chrono::milliseconds kOfferTimeout = 10s;

// The test catalog, `version` filled in.
[[nodiscard]] std::string catalog_toml(int version) {
  return "version = " + std::to_string(version) + R"(
issuer = "e2e"

[[action]]
id = "test.echo"
title = "Say a word"
description = "Prints a word."
platforms = ["linux"]
risk = "low"
argv = ["/bin/echo", "said:", "{word}"]
timeout = "10s"
max_output_bytes = 4096
self_service = true

[action.params.word]
type = "string"
pattern = "[ -~]*"
max_length = 4096
description = "The word"

[[action]]
id = "dns.flush_cache"
title = "Flush the DNS cache"
description = "resolvectl flush-caches"
platforms = ["linux"]
risk = "low"
argv = ["/usr/bin/resolvectl", "flush-caches"]
timeout = "10s"
max_output_bytes = 4096

[[action]]
id = "test.medium"
title = "Medium risk"
description = "Needs L2."
platforms = ["linux"]
risk = "medium"
argv = ["/bin/echo", "medium"]
timeout = "10s"
max_output_bytes = 4096

[[action]]
id = "test.asks"
title = "Asks first"
description = "Needs the user's consent."
platforms = ["linux"]
risk = "low"
argv = ["/bin/echo", "approved"]
timeout = "10s"
max_output_bytes = 4096
needs_consent = true

[[action]]
id = "test.sleep"
title = "Hangs"
description = "Sleeps past its timeout."
platforms = ["linux"]
risk = "low"
argv = ["/bin/sleep", "30"]
timeout = "1s"
max_output_bytes = 4096

[[action]]
id = "test.flood"
title = "Talks too much"
description = "Writes far more than its cap."
platforms = ["linux"]
risk = "low"
argv = ["/usr/bin/seq", "1", "200000"]
timeout = "30s"
max_output_bytes = 1000
)";
}

class Actions : public RelayFixture {
 protected:
  void SetUp() override {
    RelayFixture::SetUp();
    if (HasFatalFailure()) return;
    keys_ = path_for("keys");
    ASSERT_EQ(cli({"admin", "keygen", "--out", keys_.string()}).exit_code, 0);
    v1_ = sign(1, keys_ / "org.key", "v1.signed");
  }

  // Signs the test catalog at `version` with `key`; the signed file.
  fs::path sign(int version, const fs::path& key, const std::string& name) {
    fs::path toml = path_for(name + ".toml");
    std::ofstream(toml) << catalog_toml(version);
    fs::path out = path_for(name);
    RunResult signed_ = cli({"admin", "sign-catalog", toml.string(), "--key", key.string(),
                             "--out", out.string()});
    EXPECT_EQ(signed_.exit_code, 0) << signed_.describe();
    return out;
  }

  void publish_v1() {
    RunResult key = cli({"admin", "set-org-key", (keys_ / "org.pub").string()});
    ASSERT_EQ(key.exit_code, 0) << key.describe();
    RunResult published = cli({"admin", "publish", v1_.string(), "--json"});
    ASSERT_EQ(published.exit_code, 0) << published.describe();
  }

  // An agent enrolled with the organisation key pinned, running with the
  // fake resolvectl and `env`, online.
  void start_pinned_agent(std::vector<std::pair<std::string, std::string>> env = {}) {
    pc_.state = path_for("pc1");
    EnrollToken token = create_token();
    ASSERT_FALSE(token.token.empty());
    RunResult enrolled = agent_command({"enroll", "--relay", agent_address(), "--token",
                                        token.token, "--ca-pin", ca_pin(), "--state",
                                        pc_.state.string(), "--org-key",
                                        (keys_ / "org.pub").string(), "--json"});
    ASSERT_EQ(enrolled.exit_code, 0) << enrolled.describe();
    auto answer = parse_json_object(enrolled.out);
    ASSERT_TRUE(answer);
    pc_.device_id = json_field_string(*answer, "device_id");
    EXPECT_EQ(json_field_string(*answer, "org_key").rfind("SHA256:", 0), 0u) << enrolled.out;
    marker_ = path_for("flushed");
    fs::path fake = path_for("fake-resolvectl");
    std::ofstream(fake) << "#!/bin/sh\necho flushed > " << marker_.string() << "\necho ok\n";
    fs::permissions(fake, fs::perms::owner_all);
    env.emplace_back("HELPLINE_AGENT_TEST_PROGRAMS", "/usr/bin/resolvectl=" + fake.string());
    agent_ = start_agent(pc_, env);
    ASSERT_NE(agent_, nullptr);
    ASSERT_TRUE(wait_online(pc_.device_id, kOnlineTimeout));
  }

  // Waits until the agent's log says it has catalog `version`.
  [[nodiscard]] bool agent_has_catalog(int version) {
    return helpline::testing::wait_until(
        [&] {
          return agent_->stderr_text().find("catalog version " + std::to_string(version)) !=
                 std::string::npos;
        },
        kOfferTimeout, kPoll);
  }

  // `helpline action run ... --json`, parsed (also for a non-zero exit).
  [[nodiscard]] Struct run(std::vector<std::string> args) {
    std::vector<std::string> command = {"action", "run", pc_.device_id};
    command.insert(command.end(), args.begin(), args.end());
    command.push_back("--json");
    RunResult ran = cli(command);
    auto parsed = parse_json_object(ran.out);
    EXPECT_TRUE(parsed) << ran.describe();
    return parsed ? *parsed : Struct();
  }

  fs::path keys_;
  fs::path v1_;
  fs::path marker_;
  EnrolledAgent pc_;
  helpline::testing::Process* agent_ = nullptr;
};

TEST_F(Actions, PublishedCatalogRunsOnTheAgentAndTheResultIsAttachedToTheTicket) {
  ASSERT_NO_FATAL_FAILURE(publish_v1());
  ASSERT_NO_FATAL_FAILURE(start_pinned_agent());
  ASSERT_TRUE(agent_has_catalog(1)) << agent_->stderr_text();

  RunResult listed = cli({"action", "list", "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.describe();
  EXPECT_THAT(listed.out, HasSubstr("test.echo"));

  RunResult ticket = cli({"ticket", "create", "--title", "DNS", "--impact", "3", "--urgency",
                          "3", "--json"});
  ASSERT_EQ(ticket.exit_code, 0) << ticket.describe();
  auto created = parse_json_object(ticket.out);
  ASSERT_TRUE(created);
  const std::string id = json_field_string(*created, "display_id");

  Struct result = run({"test.echo", "word=world", "--ticket", id, "--idempotency-key", "k1"});
  EXPECT_EQ(json_field_bool(result, "ran"), true);
  EXPECT_EQ(json_field_string(result, "output"), "said: world\n");
  EXPECT_FALSE(json_field_string(result, "attachment").empty());

  // A retry with the same key returns the first result; nothing runs again.
  Struct again = run({"test.echo", "word=world", "--ticket", id, "--idempotency-key", "k1"});
  EXPECT_EQ(json_field_string(again, "started_at_ms"), json_field_string(result, "started_at_ms"));

  RunResult shown = cli({"ticket", "show", id, "--json"});
  ASSERT_EQ(shown.exit_code, 0) << shown.describe();
  EXPECT_THAT(shown.out, HasSubstr("action_result"));
  EXPECT_THAT(shown.out, HasSubstr(json_field_string(result, "attachment")));

  // A catalog tool, mapped to the fake for this test.
  Struct flushed = run({"dns.flush_cache"});
  EXPECT_EQ(json_field_bool(flushed, "ran"), true);
  EXPECT_TRUE(fs::exists(marker_));

  // Self-service from the workstation.
  RunResult fixes = agent_local(pc_, {"fixes", "--json"});
  ASSERT_EQ(fixes.exit_code, 0) << fixes.describe();
  EXPECT_THAT(fixes.out, HasSubstr("test.echo"));
  EXPECT_THAT(fixes.out, ::testing::Not(HasSubstr("test.medium")));
  RunResult fix = agent_local(pc_, {"fix", "test.echo", "word=me"});
  ASSERT_EQ(fix.exit_code, 0) << fix.describe();
  EXPECT_THAT(fix.out, HasSubstr("said: me"));
  RunResult not_l0 = agent_local(pc_, {"fix", "test.medium"});
  EXPECT_NE(not_l0.exit_code, 0);
  EXPECT_THAT(not_l0.err, HasSubstr("helpdesk"));
}

// Every request, decision and result is in the relay's hash-chained audit
// and in the device's own (docs/security.md, "Record"): who ran what,
// where, for which ticket, with what result; self-service fixes too.
TEST_F(Actions, RunsAreAuditedOnTheRelayAndOnTheDevice) {
  ASSERT_NO_FATAL_FAILURE(publish_v1());
  ASSERT_NO_FATAL_FAILURE(start_pinned_agent());
  ASSERT_TRUE(agent_has_catalog(1)) << agent_->stderr_text();
  RunResult ticket =
      cli({"ticket", "create", "--title", "Audit", "--impact", "2", "--urgency", "2", "--json"});
  auto created = json_output(ticket);
  ASSERT_TRUE(created);
  const std::string ticket_id = json_field_string(*created, "id");
  Struct result = run({"test.echo", "word=audited", "--ticket",
                       json_field_string(*created, "display_id"), "--idempotency-key", "ka"});
  ASSERT_EQ(json_field_bool(result, "ran"), true);
  RunResult fix = agent_local(pc_, {"fix", "test.echo", "word=mine"});
  ASSERT_EQ(fix.exit_code, 0) << fix.describe();
  RunResult refused = cli({"action", "run", pc_.device_id, "test.echo", "word=$(id)"});
  EXPECT_NE(refused.exit_code, 0);

  // The relay: the request and its result, on this device and ticket.
  RunResult listed = cli({"audit", "list", "--device", pc_.device_id, "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.describe();
  auto entries = parse_json_array(listed.out);
  ASSERT_TRUE(entries) << listed.out;
  std::vector<std::string> relay_events;
  for (const Struct& e : *entries) {
    const std::string event = json_field_string(e, "event");
    relay_events.push_back(event);
    if (event != "action.request" && event != "action.result") continue;
    EXPECT_EQ(json_field_string(e, "device"), pc_.device_id);
    EXPECT_FALSE(json_field_string(e, "actor").empty());
  }
  EXPECT_THAT(relay_events, ::testing::IsSupersetOf({"action.request", "action.result"}));
  EXPECT_THAT(listed.out, HasSubstr("test.echo (catalog v1, key admin/ka) word=audited"));
  EXPECT_THAT(listed.out, HasSubstr("test.echo: exit 0"));
  EXPECT_THAT(listed.out, HasSubstr("refused by the device (shell_metacharacter)"));
  EXPECT_THAT(listed.out, HasSubstr("\"ticket\":\"" + ticket_id + "\""));
  RunResult all = cli({"audit", "list", "--json"});
  EXPECT_THAT(all.out, HasSubstr("catalog.org_key"));
  EXPECT_THAT(all.out, HasSubstr("catalog.publish"));
  RunResult verified = cli({"audit", "verify"});
  EXPECT_EQ(verified.exit_code, 0) << verified.describe();

  // The device: what ran, as whom, exactly; the end user's own fix; the
  // refusal with its rule. The chain verifies (exit 0).
  RunResult local = agent_local(pc_, {"audit", "--json"});
  ASSERT_EQ(local.exit_code, 0) << local.describe();
  EXPECT_THAT(local.out, HasSubstr("\"event\":\"action.start\""));
  EXPECT_THAT(local.out, HasSubstr("/bin/echo said: audited"));
  EXPECT_THAT(local.out, HasSubstr("\"event\":\"action.end\""));
  EXPECT_THAT(local.out, HasSubstr("\"actor\":\"user:"));
  EXPECT_THAT(local.out, HasSubstr("/bin/echo said: mine"));
  EXPECT_THAT(local.out, HasSubstr("\"event\":\"action.refused\""));
  EXPECT_THAT(local.out, HasSubstr("refused (shell_metacharacter)"));
  EXPECT_THAT(local.out, HasSubstr("\"device\":\"" + pc_.device_id + "\""));
  RunResult readable = agent_local(pc_, {"audit"});
  EXPECT_EQ(readable.exit_code, 0) << readable.describe();
  EXPECT_THAT(readable.out, HasSubstr("action.end"));
}

TEST_F(Actions, RelayRefusesUnsignedTamperedForeignAndOlderCatalogs) {
  RunResult no_key = cli({"admin", "publish", v1_.string()});
  EXPECT_NE(no_key.exit_code, 0);
  EXPECT_THAT(no_key.err, HasSubstr("set-org-key"));
  ASSERT_NO_FATAL_FAILURE(publish_v1());

  fs::path unsigned_file = path_for("unsigned.signed");
  std::ofstream(unsigned_file) << catalog_toml(9);
  EXPECT_NE(cli({"admin", "publish", unsigned_file.string()}).exit_code, 0);

  std::string bytes;
  {
    std::ifstream in(v1_, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x01);
  fs::path tampered = path_for("tampered.signed");
  std::ofstream(tampered, std::ios::binary) << bytes;
  RunResult bad = cli({"admin", "publish", tampered.string()});
  EXPECT_NE(bad.exit_code, 0) << bad.describe();

  fs::path other = path_for("other");
  ASSERT_EQ(cli({"admin", "keygen", "--out", other.string()}).exit_code, 0);
  RunResult foreign = cli({"admin", "publish", sign(7, other / "org.key", "foreign.signed").string()});
  EXPECT_NE(foreign.exit_code, 0);
  EXPECT_THAT(foreign.err, HasSubstr("key"));

  fs::path v2 = sign(2, keys_ / "org.key", "v2.signed");
  ASSERT_EQ(cli({"admin", "publish", v2.string()}).exit_code, 0);
  RunResult older = cli({"admin", "publish", v1_.string()});
  EXPECT_NE(older.exit_code, 0);
  EXPECT_THAT(older.err, HasSubstr("older"));

  RunResult listed = cli({"action", "list", "--json"});
  auto info = parse_json_object(listed.out);
  ASSERT_TRUE(info) << listed.describe();
  EXPECT_EQ(json_field_string(*info, "version"), "2") << "refusals changed nothing";
}

TEST_F(Actions, AgentRefusesACatalogNotSignedByItsPinnedKey) {
  ASSERT_NO_FATAL_FAILURE(publish_v1());
  ASSERT_NO_FATAL_FAILURE(start_pinned_agent());
  ASSERT_TRUE(agent_has_catalog(1));
  // A relay whose key was replaced (stolen relay): it accepts its own
  // catalog, the agent does not.
  fs::path other = path_for("other");
  ASSERT_EQ(cli({"admin", "keygen", "--out", other.string()}).exit_code, 0);
  ASSERT_EQ(cli({"admin", "set-org-key", (other / "org.pub").string()}).exit_code, 0);
  RunResult published =
      cli({"admin", "publish", sign(5, other / "org.key", "evil.signed").string()});
  ASSERT_EQ(published.exit_code, 0) << published.describe();
  ASSERT_TRUE(helpline::testing::wait_until(
      [&] { return agent_->stderr_text().find("refused the catalog") != std::string::npos; },
      kOfferTimeout, kPoll))
      << agent_->stderr_text();
  EXPECT_THAT(agent_->stderr_text(), HasSubstr("wrong_key"));
  // The relay's version 5 is not what the agent runs: nothing runs.
  Struct result = run({"test.echo", "word=x"});
  EXPECT_EQ(json_field_bool(result, "ran"), false);
  EXPECT_EQ(json_field_string(result, "refusal_rule"), "catalog_version_mismatch");
}

TEST_F(Actions, UnknownActionsAndInjectedParametersAreRefusedByRule) {
  ASSERT_NO_FATAL_FAILURE(publish_v1());
  ASSERT_NO_FATAL_FAILURE(start_pinned_agent());
  ASSERT_TRUE(agent_has_catalog(1));
  RunResult unknown = cli({"action", "run", pc_.device_id, "rm.everything"});
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_THAT(unknown.err, HasSubstr("not in catalog"));

  const std::vector<std::pair<std::string, std::string>> cases = {
      {"; rm -rf /", "shell_metacharacter"}, {"$(id)", "shell_metacharacter"},
      {"`id`", "shell_metacharacter"},       {"a\nb", "control_character"},
      {"../../etc", "path_traversal"},       {std::string(5000, 'a'), "too_long"}};
  for (const auto& [value, rule] : cases) {
    Struct result = run({"test.echo", "word=" + value});
    EXPECT_EQ(json_field_bool(result, "ran"), false) << rule;
    EXPECT_EQ(json_field_string(result, "refusal_rule"), rule) << value.substr(0, 20);
  }
}

TEST_F(Actions, TechnicianBelowTheRiskLevelIsRefused) {
  ASSERT_NO_FATAL_FAILURE(publish_v1());
  ASSERT_NO_FATAL_FAILURE(start_pinned_agent());
  RunResult added = cli({"user", "add", "lena", "--role", "l1", "--json"});
  ASSERT_EQ(added.exit_code, 0) << added.describe();
  auto user = parse_json_object(added.out);
  ASSERT_TRUE(user);
  fs::path l1 = path_for("l1.toml");
  ASSERT_EQ(cli_with(l1, {"login", "--url", api_url(), "--ca-pin", ca_pin(), "--user", "lena"},
                     json_field_string(*user, "password"))
                .exit_code,
            0);
  RunResult medium = cli_with(l1, {"action", "run", pc_.device_id, "test.medium"});
  EXPECT_NE(medium.exit_code, 0);
  EXPECT_THAT(medium.err, HasSubstr("needs role l2"));
  RunResult audit = cli({"audit", "list", "--device", pc_.device_id, "--json"});
  EXPECT_THAT(audit.out, HasSubstr("\"event\":\"action.denied\""));
  EXPECT_THAT(audit.out, HasSubstr("\"actor\":\"lena\""));
  RunResult low = cli_with(l1, {"action", "run", pc_.device_id, "test.echo", "word=ok"});
  EXPECT_EQ(low.exit_code, 0) << low.describe();
}

TEST_F(Actions, ConsentDeniedByTheUserRunsNothing) {
  ASSERT_NO_FATAL_FAILURE(publish_v1());
  ASSERT_NO_FATAL_FAILURE(start_pinned_agent());
  ASSERT_TRUE(agent_has_catalog(1));
  auto pending = std::async(std::launch::async, [&] { return run({"test.asks"}); });
  std::string id;
  ASSERT_TRUE(helpline::testing::wait_until(
      [&] {
        RunResult listed = agent_local(pc_, {"consent", "--list", "--json"});
        auto items = parse_json_array(listed.out);
        if (!items || items->empty()) return false;
        id = json_field_string((*items)[0], "id");
        EXPECT_EQ(json_field_string((*items)[0], "action"), "test.asks");
        return true;
      },
      kCommandTimeout, kPoll));
  RunResult denied = agent_local(pc_, {"consent", "--deny", id});
  EXPECT_EQ(denied.exit_code, 0) << denied.describe();
  Struct result = pending.get();
  EXPECT_EQ(json_field_bool(result, "ran"), false);
  EXPECT_EQ(json_field_string(result, "refusal_rule"), "consent_denied");
}

TEST_F(Actions, ConsentNotAnsweredInTimeIsARefusal) {
  ASSERT_NO_FATAL_FAILURE(publish_v1());
  ASSERT_NO_FATAL_FAILURE(start_pinned_agent({{"HELPLINE_AGENT_TEST_CONSENT_TIMEOUT", "1s"}}));
  ASSERT_TRUE(agent_has_catalog(1));
  Struct result = run({"test.asks"});
  EXPECT_EQ(json_field_bool(result, "ran"), false);
  EXPECT_EQ(json_field_string(result, "refusal_rule"), "consent_denied");
  EXPECT_THAT(json_field_string(result, "refusal_message"), HasSubstr("timeout"));
}

TEST_F(Actions, TimeoutKillsTheActionAndOutputAboveTheCapIsTruncated) {
  ASSERT_NO_FATAL_FAILURE(publish_v1());
  ASSERT_NO_FATAL_FAILURE(start_pinned_agent());
  ASSERT_TRUE(agent_has_catalog(1));
  Struct slow = run({"test.sleep"});
  EXPECT_EQ(json_field_bool(slow, "ran"), true);
  EXPECT_EQ(json_field_bool(slow, "timed_out"), true);
  Struct flood = run({"test.flood"});
  EXPECT_EQ(json_field_bool(flood, "truncated"), true);
  EXPECT_LE(json_field_string(flood, "output").size(), 1000u);
  EXPECT_EQ(json_field_string(flood, "output").rfind("1\n2\n3\n", 0), 0u);
}

}  // namespace
}  // namespace helpline::e2e
