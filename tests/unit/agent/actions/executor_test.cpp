// The executor: what runs, what is refused (and that nothing ran then),
// consent, the timeout killing the whole process group, the output cap,
// run_as, the scrubbed environment, and idempotency.
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <set>

#include "tests/support/wait_until.h"
#include "tests/unit/agent/actions/actions_test_util.h"

namespace helpline::agent::actions {
namespace {

using testing::ExecutorFixture;
using testing::write_script;

constexpr std::string_view kCatalog = R"(
version = 4
issuer = "Test IT"

[[action]]
id = "test.echo"
title = "Echo"
platforms = ["linux"]
risk = "low"
argv = ["/usr/bin/printf", "%s|", "{text}", "second"]

[action.params.text]
type = "string"
pattern = "[A-Za-z0-9 ._:/-]*"
max_length = 64

[[action]]
id = "test.touch"
title = "Touch a marker"
platforms = ["linux"]
risk = "low"
argv = ["/opt/fake/touch", "{text}"]
self_service = true

[action.params.text]
type = "string"
pattern = "[^\n]*"
max_length = 4096

[[action]]
id = "test.consent"
title = "Needs consent"
description = "Asks first."
platforms = ["linux"]
risk = "medium"
argv = ["/opt/fake/touch", "consented"]
needs_consent = true

[[action]]
id = "test.tree"
title = "A child and a grandchild that never end"
platforms = ["linux"]
risk = "low"
argv = ["/opt/fake/tree"]
timeout = "1s"

[[action]]
id = "test.flood"
title = "Too much output"
platforms = ["linux"]
risk = "low"
argv = ["/usr/bin/head", "-c", "100000", "/dev/zero"]
max_output_bytes = 1000

[[action]]
id = "test.exit3"
title = "Fails"
platforms = ["linux"]
risk = "low"
argv = ["/bin/sh", "-c", "echo failing >&2; exit 3"]

[[action]]
id = "test.env"
title = "Environment"
platforms = ["linux"]
risk = "low"
argv = ["/usr/bin/env"]

[[action]]
id = "test.pwd"
title = "Working directory"
platforms = ["linux"]
risk = "low"
argv = ["/bin/pwd"]

[[action]]
id = "test.as_nobody"
title = "As nobody"
platforms = ["linux"]
risk = "low"
argv = ["/usr/bin/id", "-u"]
run_as = "user:nobody"

[[action]]
id = "test.as_session"
title = "As the logged-in user"
platforms = ["linux"]
risk = "low"
argv = ["/usr/bin/id", "-un"]
run_as = "logged-in-user"

[[action]]
id = "test.windows"
title = "Windows only"
platforms = ["windows"]
risk = "low"
argv = ["/bin/true"]
)";

class ExecutorTest : public ExecutorFixture {
 protected:
  void SetUp() override {
    ExecutorFixture::SetUp();
    marker_ = state_.path() / "marker";
    tree_pid_file_ = state_.path() / "grandchild.pid";
    options_.program_overrides["/opt/fake/touch"] =
        write_script(state_.path() / "touch.sh",
                     "printf '%s\\n' \"$1\" >> '" + marker_.string() + "'\necho touched\n");
    options_.program_overrides["/opt/fake/tree"] = write_script(
        state_.path() / "tree.sh",
        "/bin/sleep 600 &\necho $! > '" + tree_pid_file_.string() + "'\necho started\nwait\n");
    options_.kill_grace = std::chrono::milliseconds(200);
    host_.users["nobody"] = catalog::UserInfo{65534, 65534, "/nonexistent"};
    host_.users["sam"] = catalog::UserInfo{1001, 1001, "/home/sam"};
  }

