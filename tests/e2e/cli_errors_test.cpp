// Bad input to the three binaries gets a non-zero exit and a reason a person
// can act on, and destroys nothing; roles hold through the real CLI.
#include <gmock/gmock.h>

#include <filesystem>
#include <fstream>

#include "tests/e2e/relay_fixture.h"

namespace helpline::e2e {
namespace {

namespace fs = std::filesystem;
using helpline::testing::json_field_bool;
using helpline::testing::json_field_object;
using helpline::testing::json_field_string;
using helpline::testing::parse_json_object;
using helpline::testing::read_text_file;
using ::testing::HasSubstr;
using ::testing::StartsWith;

using BadInput = RelayFixture;
using Roles = RelayFixture;

// A file's bytes and modification time, to show it was left alone.
struct Snapshot {
  std::string bytes;
  fs::file_time_type mtime;

  static Snapshot of(const fs::path& path) {
    std::error_code ec;
    return {read_text_file(path), fs::last_write_time(path, ec)};
  }
  friend bool operator==(const Snapshot&, const Snapshot&) = default;
};

TEST_F(BadInput, CliRefusesBadUrlPinAndCommand) {
  const fs::path config = path_for("cli.toml");
  RunResult bad_url = cli_with(
      config, {"login", "--url", "ftp://127.0.0.1", "--ca-pin", ca_pin(), "--user", "admin"},
      "secret");
  EXPECT_NE(bad_url.exit_code, 0) << bad_url.describe();
  EXPECT_THAT(bad_url.err, StartsWith("helpline: "));
  EXPECT_THAT(bad_url.err, HasSubstr("URL"));

  // Port 1 on loopback: nothing listens there.
  RunResult unreachable = cli_with(
      config, {"login", "--url", "https://127.0.0.1:1", "--ca-pin", ca_pin(), "--user", "admin"},
      "secret");
  EXPECT_NE(unreachable.exit_code, 0) << unreachable.describe();
  EXPECT_THAT(unreachable.err, StartsWith("helpline: "));

  RunResult bad_pin = cli_with(
      config, {"login", "--url", api_url(), "--ca-pin", "SHA256:not-hex", "--user", "admin"},
      "secret");
  EXPECT_NE(bad_pin.exit_code, 0) << bad_pin.describe();
  EXPECT_THAT(bad_pin.err, StartsWith("helpline: "));
  EXPECT_THAT(bad_pin.err, HasSubstr("pin"));
  EXPECT_FALSE(fs::exists(config)) << "a failed login wrote a config file";

  // Usage errors come from the argument parser, in its words.
  RunResult unknown = cli({"frobnicate"});
  EXPECT_NE(unknown.exit_code, 0) << unknown.describe();
  EXPECT_THAT(unknown.err, HasSubstr("subcommand"));
  RunResult unknown_sub = cli({"devices", "frobnicate"});
  EXPECT_NE(unknown_sub.exit_code, 0) << unknown_sub.describe();
  EXPECT_THAT(unknown_sub.err, HasSubstr("frobnicate"));
}

TEST_F(BadInput, RelayInitRefusesExistingDataDir) {
  // A second, idle data dir, so that no running relay touches the database
  // while its bytes are compared.
  const fs::path other = path_for("other-relay");
  RunResult made = relay_command({"init", "--data", other.string(), "--json"});
  ASSERT_EQ(made.exit_code, 0) << made.describe();
  const Snapshot db = Snapshot::of(other / "relay.db");
  const Snapshot key = Snapshot::of(other / "ca.key");
  ASSERT_FALSE(db.bytes.empty());

  RunResult again = relay_command({"init", "--data", other.string(), "--json"});
  EXPECT_EQ(again.exit_code, 1) << again.describe();
  EXPECT_THAT(again.err, HasSubstr("already exists"));
  EXPECT_TRUE(again.out.empty()) << again.out;
  EXPECT_TRUE(Snapshot::of(other / "relay.db") == db) << "relay.db changed";
  EXPECT_TRUE(Snapshot::of(other / "ca.key") == key) << "ca.key changed";

  // The running relay's own dir is refused the same way, and keeps serving.
  RunResult live = relay_command({"init", "--data", data_dir().string()});
  EXPECT_EQ(live.exit_code, 1) << live.describe();
  EXPECT_THAT(live.err, HasSubstr("already exists"));
  RunResult status = cli({"status", "--json"});
  EXPECT_EQ(status.exit_code, 0) << status.describe();
}

TEST_F(BadInput, AgentNamesCorruptConfigAndBadRelayAddress) {
  const fs::path state = path_for("broken");
  fs::create_directories(state);
  fs::permissions(state, fs::perms::owner_all, fs::perm_options::replace);
  {
    std::ofstream out(state / "agent.toml");
    out << "relay = [[[ this is not toml\n";
  }
  RunResult status = agent_command({"status", "--state", state.string(), "--json"});
  EXPECT_NE(status.exit_code, 0) << status.describe();
  EXPECT_THAT(status.err, HasSubstr("agent.toml"));

  EnrollToken token = create_token();
  ASSERT_FALSE(token.token.empty());
  const fs::path fresh = path_for("fresh");
  RunResult bad_relay = agent_command({"enroll", "--relay", "no-port-here", "--token", token.token,
                                       "--ca-pin", ca_pin(), "--state", fresh.string()});
  EXPECT_NE(bad_relay.exit_code, 0) << bad_relay.describe();
  EXPECT_THAT(bad_relay.err, HasSubstr("--relay"));
  EXPECT_FALSE(fs::exists(fresh / "agent.toml"));

  // The token was not spent by the refused command.
  RunResult good = enroll(fresh, token.token);
  EXPECT_EQ(good.exit_code, 0) << good.describe();
}

TEST_F(Roles, ViewerCannotRevoke) {
  EnrolledAgent pc = enroll_agent("pc1");
  ASSERT_FALSE(pc.device_id.empty());

  RunResult added = cli({"user", "add", "vera", "--role", "viewer", "--json"});
  ASSERT_EQ(added.exit_code, 0) << added.describe();
  auto created = parse_json_object(added.out);
  ASSERT_TRUE(created) << created.error().message;
  const std::string password = json_field_string(*created, "password");
  ASSERT_FALSE(password.empty()) << added.out;
  auto user = json_field_object(*created, "user");
  ASSERT_TRUE(user.has_value()) << added.out;
  EXPECT_EQ(json_field_string(*user, "role"), "viewer");

  const fs::path viewer = path_for("viewer.toml");
  RunResult login = cli_with(
      viewer, {"login", "--url", api_url(), "--ca-pin", ca_pin(), "--user", "vera"}, password);
  ASSERT_EQ(login.exit_code, 0) << login.describe();

  RunResult listed = cli_with(viewer, {"devices", "--json"});
  EXPECT_EQ(listed.exit_code, 0) << listed.describe();

  RunResult revoke = cli_with(viewer, {"devices", "revoke", pc.device_id});
  EXPECT_NE(revoke.exit_code, 0) << revoke.describe();
  EXPECT_THAT(revoke.err, StartsWith("helpline: "));
  EXPECT_THAT(revoke.err, HasSubstr("may not"));

  auto still = device(pc.device_id);
  ASSERT_TRUE(still.has_value());
  EXPECT_EQ(json_field_bool(*still, "revoked"), false);
}

}  // namespace
}  // namespace helpline::e2e
