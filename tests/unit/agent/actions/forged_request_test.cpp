// The daemon's handlers for what the relay sends (agent/cli/action_wiring.h),
// fed straight through the link's RequestDispatcher as a compromised relay
// would write them onto the tunnel: a forged action, forged parameters, and
// catalogs that are tampered, foreign or older are all refused by rule, and
// nothing runs.
#include <gtest/gtest.h>

#include <optional>

#include "agent/cli/action_wiring.h"
#include "tests/unit/agent/actions/actions_test_util.h"

namespace helpline::agent {
namespace {

using actions::testing::OrgKey;

constexpr std::string_view kCatalog = R"(
version = 3
issuer = "unit"

[[action]]
id = "test.echo"
title = "Say a word"
description = "Prints a word."
platforms = ["linux"]
risk = "low"
argv = ["/bin/echo", "{word}"]
timeout = "10s"
max_output_bytes = 4096

[action.params.word]
type = "string"
pattern = "[ -~]*"
description = "The word"
)";

[[nodiscard]] std::string with_version(int version) {
  std::string text(kCatalog);
  text.replace(text.find("version = 3"), 11, "version = " + std::to_string(version));
  return text;
}

class ForgedRequests : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    auto runtime = ActionRuntime::open(&loop_, state_.path());
    ASSERT_TRUE(runtime) << runtime.error().to_string();
    runtime_ = std::move(*runtime);
    ASSERT_TRUE(runtime_->catalogs().pin_org_key(key_.public_pem, actions::PinSource::kEnroll, 1));
    runtime_->add_handlers(dispatcher_);
    v1::Response installed = send(offer(key_.sign(kCatalog)));
    ASSERT_FALSE(installed.has_error()) << installed.error().message();
    ASSERT_EQ(installed.catalog_offer().installed_version(), 3u);
  }

  void TearDown() override {
    bool closed = false;
    runtime_->close([&] { closed = true; });
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_TRUE(closed);
    runtime_.reset();
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }

  [[nodiscard]] static v1::Request offer(std::string signed_bytes) {
    v1::Request request;
    request.set_id(1);
    request.mutable_catalog_offer()->set_signed_catalog(std::move(signed_bytes));
    return request;
  }

  // Dispatches and runs the loop until the one Response came.
  v1::Response send(const v1::Request& request) {
    std::optional<v1::Response> answer;
    dispatcher_.dispatch(request, [&](v1::Response r) { answer = std::move(r); });
    while (!answer && uv_run(&loop_, UV_RUN_ONCE) != 0) {
    }
    EXPECT_TRUE(answer.has_value());
    return answer.value_or(v1::Response());
  }

  [[nodiscard]] v1::ActionResult run(const std::string& action, const std::string& word) {
    v1::Request request;
    request.set_id(2);
    v1::ActionRequest* a = request.mutable_action();
    a->set_idempotency_key("forged-" + std::to_string(++keys_));
    a->set_action_id(action);
    a->set_catalog_version(3);
    (*a->mutable_parameters())["word"] = word;
    a->set_requested_by("mallory");
    return send(request).action();
  }

  helpline::testing::TempDir state_{"forged"};
  uv_loop_t loop_{};
  OrgKey key_ = OrgKey::make();
  std::unique_ptr<ActionRuntime> runtime_;
  RequestDispatcher dispatcher_;
  int keys_ = 0;
};

TEST_F(ForgedRequests, ActionOutsideTheSignedCatalogIsRefused) {
  v1::ActionResult result = run("shell.run", "id");
  ASSERT_TRUE(result.has_refused());
  EXPECT_EQ(result.refused().rule(), "unknown_action");
}

TEST_F(ForgedRequests, InjectedParameterIsRefusedByRule) {
  EXPECT_EQ(run("test.echo", "x; rm -rf /").refused().rule(), "shell_metacharacter");
  EXPECT_EQ(run("test.echo", "$(id)").refused().rule(), "shell_metacharacter");
  EXPECT_EQ(run("test.echo", "../../etc/shadow").refused().rule(), "path_traversal");
  v1::ActionResult ok = run("test.echo", "hello");
  EXPECT_FALSE(ok.has_refused());
  EXPECT_EQ(ok.output(), "hello\n");
}