  [[nodiscard]] std::string marker() const {
    auto text = files::read(marker_);
    return text ? *text : std::string();
  }
  void expect_refused(const v1::ActionResult& result, std::string_view rule) {
    ASSERT_TRUE(result.has_refused()) << "ran: exit " << result.exit_code();
    EXPECT_EQ(result.refused().rule(), rule) << result.refused().message();
    EXPECT_FALSE(result.refused().message().empty());
    EXPECT_EQ(marker(), "") << "a refused action must not run";
  }

  ExecutorOptions options_;
  std::filesystem::path marker_;
  std::filesystem::path tree_pid_file_;
};

TEST_F(ExecutorTest, RunsActionAndStreamsOutput) {
  start(kCatalog, options_);
  auto r = request("test.echo");
  (*r.mutable_parameters())["text"] = "two words";
  auto result = run(r);
  ASSERT_FALSE(result.has_refused()) << result.refused().message();
  EXPECT_EQ(result.exit_code(), 0);
  EXPECT_EQ(result.signal(), 0);
  EXPECT_EQ(result.output(), "two words|second|");
  EXPECT_EQ(streamed_, result.output());
  EXPECT_FALSE(result.truncated());
  EXPECT_EQ(result.idempotency_key(), "k-1");
  EXPECT_EQ(result.action_id(), "test.echo");
  EXPECT_EQ(result.catalog_version(), 4u);
  EXPECT_GT(result.started_at_ms(), 0);
}

TEST_F(ExecutorTest, ReportsExitCodeAndStderr) {
  start(kCatalog, options_);
  auto result = run(request("test.exit3"));
  EXPECT_EQ(result.exit_code(), 3);
  EXPECT_EQ(result.output(), "failing\n");
}

TEST_F(ExecutorTest, RefusesWithoutCatalog) {
  start("", options_);
  expect_refused(run(request("test.touch")), "no_catalog");
}

TEST_F(ExecutorTest, RefusesActionNotInCatalog) {
  // What a relay that forges a request would send.
  start(kCatalog, options_);
  auto r = request("forged.rm_rf");
  (*r.mutable_parameters())["path"] = "/";
  expect_refused(run(r), "unknown_action");
}

TEST_F(ExecutorTest, RefusesOtherCatalogVersion) {
  start(kCatalog, options_);
  auto r = request("test.touch");
  (*r.mutable_parameters())["text"] = "x";
  r.set_catalog_version(3);
  expect_refused(run(r), "catalog_version_mismatch");
}

TEST_F(ExecutorTest, RefusesOtherPlatform) {
  start(kCatalog, options_);
  expect_refused(run(request("test.windows")), "wrong_platform");
}

TEST_F(ExecutorTest, RefusesParameterInjectionAndRunsNothing) {
  start(kCatalog, options_);
  const std::vector<std::pair<std::string, std::string>> attempts = {
      {"; rm -rf /", "shell_metacharacter"},
      {"$(id)", "shell_metacharacter"},
      {"`id`", "shell_metacharacter"},
      {"a\nb", "control_character"},
      {std::string("a\0b", 3), "control_character"},
      {"../../etc/passwd", "path_traversal"},
      {std::string(5000, 'a'), "too_long"},
      {"--output=/etc/passwd", "option_injection"},
  };
  int n = 0;
  for (const auto& [value, rule] : attempts) {
    auto r = request("test.touch", "inject-" + std::to_string(n++));
    (*r.mutable_parameters())["text"] = value;
    expect_refused(run(r), rule);
  }
  auto unknown = request("test.touch", "inject-unknown");
  (*unknown.mutable_parameters())["text"] = "ok";
  (*unknown.mutable_parameters())["extra"] = "1";
  expect_refused(run(unknown), "unknown_parameter");
  expect_refused(run(request("test.touch", "inject-missing")), "missing_parameter");
}

TEST_F(ExecutorTest, AsksConsentAndRunsWhenApproved) {
  consent_ = [](const ConsentRequest&, ConsentAnswer answer) { answer(true, ""); };
  start(kCatalog, options_);
  auto result = run(request("test.consent"));
  ASSERT_FALSE(result.has_refused()) << result.refused().message();
  EXPECT_EQ(marker(), "consented\n");
  ASSERT_EQ(consent_asked_.size(), 1u);
  EXPECT_EQ(consent_asked_[0].action_id, "test.consent");
  EXPECT_EQ(consent_asked_[0].requested_by, "tech1");
  EXPECT_EQ(consent_asked_[0].ticket_id, 7);
  EXPECT_EQ(consent_asked_[0].risk, v1::RISK_MEDIUM);
  ASSERT_EQ(consent_asked_[0].argv.size(), 2u);
  EXPECT_EQ(consent_asked_[0].argv[1], "consented");
}

TEST_F(ExecutorTest, RefusesWhenConsentDenied) {
  consent_ = [](const ConsentRequest&, ConsentAnswer answer) {
    answer(false, "declined by the user");
  };
  start(kCatalog, options_);
  auto result = run(request("test.consent"));
  expect_refused(result, "consent_denied");
  EXPECT_NE(result.refused().message().find("declined by the user"), std::string::npos);
}

TEST_F(ExecutorTest, PendingConsentEndsOnClose) {
  start(kCatalog, options_);  // the hook never answers
  std::optional<v1::ActionResult> result;
  executor_->run(request("test.consent"), Requester::kRelay, nullptr,
                 [&](const v1::ActionResult& r) { result = r; });
  EXPECT_FALSE(result.has_value());
  bool closed = false;
  executor_->close([&] { closed = true; });
  EXPECT_TRUE(closed);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->refused().rule(), "shutting_down");
  EXPECT_EQ(marker(), "");
  executor_.reset();
}

