// Per-group installers end to end, without root: the real `helpline admin
// installer` builds a group .deb against a real relay, and the enrollment
// helper the agent package ships (installers/agent/helpline-agent-enroll)
// enrolls from the enroll.toml inside it into a temporary state dir, which
// is what the package's preinst does on a real machine. Installing packages
// into the machine is tests/packaging's job (root, CI).
#include <gmock/gmock.h>

#include <filesystem>

#include "common/core/time_format.h"
#include "tests/e2e/relay_fixture.h"

namespace helpline::e2e {
namespace {

namespace fs = std::filesystem;
using helpline::testing::json_field_string;
using helpline::testing::parse_json_array;
using helpline::testing::parse_json_object;
using ::testing::HasSubstr;

constexpr std::chrono::milliseconds kExpiryTimeout = 10s;

class InstallerTest : public RelayFixture {
 protected:
  void SetUp() override {
    if (!fs::exists("/usr/bin/dpkg-deb")) GTEST_SKIP() << "dpkg-deb is not installed";
    RelayFixture::SetUp();
  }

  // A fresh organisation key pair; returns the public key's file.
  fs::path make_org_key(std::string_view name) {
    fs::path dir = path_for(name);
    RunResult keygen = cli({"admin", "keygen", "--out", dir.string()});
    EXPECT_EQ(keygen.exit_code, 0) << keygen.describe();
    return dir / "org.pub";
  }

  // `admin set-org-key FILE --json`: the key id.
  std::string set_org_key(const fs::path& pub) {
    RunResult set = cli({"admin", "set-org-key", pub.string(), "--json"});
    EXPECT_EQ(set.exit_code, 0) << set.describe();
    auto answer = parse_json_object(set.out);
    EXPECT_TRUE(answer) << set.out;
    return answer ? json_field_string(*answer, "key_id") : "";
  }

  // `admin installer --format deb` for group lab; the --json answer.
  Struct group_deb(const fs::path& out, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"admin", "installer", "--group", "lab", "--format", "deb",
                                  "--relay", agent_address(), "--out", out.string(), "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    RunResult made = cli(args);
    EXPECT_EQ(made.exit_code, 0) << made.describe();
    auto answer = parse_json_object(made.out);
    EXPECT_TRUE(answer) << made.out;
    return answer ? *answer : Struct();
  }

  // The enroll.toml a group deb carries, unpacked next to it.
  fs::path enroll_file_of(const fs::path& deb) {
    fs::path root = deb.string() + ".root";
    RunResult unpacked = run_program("/usr/bin/dpkg-deb", {"-x", deb.string(), root.string()});
    EXPECT_EQ(unpacked.exit_code, 0) << unpacked.describe();
    return root / "etc/helpline/enroll.toml";
  }

  // What the group package's preinst runs, into a temporary state dir.
  RunResult enroll_helper(const fs::path& config, const fs::path& state) {
    return run_program(HELPLINE_ENROLL_HELPER,
                       {"--config", config.string(), "--state", state.string(), "--no-start"},
                       {{"HELPLINE_AGENT_BIN", HELPLINE_AGENT_BIN}});
  }

  RunResult run_program(const fs::path& program, std::vector<std::string> args,
                        std::vector<std::pair<std::string, std::string>> env = {}) {
    helpline::testing::ProcessOptions options;
    options.program = program;
    options.args = std::move(args);
    options.env = std::move(env);
    options.unset_env = {"https_proxy", "HTTPS_PROXY", "HELPLINE_ENROLL_TOKEN"};
    options.stdout_path = path_for("program.out");
    options.stderr_path = path_for("program.err");
    auto result = helpline::testing::run_command(options, kCommandTimeout);
    EXPECT_TRUE(result) << result.error().message;
    return result ? *result : RunResult{};
  }

  // Waits (bounded) until the wall clock is past an RFC 3339 expiry, which
  // the relay prints to the second (the token ends within that second).
  static bool wait_expired(const std::string& expires_at) {
    auto at = parse_rfc3339(expires_at);
    EXPECT_TRUE(at) << expires_at;
    if (!at) return false;
    return helpline::testing::wait_until([&] { return unix_now_ms() > *at + 1000; },
                                         kExpiryTimeout);
  }

