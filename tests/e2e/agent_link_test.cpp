// A real agent's link to a real relay: coming online, surviving a relay
// restart, and being cut off by revocation.
#include <gmock/gmock.h>
#include <unistd.h>

#include "tests/e2e/relay_fixture.h"

namespace helpline::e2e {
namespace {

using helpline::testing::json_field_bool;
using helpline::testing::json_field_string;
using helpline::testing::parse_json_object;
using helpline::testing::TlsTestClient;
using helpline::testing::wait_until;
using ::testing::HasSubstr;

using AgentLink = RelayFixture;

[[nodiscard]] std::string local_hostname() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return {};
  return name;
}

TEST_F(AgentLink, EnrolledAgentComesOnlineWithinFiveSeconds) {
  EnrolledAgent pc = enroll_agent("pc1");
  ASSERT_FALSE(pc.device_id.empty());
  auto* agent = start_agent(pc);
  ASSERT_NE(agent, nullptr);

  ASSERT_TRUE(wait_online(pc.device_id, kOnlineTimeout))
      << pc.device_id << " not online within " << kOnlineTimeout.count() << " ms";
  auto listed = device(pc.device_id);
  ASSERT_TRUE(listed.has_value());
  EXPECT_EQ(json_field_string(*listed, "hostname"), local_hostname());
  EXPECT_EQ(json_field_bool(*listed, "online"), true);
  EXPECT_EQ(json_field_bool(*listed, "revoked"), false);
  EXPECT_EQ(json_field_string(*listed, "group"), "default");
  EXPECT_FALSE(json_field_string(*listed, "last_seen").empty());

  RunResult shown = cli({"devices", "show", pc.device_id, "--json"});
  ASSERT_EQ(shown.exit_code, 0) << shown.describe();
  auto one = parse_json_object(shown.out);
  ASSERT_TRUE(one) << one.error().message;
  EXPECT_EQ(json_field_string(*one, "id"), pc.device_id);
  EXPECT_EQ(json_field_bool(*one, "online"), true);

  // The agent reports the link in status.json a moment after the relay
  // registers it: poll, bounded.
  std::string last_status;
  bool connected = wait_until(
      [&] {
        RunResult status = agent_command({"status", "--state", pc.state.string(), "--json"});
        last_status = status.describe();
        auto parsed = parse_json_object(status.out);
        return status.exit_code == 0 && parsed && json_field_bool(*parsed, "connected") == true &&
               json_field_string(*parsed, "device_id") == pc.device_id;
      },
      kOnlineTimeout, kPoll);
  EXPECT_TRUE(connected) << last_status;

  EXPECT_TRUE(ping(pc.device_id));

  RunResult health = cli({"status", "--json"});
  ASSERT_EQ(health.exit_code, 0) << health.describe();
  auto parsed = parse_json_object(health.out);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(helpline::testing::json_field_number(*parsed, "agents_online"), 1.0) << health.out;
  EXPECT_TRUE(agent->running());
}

TEST_F(AgentLink, AgentReconnectsAfterRelayRestart) {
  EnrolledAgent pc = enroll_agent("pc1");
  ASSERT_FALSE(pc.device_id.empty());
  auto* agent = start_agent(pc);
  ASSERT_NE(agent, nullptr);
  ASSERT_TRUE(wait_online(pc.device_id, kOnlineTimeout));

  ASSERT_NO_FATAL_FAILURE(restart_relay());

  EXPECT_TRUE(wait_online(pc.device_id, kReconnectTimeout))
      << "not back online within " << kReconnectTimeout.count() << " ms of the relay restart";
  EXPECT_TRUE(agent->running()) << "the agent exited with " << agent->exit_status().value_or(-1);
  auto all = devices();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(json_field_string(all[0], "id"), pc.device_id);
  EXPECT_TRUE(ping(pc.device_id));

  RunResult status = agent_command({"status", "--state", pc.state.string(), "--json"});
  auto parsed = parse_json_object(status.out);
  ASSERT_TRUE(parsed) << status.describe();
  EXPECT_EQ(json_field_string(*parsed, "device_id"), pc.device_id);
}

TEST_F(AgentLink, RevokedDeviceIsRefused) {
  EnrolledAgent pc = enroll_agent("pc1");
  ASSERT_FALSE(pc.device_id.empty());
  auto* agent = start_agent(pc);
  ASSERT_NE(agent, nullptr);
  ASSERT_TRUE(wait_online(pc.device_id, kOnlineTimeout));

  RunResult revoked = cli({"devices", "revoke", pc.device_id});
  ASSERT_EQ(revoked.exit_code, 0) << revoked.describe();
  RunResult audit = cli({"audit", "list", "--device", pc.device_id});
  EXPECT_THAT(audit.out, HasSubstr("device.revoke"));

  auto status = agent->wait_exit(kOnlineTimeout);
  ASSERT_TRUE(status.has_value()) << "the revoked agent is still running";
  EXPECT_EQ(*status, kExitRevoked);
  EXPECT_THAT(agent->stderr_text(), HasSubstr("revoked"));

  EXPECT_TRUE(wait_online(pc.device_id, kOnlineTimeout, /*online=*/false));
  auto listed = device(pc.device_id);
  ASSERT_TRUE(listed.has_value());
  EXPECT_EQ(json_field_bool(*listed, "revoked"), true);
  EXPECT_EQ(json_field_bool(*listed, "online"), false);

  // The certificate itself is refused from now on, whoever presents it. A
  // handshake that fails outright is a refusal too.
  auto client = TlsTestClient::connect(raw_client_options(&pc));
  if (client) {
    (void)client->send_frame(hello_frame(pc.device_id));  // may fail: already closed
    auto closed = client->read_until_closed(kOnlineTimeout);
    EXPECT_TRUE(closed.closed) << closed.detail;
    for (const auto& frame : closed.frames) {
      EXPECT_FALSE(frame.has_hello_ack()) << "a revoked device got a HelloAck";
      if (frame.has_goodbye()) {
        EXPECT_EQ(frame.goodbye().error().code(), "revoked");
      }
    }
  }
  EXPECT_TRUE(relay_running());
}

}  // namespace
}  // namespace helpline::e2e