TEST_F(ExecutorTest, EndUserRunsOnlySelfServiceActionsWithoutPrompt) {
  start(kCatalog, options_);
  expect_refused(run(request("test.consent"), Requester::kEndUser), "not_self_service");
  auto r = request("test.touch", "k-2");
  (*r.mutable_parameters())["text"] = "mine";
  auto result = run(r, Requester::kEndUser);
  ASSERT_FALSE(result.has_refused()) << result.refused().message();
  EXPECT_EQ(marker(), "mine\n");
  EXPECT_TRUE(consent_asked_.empty());
}

TEST_F(ExecutorTest, TimeoutKillsChildAndGrandchild) {
  start(kCatalog, options_);
  auto result = run(request("test.tree"));
  ASSERT_FALSE(result.has_refused()) << result.refused().message();
  EXPECT_TRUE(result.timed_out());
  EXPECT_EQ(result.signal(), SIGTERM);
  EXPECT_EQ(result.output(), "started\n");
  auto pid_text = files::read(tree_pid_file_);
  ASSERT_TRUE(pid_text);
  pid_t grandchild = static_cast<pid_t>(std::stol(*pid_text));
  ASSERT_GT(grandchild, 1);
  // Gone, or a zombie waiting for a reaper that is not us: either way no
  // longer running. Bounded wait: the kernel delivers SIGKILL promptly.
  auto gone = [&] {
    std::ifstream stat("/proc/" + std::to_string(grandchild) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) return true;
    auto close_paren = line.rfind(')');
    return close_paren != std::string::npos && line.size() > close_paren + 2 &&
           (line[close_paren + 2] == 'Z' || line[close_paren + 2] == 'X');
  };
  EXPECT_TRUE(helpline::testing::wait_until(gone, std::chrono::seconds(10)))
      << "grandchild " << grandchild << " survived the timeout";
}

TEST_F(ExecutorTest, OutputAboveCapIsTruncatedAndMarked) {
  start(kCatalog, options_);
  auto result = run(request("test.flood"));
  EXPECT_EQ(result.exit_code(), 0);
  EXPECT_TRUE(result.truncated());
  EXPECT_EQ(result.output().size(), 1000u);
  EXPECT_EQ(streamed_.size(), 1000u);
}

