// The built-in catalog (agent/actions/builtin/catalog.toml): it parses and
// signs, and every action runs with valid parameters against a fake
// program that records its argv (nothing on this machine changes), and
// refuses a bad value of each of its parameters.
#include <set>

#include "tests/unit/agent/actions/actions_test_util.h"

#ifndef HELPLINE_BUILTIN_CATALOG
#error "HELPLINE_BUILTIN_CATALOG must name agent/actions/builtin/catalog.toml"
#endif

namespace helpline::agent::actions {
namespace {

using testing::ExecutorFixture;

struct Refusal {
  catalog::ParameterValues params;
  std::string rule;
};

struct Case {
  std::string id;
  catalog::ParameterValues params;
  std::vector<std::string> argv;  // expected, after the program
  std::vector<Refusal> refusals;
  std::uint32_t run_as_uid = 0;
};

const std::vector<Case>& cases() {
  static const std::vector<Case> kCases = {
      {"systemd.restart_unit",
       {{"unit", "cups.service"}},
       {"restart", "cups.service"},
       {{{{"unit", "sshd.service; reboot"}}, "shell_metacharacter"},
        {{{"unit", "dbus.service"}}, "unit_not_allowed"},
        {{}, "missing_parameter"}}},
      {"systemd.show_failed",
       {},
       {"list-units", "--failed", "--no-pager", "--plain", "--full"},
       {{{{"unit", "x.service"}}, "unknown_parameter"}}},
      {"systemd.reset_failed",
       {{"unit", "foo@bar.service"}},
       {"reset-failed", "foo@bar.service"},
       {{{{"unit", "$(id).service"}}, "shell_metacharacter"},
        {{{"unit", "foo"}}, "bad_unit_name"}}},
      {"systemd.unit_logs",
       {{"unit", "cups.service"}, {"hours", "2"}},
       {"--unit=cups.service", "--since=-2h", "--lines=5000", "--no-pager", "--output=short-iso"},
       {{{{"unit", "cups.service"}, {"hours", "0"}}, "out_of_range"},
        {{{"unit", "cups.service"}, {"lines", "1e9"}}, "not_an_integer"},
        {{{"unit", "cups.service\n"}}, "control_character"}}},
      {"dns.flush_cache", {}, {"flush-caches"}, {{{{"x", "1"}}, "unknown_parameter"}}},
      {"dns.restart_resolver",
       {},
       {"restart", "systemd-resolved.service"},
       {{{{"unit", "x.service"}}, "unknown_parameter"}}},
      {"journal.vacuum",
       {{"size_mib", "200"}},
       {"--vacuum-size=200M"},
       {{{{"size_mib", "10"}}, "out_of_range"},
        {{{"size_mib", "200; rm -rf /"}}, "shell_metacharacter"}}},
      {"packages.clean_apt", {}, {"clean"}, {{{{"all", "1"}}, "unknown_parameter"}}},
      {"packages.clean_dnf", {}, {"clean", "packages"}, {{{{"all", "1"}}, "unknown_parameter"}}},
      {"user.clear_cache",
       {{"user", "alice"}},
       {"/home/alice/.cache", "-xdev", "-mindepth", "1", "-delete"},
       {{{{"user", "root"}}, "system_user"},
        {{{"user", "../etc"}}, "path_traversal"},
        {{{"user", "nobody-here"}}, "unknown_user"}},
       1000},
      {"user.clear_temp",
       {{"user", "alice"}, {"days", "3"}},
       {"/tmp", "/var/tmp", "-xdev", "-mindepth", "1", "-user", "alice", "-mtime", "+3", "-delete"},
       {{{{"user", "alice"}, {"days", "-1"}}, "out_of_range"},
        {{{"user", "daemon"}}, "system_user"}},
       1000},
      {"storage.find_large_files",
       {{"path", "/home"}},
       {"--one-file-system", "--max-depth=2", "--threshold=100M", "--human-readable", "/home"},
       {{{{"path", "home"}}, "not_absolute"},
        {{{"path", "/home/../etc"}}, "path_traversal"},
        {{{"path", "/nonexistent"}}, "not_found"}}},
      {"print.restart_cups", {}, {"restart", "cups.service"}, {}},
      {"print.cancel_jobs",
       {{"printer", "Office_Laser"}},
       {"-a", "Office_Laser"},
       {{{{"printer", "`id`"}}, "shell_metacharacter"},
        {{{"printer", "-u"}}, "option_injection"},
        {{{"printer", std::string(200, 'p')}}, "too_long"}}},
      {"network.restart_network_manager", {}, {"restart", "NetworkManager.service"}, {}},
      {"network.renew_dhcp",
       {{"interface", "wlp2s0"}},
       {"device", "connect", "wlp2s0"},
       {{{{"interface", "eth0 eth1"}}, "pattern_mismatch"},
        {{{"interface", "averyveryverylongif"}}, "too_long"}}},
      {"time.sync", {}, {"restart", "systemd-timesyncd.service"}, {}},
      {"time.sync_chrony", {}, {"-a", "makestep"}, {}},
      {"process.kill_by_name",
       {{"name", "firefox"}},
       {"--exact", "--signal", "TERM", "firefox"},
       {{{{"name", "systemd"}}, "protected_process"},
        {{{"name", "helpline-agent"}}, "protected_process"},
        {{{"name", "firefox"}, {"signal", "HUP"}}, "not_in_enum"},
        {{{"name", "fire fox"}}, "bad_process_name"}}},
      {"storage.remount_rw",
       {{"mount_point", "/"}},
       {"-o", "remount,rw", "/"},
       {{{{"mount_point", "/home/../"}}, "path_traversal"},
        {{{"mount_point", "/nonexistent"}}, "not_found"}}},
      {"smart.run_selftest",
       {{"device", "/dev/sda"}},
       {"--test=short", "/dev/sda"},
       {{{{"device", "/etc/passwd"}}, "outside_roots"},
        {{{"device", "/dev/disk/by-id/link"}}, "symlink_escape"}}},
  };
  return kCases;
}

class BuiltinCatalog : public ExecutorFixture {
 protected:
  void SetUp() override {
    ExecutorFixture::SetUp();
    auto text = files::read(HELPLINE_BUILTIN_CATALOG);
    ASSERT_TRUE(text) << text.error().to_string();
    text_ = *text;
    host_.missing.insert("/nonexistent");
    host_.links["/dev/disk/by-id/link"] = "/etc/shadow";
  }