TEST_F(ForgedRequests, TamperedForeignAndOlderCatalogsAreRefused) {
  std::string tampered = key_.sign(with_version(4));
  tampered[tampered.size() / 2] = static_cast<char>(tampered[tampered.size() / 2] ^ 0x01);
  v1::Response bad = send(offer(tampered));
  ASSERT_TRUE(bad.has_error());
  EXPECT_TRUE(bad.error().code() == "bad_signature" || bad.error().code() == "bad_catalog")
      << bad.error().code();

  OrgKey other = OrgKey::make();
  v1::Request foreign = offer(other.sign(with_version(5)));
  foreign.mutable_catalog_offer()->set_org_key_pem(other.public_pem);
  EXPECT_EQ(send(foreign).error().code(), "wrong_key") << "the relay's key never replaces a pin";

  EXPECT_EQ(send(offer(key_.sign(with_version(2)))).error().code(), "older_version");
  EXPECT_EQ(runtime_->catalogs().version(), 3u) << "what is installed is untouched";
}

TEST(ActionWiring, ResultOutputIsCappedToOneFrame) {
  v1::ActionResult result;
  result.set_output(std::string(kMaxResultOutput + 10, 'x'));
  cap_result_output(result);
  EXPECT_EQ(result.output().size(), kMaxResultOutput);
  EXPECT_TRUE(result.truncated());
}

TEST(ActionWiring, TestProgramOverridesParseAndRejectRelativePaths) {
  auto parsed = parse_program_overrides("/usr/bin/a=/tmp/x;/usr/bin/b=/tmp/y");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->at("/usr/bin/a"), "/tmp/x");
  EXPECT_EQ(parsed->size(), 2u);
  EXPECT_FALSE(parse_program_overrides("a=/tmp/x"));
  EXPECT_FALSE(parse_program_overrides("/usr/bin/a"));
}

// The local audit's words for an action: who (the technician, or the
// end user as user:<login>), what exactly ran, and how it ended; an
// argument with a space, a quote or a control character is shown as a
// JSON string so that no two argvs read the same.
TEST(ActionWiring, AuditEntriesNameTheActorTheExactArgvAndTheOutcome) {
  v1::ActionRequest request;
  request.set_action_id("systemd.restart_unit");
  request.set_catalog_version(3);
  request.set_idempotency_key("alice/k1");
  request.set_requested_by("alice");
  request.set_ticket_id(12);
  const std::vector<std::string> argv = {"/usr/bin/systemctl", "restart", "a b", "x\"y\n", ""};
  const std::string account = "root";
  using Kind = actions::ActionEvent::Kind;

  auto start = action_audit_entry(
      {Kind::kStarted, request, actions::Requester::kRelay, argv, account, nullptr});
  EXPECT_EQ(start.event, "action.start");
  EXPECT_EQ(start.actor, "alice");
  EXPECT_EQ(start.ticket, 12);
  EXPECT_EQ(start.detail,
            "systemd.restart_unit (catalog v3, key alice/k1) as root: /usr/bin/systemctl restart "
            "\"a b\" \"x\\\"y\\n\" \"\"");

  v1::ActionResult ended;
  ended.set_exit_code(1);
  ended.set_signal(9);
  ended.set_timed_out(true);
  ended.set_duration_ms(1500);
  auto end = action_audit_entry(
      {Kind::kEnded, request, actions::Requester::kRelay, argv, account, &ended});
  EXPECT_EQ(end.event, "action.end");
  EXPECT_EQ(end.detail,
            "systemd.restart_unit (catalog v3, key alice/k1): exit 1, signal 9, timed out, 1500 ms");

  v1::ActionResult refused;
  refused.mutable_refused()->set_rule("consent_denied");
  refused.mutable_refused()->set_message("declined by the user");
  request.set_requested_by("sam");
  auto no = action_audit_entry(
      {Kind::kRefused, request, actions::Requester::kEndUser, {}, "", &refused});
  EXPECT_EQ(no.event, "action.refused");
  EXPECT_EQ(no.actor, "user:sam");
  EXPECT_EQ(no.detail,
            "systemd.restart_unit (catalog v3, key alice/k1): refused (consent_denied): declined by "
            "the user");
}

}  // namespace
}  // namespace helpline::agent