TEST_F(ExecutorTest, EnvironmentIsScrubbedAndCwdIsRoot) {
  start(kCatalog, options_);
  auto env = run(request("test.env"));
  std::set<std::string> names;
  std::size_t start_of_line = 0;
  while (start_of_line < env.output().size()) {
    std::size_t end = env.output().find('\n', start_of_line);
    std::string line = env.output().substr(start_of_line, end - start_of_line);
    names.insert(line.substr(0, line.find('=')));
    start_of_line = end == std::string::npos ? env.output().size() : end + 1;
  }
  EXPECT_EQ(names, (std::set<std::string>{"PATH", "LC_ALL", "HOME", "USER", "LOGNAME"}))
      << env.output();
  EXPECT_NE(
      env.output().find("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"),
      std::string::npos);
  EXPECT_NE(env.output().find("USER=root\n"), std::string::npos);
  auto pwd = run(request("test.pwd", "k-2"));
  EXPECT_EQ(pwd.output(), "/\n");
}

TEST_F(ExecutorTest, RunsAsNamedUserWhenRoot) {
  if (::geteuid() != 0) GTEST_SKIP() << "switching users needs root";
  start(kCatalog, options_);
  auto result = run(request("test.as_nobody"));
  ASSERT_FALSE(result.has_refused()) << result.refused().message();
  EXPECT_EQ(result.output(), "65534\n");
}

TEST_F(ExecutorTest, RefusesUserSwitchWhenNotRoot) {
  options_.agent_uid = 1001;
  start(kCatalog, options_);
  expect_refused(run(request("test.as_nobody")), "cannot_switch_user");
  expect_refused(run(request("test.echo", "k-2")), "missing_parameter");
  auto r = request("test.touch", "k-3");
  (*r.mutable_parameters())["text"] = "x";
  expect_refused(run(r), "cannot_switch_user");  // run_as root
}

TEST_F(ExecutorTest, LoggedInUserActionsNeedASession) {
  start(kCatalog, options_);
  expect_refused(run(request("test.as_session")), "no_logged_in_user");
}

TEST_F(ExecutorTest, SameKeyNeverRunsTwice) {
  start(kCatalog, options_);
  auto r = request("test.touch", "once");
  (*r.mutable_parameters())["text"] = "run";
  auto first = run(r);
  ASSERT_FALSE(first.has_refused());
  auto second = run(r);
  EXPECT_EQ(second.SerializeAsString(), first.SerializeAsString());
  EXPECT_EQ(streamed_, "");  // a repeat streams nothing
  restart(options_);
  auto third = run(r);
  EXPECT_EQ(third.SerializeAsString(), first.SerializeAsString());
  EXPECT_EQ(marker(), "run\n");
}

TEST_F(ExecutorTest, RefusesKeyReusedForAnotherRequest) {
  start(kCatalog, options_);
  auto r = request("test.touch", "reused");
  (*r.mutable_parameters())["text"] = "a";
  ASSERT_FALSE(run(r).has_refused());
  (*r.mutable_parameters())["text"] = "b";
  auto result = run(r);
  ASSERT_TRUE(result.has_refused());
  EXPECT_EQ(result.refused().rule(), "idempotency_conflict");
  EXPECT_EQ(marker(), "a\n");
}

TEST_F(ExecutorTest, RepeatWhileRunningWaitsForTheFirstResult) {
  start(kCatalog, options_);
  auto r = request("test.touch", "twice");
  (*r.mutable_parameters())["text"] = "once";
  std::vector<v1::ActionResult> results;
  for (int i = 0; i < 2; ++i) {
    executor_->run(r, Requester::kRelay, nullptr,
                   [&](const v1::ActionResult& done) { results.push_back(done); });
  }
  uv_run(&loop_, UV_RUN_DEFAULT);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].SerializeAsString(), results[1].SerializeAsString());
  EXPECT_EQ(marker(), "once\n");
}