  std::size_t token_count() {
    RunResult list = cli({"enroll-token", "list", "--json"});
    EXPECT_EQ(list.exit_code, 0) << list.describe();
    auto tokens = parse_json_array(list.out);
    EXPECT_TRUE(tokens) << list.out;
    return tokens ? tokens->size() : 0;
  }
};

TEST_F(InstallerTest, GroupDebEnrollsWithNoFurtherStepAndPinsTheCatalogKey) {
  std::string key_id = set_org_key(make_org_key("org"));
  fs::path deb = path_for("lab.deb");
  Struct answer = group_deb(deb);
  EXPECT_EQ(json_field_string(answer, "package"), "helpline-agent-lab");
  EXPECT_EQ(json_field_string(answer, "org_key"), key_id);
  EXPECT_EQ(fs::status(deb).permissions() & fs::perms::all, fs::perms(0600));

  fs::path config = enroll_file_of(deb);
  std::string toml = helpline::testing::read_text_file(config);
  EXPECT_THAT(toml, HasSubstr("relay = \"" + agent_address() + "\"\n"));
  EXPECT_THAT(toml, HasSubstr("ca_pin = \"" + ca_pin() + "\"\n"));
  EXPECT_THAT(toml, HasSubstr("group = \"lab\"\n"));
  EXPECT_THAT(toml, HasSubstr("org_key_id = \"" + key_id + "\"\n"));

  fs::path state = path_for("state");
  RunResult enrolled = enroll_helper(config, state);
  ASSERT_EQ(enrolled.exit_code, 0) << enrolled.describe();
  EXPECT_THAT(enrolled.out, HasSubstr("pinned the organisation key " + key_id));
  std::string pin = helpline::testing::read_text_file(state / "catalog/org_key.toml");
  EXPECT_THAT(pin, HasSubstr("key_id = \"" + key_id + "\""));
  EXPECT_THAT(pin, HasSubstr("source = \"installer\""));

  RunResult status = agent_command({"status", "--state", state.string(), "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.describe();
  auto parsed = parse_json_object(status.out);
  ASSERT_TRUE(parsed) << status.out;
  EnrolledAgent agent{
      .state = state, .device_id = json_field_string(*parsed, "device_id"), .socket_path = {}};
  EXPECT_EQ(json_field_string(*parsed, "group"), "lab");
  ASSERT_NE(start_agent(agent), nullptr);
  EXPECT_TRUE(wait_online(agent.device_id, kOnlineTimeout));

  // Running the installer again keeps that identity.
  RunResult again = enroll_helper(config, state);
  ASSERT_EQ(again.exit_code, 0) << again.describe();
  EXPECT_THAT(again.out, HasSubstr("already enrolled (" + agent.device_id + ")"));
}

TEST_F(InstallerTest, ExpiredOrRevokedTokenFailsWithTheReasonAndEnrollsNothing) {
  set_org_key(make_org_key("org"));
  fs::path expired_deb = path_for("expired.deb");
  Struct expired = group_deb(expired_deb, {"--expires", "1s"});
  ASSERT_TRUE(wait_expired(json_field_string(expired, "expires_at")));
  fs::path state = path_for("state");
  RunResult refused = enroll_helper(enroll_file_of(expired_deb), state);
  EXPECT_EQ(refused.exit_code, 1) << refused.describe();
  EXPECT_THAT(refused.err, HasSubstr("expired"));
  EXPECT_THAT(refused.err, HasSubstr("nothing was enrolled"));
  EXPECT_FALSE(fs::exists(state)) << "a refused enrollment left its state dir";

  fs::path revoked_deb = path_for("revoked.deb");
  Struct revoked = group_deb(revoked_deb);
  RunResult revoke = cli({"enroll-token", "revoke", json_field_string(revoked, "token_id")});
  ASSERT_EQ(revoke.exit_code, 0) << revoke.describe();
  refused = enroll_helper(enroll_file_of(revoked_deb), state);
  EXPECT_EQ(refused.exit_code, 1) << refused.describe();
  EXPECT_THAT(refused.err, HasSubstr("revoked"));
  EXPECT_FALSE(fs::exists(state)) << "a refused enrollment left its state dir";
}

TEST_F(InstallerTest, TheCatalogKeyComesFromTheRelayOrAMatchingFile) {
  fs::path out = path_for("lab.deb");
  // No key anywhere: refused before a token is made.
  RunResult none = cli({"admin", "installer", "--group", "lab", "--format", "deb", "--relay",
                        agent_address(), "--out", out.string()});
  EXPECT_EQ(none.exit_code, 1) << none.describe();
  EXPECT_THAT(none.err, HasSubstr("the relay has no organisation key"));
  EXPECT_FALSE(fs::exists(out));
  EXPECT_EQ(token_count(), 0u);

  // --no-org-key: the agents will trust the relay's first offer.
  Struct unpinned = group_deb(out, {"--no-org-key"});
  EXPECT_EQ(json_field_string(unpinned, "org_key"), "");
  EXPECT_THAT(helpline::testing::read_text_file(enroll_file_of(out)),
              ::testing::Not(HasSubstr("org_key")));

  // --org-key FILE when the relay has none yet: that key.
  fs::path org = make_org_key("org");
  Struct from_file = group_deb(path_for("file.deb"), {"--org-key", org.string()});
  std::string key_id = set_org_key(org);
  EXPECT_EQ(json_field_string(from_file, "org_key"), key_id);

  // A file that disagrees with the relay's key is refused, no token made.
  std::size_t tokens = token_count();
  fs::path other = make_org_key("other");
  RunResult mismatch = cli({"admin", "installer", "--group", "lab", "--format", "deb", "--relay",
                            agent_address(), "--out", path_for("x.deb").string(), "--org-key",
                            other.string()});
  EXPECT_EQ(mismatch.exit_code, 1) << mismatch.describe();
  EXPECT_THAT(mismatch.err, HasSubstr("the relay checks catalogs against " + key_id));
  EXPECT_EQ(token_count(), tokens);

  RunResult both = cli({"admin", "installer", "--group", "lab", "--format", "deb", "--relay",
                        agent_address(), "--out", path_for("y.deb").string(), "--org-key",
                        org.string(), "--no-org-key"});
  EXPECT_EQ(both.exit_code, 1) << both.describe();
  EXPECT_THAT(both.err, HasSubstr("exclude each other"));
}

}  // namespace
}  // namespace helpline::e2e
