// A compromised relay writes a forged ActionRequest straight onto a real
// agent link (real TLS and multiplexer against a scripted relay on the same
// loop): the agent refuses it by rule and runs nothing, while an action of
// its signed catalog still runs.
#include <gtest/gtest.h>

#include <optional>

#include "agent/cli/action_wiring.h"
#include "tests/unit/agent/actions/actions_test_util.h"
#include "tests/unit/agent/agent_test_support.h"
#include "tests/unit/agent/fake_relay.h"

namespace helpline::agent {
namespace {

using actions::testing::OrgKey;
using std::chrono::milliseconds;

// The agent's signed catalog: one harmless action.
constexpr std::string_view kCatalog = R"(
version = 7
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
pattern = "[a-z]*"
description = "The word"
)";

v1::Frame action_frame(std::uint64_t id, const std::string& action, const std::string& word) {
  v1::Frame frame;
  v1::ActionRequest* a = frame.mutable_request()->mutable_action();
  frame.mutable_request()->set_id(id);
  a->set_idempotency_key("forged-" + std::to_string(id));
  a->set_action_id(action);
  a->set_catalog_version(7);
  (*a->mutable_parameters())["word"] = word;
  a->set_requested_by("mallory");
  return frame;
}

TEST(ForgedOnTheTunnel, ActionsOutsideTheCatalogOrWithInjectedValuesAreRefused) {
  uv_loop_t loop{};
  ASSERT_EQ(uv_loop_init(&loop), 0);
  testing::TempDir dir;
  auto server_context = testing::ok(tls::make_server_context(tls::ServerConfig{
      testing::pki().server, testing::pki().ca_pem, tls::ClientCertMode::kOptional}));
  std::optional<testing::FakeRelay> relay;
  relay.emplace(&loop, server_context.get());

  OrgKey key = OrgKey::make();
  auto runtime = testing::ok(ActionRuntime::open(&loop, dir.path()));
  ASSERT_TRUE(runtime->catalogs().pin_org_key(key.public_pem, actions::PinSource::kEnroll, 1));
  ASSERT_TRUE(runtime->catalogs().install(key.sign(kCatalog), "", 2));

  LinkConfig config;
  config.state = testing::make_state(dir.path(), relay->port());
  config.host = HostInfo{"testhost", "linux-test", "Test OS 1"};
  auto link = testing::ok(Link::create(&loop, std::move(config)));
  runtime->attach(*link);

  std::map<std::uint64_t, v1::Response> answers;
  const std::vector<std::pair<std::string, std::string>> forged{
      {"shell.run", "id"},              // not in the catalog
      {"test.echo", "x; touch /tmp/p"}, // shell metacharacters
      {"test.echo", "$(id)"},
      {"test.echo", "hello"},           // the real thing still works
  };
  relay->on_control = [&](testing::FakeRelay::Connection& c, const v1::Frame& frame) {
    if (frame.has_hello()) {
      v1::Frame ack;
      ack.mutable_hello_ack()->set_relay_version("forger");
      c.send(std::move(ack));
      for (std::size_t i = 0; i < forged.size(); ++i) {
        c.send(action_frame(10 + i, forged[i].first, forged[i].second));
      }
    } else if (frame.has_response()) {
      answers[frame.response().id()] = frame.response();
      if (answers.size() == forged.size()) link->stop();
    }
  };
  link->set_on_stopped([&] {
    runtime->close(nullptr);
    relay->stop_listening();
  });
  link->start();
  testing::run_loop_bounded(&loop, [&] {
    link->stop();
    relay->close();
  });

  ASSERT_EQ(answers.size(), forged.size());
  EXPECT_EQ(answers[10].action().refused().rule(), "unknown_action");
  EXPECT_EQ(answers[11].action().refused().rule(), "shell_metacharacter");
  EXPECT_EQ(answers[12].action().refused().rule(), "shell_metacharacter");
  EXPECT_FALSE(answers[13].action().has_refused());
  EXPECT_EQ(answers[13].action().output(), "hello\n");

  link.reset();
  runtime.reset();
  relay.reset();
  EXPECT_EQ(uv_loop_close(&loop), 0) << "a libuv handle was left open";
}

}  // namespace
}  // namespace helpline::agent