TEST_F(ExecutorTest, InterruptedActionIsNotRunAgain) {
  start(kCatalog, options_);
  auto r = request("test.touch", "crashed");
  (*r.mutable_parameters())["text"] = "x";
  // What the executor writes before spawning, left behind by a crash.
  v1::ActionResult marker_record;
  marker_record.set_idempotency_key("crashed");
  marker_record.mutable_refused()->set_rule(std::string(kInterruptedRule));
  marker_record.mutable_refused()->set_message("the agent stopped");
  ASSERT_TRUE(records_->put("crashed", request_fingerprint(r), marker_record));
  restart(options_);
  expect_refused(run(r), "interrupted");
}

TEST_F(ExecutorTest, RefusesBadIdempotencyKey) {
  start(kCatalog, options_);
  expect_refused(run(request("test.touch", "")), "bad_request");
  expect_refused(run(request("test.touch", "has space")), "bad_request");
}

// The local audit hears of every decision once: a run as start and end
// (with the argv as run and the account), a refusal with what would have
// run, nothing for a repeat answered from the records.
TEST_F(ExecutorTest, TellsTheAuditHookOfEveryDecisionOnce) {
  struct Seen {
    ActionEvent::Kind kind;
    std::string action;
    Requester requester;
    std::vector<std::string> argv;
    std::string run_as;
    std::string rule;  // refusals
    std::int64_t exit_code = -1;
  };
  std::vector<Seen> seen;
  options_.on_event = [&](const ActionEvent& e) {
    seen.push_back({e.kind, e.request.action_id(), e.requester, e.argv, e.run_as,
                    e.result != nullptr ? e.result->refused().rule() : "",
                    e.result != nullptr ? e.result->exit_code() : -1});
  };
  consent_ = [](const ConsentRequest&, ConsentAnswer answer) { answer(false, "declined"); };
  start(kCatalog, options_);

  auto echo = request("test.echo", "k-echo");
  (*echo.mutable_parameters())["text"] = "hi";
  ASSERT_FALSE(run(echo).has_refused());
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].kind, ActionEvent::Kind::kStarted);
  EXPECT_EQ(seen[0].action, "test.echo");
  EXPECT_EQ(seen[0].requester, Requester::kRelay);
  EXPECT_EQ(seen[0].argv, (std::vector<std::string>{"/usr/bin/printf", "%s|", "hi", "second"}));
  EXPECT_FALSE(seen[0].run_as.empty());
  EXPECT_EQ(seen[1].kind, ActionEvent::Kind::kEnded);
  EXPECT_EQ(seen[1].exit_code, 0);

  (void)run(echo);  // a repeat: answered from the records
  EXPECT_EQ(seen.size(), 2u);

  auto injected = request("test.echo", "k-bad");
  (*injected.mutable_parameters())["text"] = "$(id)";
  expect_refused(run(injected), "shell_metacharacter");
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[2].kind, ActionEvent::Kind::kRefused);
  EXPECT_EQ(seen[2].rule, "shell_metacharacter");
  EXPECT_TRUE(seen[2].argv.empty()) << "refused before its parameters were accepted";

  expect_refused(run(request("test.consent", "k-consent")), "consent_denied");
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[3].kind, ActionEvent::Kind::kRefused);
  EXPECT_EQ(seen[3].rule, "consent_denied");
  EXPECT_EQ(seen[3].argv, (std::vector<std::string>{"/opt/fake/touch", "consented"}));

  auto fix = request("test.touch", "k-fix");
  (*fix.mutable_parameters())["text"] = "mine";
  ASSERT_FALSE(run(fix, Requester::kEndUser).has_refused());
  ASSERT_EQ(seen.size(), 6u);
  EXPECT_EQ(seen[4].requester, Requester::kEndUser);
  EXPECT_EQ(seen[5].kind, ActionEvent::Kind::kEnded);
}

}  // namespace
}  // namespace helpline::agent::actions