  // Every program of the catalog mapped to the recording fake.
  ExecutorOptions fake_options(std::uint32_t agent_uid) {
    ExecutorOptions options;
    auto catalog = catalog::parse_catalog_toml(text_);
    EXPECT_TRUE(catalog);
    std::string fake = testing::write_recorder(state_.path() / "fake.sh", record_);
    for (const auto& action : catalog->actions()) options.program_overrides[action.argv(0)] = fake;
    options.agent_uid = agent_uid;  // the fake's user: no uid switch in tests
    return options;
  }

  std::string text_;
  std::filesystem::path record_ = state_.path() / "argv.txt";
};

TEST_F(BuiltinCatalog, ParsesWithAtLeastTwelveLinuxActions) {
  auto catalog = catalog::parse_catalog_toml(text_, "builtin/catalog.toml");
  ASSERT_TRUE(catalog) << catalog.error().to_string();
  EXPECT_GE(catalog->actions_size(), 12);
  std::set<std::string> tested;
  for (const auto& c : cases()) tested.insert(c.id);
  for (const auto& action : catalog->actions()) {
    EXPECT_EQ(tested.count(action.id()), 1u) << action.id() << " has no test case";
    EXPECT_EQ(action.platforms(0), "linux");
  }
  EXPECT_EQ(tested.size(), static_cast<std::size_t>(catalog->actions_size()));
}

TEST_F(BuiltinCatalog, EveryActionRunsWithValidParameters) {
  for (const auto& c : cases()) {
    SCOPED_TRACE(c.id);
    std::filesystem::remove(record_);
    consent_ = [](const ConsentRequest&, ConsentAnswer answer) { answer(true, ""); };
    start(text_, fake_options(c.run_as_uid));
    auto r = request(c.id, "ok-" + c.id);
    for (const auto& [k, v] : c.params) (*r.mutable_parameters())[k] = v;
    auto result = run(r);
    ASSERT_FALSE(result.has_refused())
        << result.refused().rule() << ": " << result.refused().message();
    EXPECT_EQ(result.exit_code(), 0);
    EXPECT_EQ(result.output(), "fake-ok\n");
    auto recorded = files::read(record_);
    ASSERT_TRUE(recorded) << "the fake program did not run";
    std::string want;
    for (const auto& a : c.argv) want += a + "\n";
    EXPECT_EQ(*recorded, want);
  }
}

TEST_F(BuiltinCatalog, EveryActionRefusesBadParameters) {
  std::size_t refusals = 0;
  for (const auto& c : cases()) {
    start(text_, fake_options(c.run_as_uid));
    int n = 0;
    for (const auto& bad : c.refusals) {
      SCOPED_TRACE(c.id + " refusal " + std::to_string(n));
      std::filesystem::remove(record_);
      auto r = request(c.id, "bad-" + c.id + "-" + std::to_string(n++));
      for (const auto& [k, v] : bad.params) (*r.mutable_parameters())[k] = v;
      auto result = run(r);
      ASSERT_TRUE(result.has_refused()) << "ran";
      EXPECT_EQ(result.refused().rule(), bad.rule) << result.refused().message();
      EXPECT_FALSE(std::filesystem::exists(record_)) << "a refused action ran";
      ++refusals;
    }
  }
  EXPECT_GE(refusals, 30u);
}

TEST_F(BuiltinCatalog, KillByNameRefusesPidOneAndTheAgentOnThisMachine) {
  auto catalog = catalog::parse_catalog_toml(text_);
  ASSERT_TRUE(catalog);
  const v1::Action* kill = catalog::find_action(*catalog, "process.kill_by_name");
  ASSERT_NE(kill, nullptr);
  catalog::SystemHostFacts system;
  for (std::string name : {"systemd", "init", "helpline-agent"}) {
    auto r = catalog::prepare_action(*kill, {{"name", name}}, system);
    ASSERT_FALSE(r) << name;
    EXPECT_EQ(r.error().code, "protected_process");
  }
  auto self = files::read("/proc/self/comm");
  ASSERT_TRUE(self);
  std::string own = self->substr(0, self->find('\n'));
  auto r = catalog::prepare_action(*kill, {{"name", own}}, system);
  ASSERT_FALSE(r) << own;
  EXPECT_EQ(r.error().code, "protected_process");
}

}  // namespace
}  // namespace helpline::agent::actions
