// Enrollment through the real agent and relay: the CA pin, single- and
// multi-use tokens, revoked and expired tokens.
#include <gmock/gmock.h>

#include <filesystem>

#include "tests/e2e/relay_fixture.h"

namespace helpline::e2e {
namespace {

namespace fs = std::filesystem;
using helpline::testing::wait_until;
using ::testing::HasSubstr;

using Enrollment = RelayFixture;

// The same pin with its last hex digit changed: well-formed, but not ours.
[[nodiscard]] std::string other_pin(const std::string& pin) {
  std::string wrong = pin;
  wrong.back() = wrong.back() == '0' ? '1' : '0';
  return wrong;
}

void expect_not_enrolled(const fs::path& state) {
  for (const char* file : {"agent.toml", "key.pem", "cert.pem"}) {
    EXPECT_FALSE(fs::exists(state / file)) << (state / file) << " was written";
  }
}

TEST_F(Enrollment, EnrollWithWrongCaPinIsRefused) {
  EnrollToken token = create_token();
  ASSERT_FALSE(token.token.empty());
  const fs::path state = path_for("pc1");

  RunResult refused = enroll(state, token.token, other_pin(ca_pin()));
  EXPECT_NE(refused.exit_code, 0) << refused.describe();
  EXPECT_THAT(refused.err, HasSubstr("does not match"));
  expect_not_enrolled(state);

  // The refused attempt never reached the token: it still works once.
  RunResult enrolled = enroll(state, token.token);
  EXPECT_EQ(enrolled.exit_code, 0) << enrolled.describe();
  EXPECT_TRUE(fs::exists(state / "cert.pem"));
}

TEST_F(Enrollment, ReusedSingleUseTokenIsRefused) {
  EnrollToken once = create_token();
  ASSERT_FALSE(once.token.empty());
  RunResult first = enroll(path_for("pc1"), once.token);
  ASSERT_EQ(first.exit_code, 0) << first.describe();
  RunResult again = enroll(path_for("pc2"), once.token);
  EXPECT_NE(again.exit_code, 0) << again.describe();
  EXPECT_THAT(again.err, HasSubstr("already been used"));
  expect_not_enrolled(path_for("pc2"));

  EnrollToken twice = create_token({"--uses", "2"});
  ASSERT_FALSE(twice.token.empty());
  RunResult a = enroll(path_for("pc3"), twice.token);
  EXPECT_EQ(a.exit_code, 0) << a.describe();
  RunResult b = enroll(path_for("pc4"), twice.token);
  EXPECT_EQ(b.exit_code, 0) << b.describe();
  RunResult c = enroll(path_for("pc5"), twice.token);
  EXPECT_NE(c.exit_code, 0) << c.describe();
  EXPECT_THAT(c.err, HasSubstr("already been used 2 of 2 times"));
  EXPECT_EQ(devices().size(), 3u);
}

TEST_F(Enrollment, ExpiredOrRevokedTokenIsRefused) {
  EnrollToken revoked = create_token();
  ASSERT_FALSE(revoked.id.empty());
  RunResult revoke = cli({"enroll-token", "revoke", revoked.id});
  ASSERT_EQ(revoke.exit_code, 0) << revoke.describe();
  RunResult refused = enroll(path_for("pc1"), revoked.token);
  EXPECT_NE(refused.exit_code, 0) << refused.describe();
  EXPECT_THAT(refused.err, HasSubstr("revoked"));
  expect_not_enrolled(path_for("pc1"));

  // A token that expires in 1 s and has uses to spare: enroll with it until
  // the relay says no (an attempt within the first second may still work),
  // then the reason must be the expiry.
  EnrollToken short_lived = create_token({"--expires", "1s", "--uses", "100"});
  ASSERT_FALSE(short_lived.token.empty());
  int attempt = 0;
  RunResult last;
  bool refused_in_time = wait_until(
      [&] {
        last = enroll(path_for("late-" + std::to_string(++attempt)), short_lived.token);
        return last.exit_code != 0;
      },
      10s, kPoll);
  ASSERT_TRUE(refused_in_time) << "the token still worked after " << attempt << " attempts";
  EXPECT_THAT(last.err, HasSubstr("expired")) << last.describe();
  expect_not_enrolled(path_for("late-" + std::to_string(attempt)));
}

// The package's purge runs `helpline-agent retire` with the daemon stopped:
// the relay marks the device retired (and revoked), so its certificate is
// refused from then on. A second retire finds it revoked.
TEST_F(Enrollment, RetiredDeviceIsMarkedAndRefused) {
  EnrolledAgent pc = enroll_agent("pc1");
  ASSERT_FALSE(pc.device_id.empty());
  helpline::testing::Process* agent = start_agent(pc);
  ASSERT_NE(agent, nullptr);
  ASSERT_TRUE(wait_online(pc.device_id, kOnlineTimeout));
  bool killed = false;
  EXPECT_EQ(agent->terminate(kStopGrace, &killed), 0);

  RunResult retired = agent_command(
      {"retire", "--state", pc.state.string(), "--reason", "package purged", "--json"});
  ASSERT_EQ(retired.exit_code, 0) << retired.describe();
  auto parsed = helpline::testing::parse_json_object(retired.out);
  ASSERT_TRUE(parsed) << retired.out;
  EXPECT_EQ(helpline::testing::json_field_string(*parsed, "device_id"), pc.device_id);
  EXPECT_FALSE(helpline::testing::json_field_string(*parsed, "retired_at").empty());

  auto listed = device(pc.device_id);
  ASSERT_TRUE(listed.has_value());
  EXPECT_EQ(helpline::testing::json_field_bool(*listed, "revoked"), true);
  EXPECT_FALSE(helpline::testing::json_field_string(*listed, "retired_at").empty());

  RunResult again = agent_command({"retire", "--state", pc.state.string()});
  EXPECT_NE(again.exit_code, 0);
  EXPECT_THAT(again.err, ::testing::HasSubstr("revoked"));

  // Both ends of the device's life are in the relay's audit log.
  RunResult audit = cli({"audit", "list", "--device", pc.device_id});
  ASSERT_EQ(audit.exit_code, 0) << audit.describe();
  EXPECT_THAT(audit.out, ::testing::HasSubstr("device.enroll"));
  EXPECT_THAT(audit.out, ::testing::HasSubstr("with token et_"));
  EXPECT_THAT(audit.out, ::testing::HasSubstr("device.retire"));
  EXPECT_THAT(audit.out, ::testing::HasSubstr("package purged"));
}

}  // namespace
}  // namespace helpline::e2e
