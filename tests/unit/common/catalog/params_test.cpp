// Parameter validation and argv expansion: injection attempts are refused
// naming the rule, and a valid value becomes exactly one argv element (or
// part of one).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/catalog/catalog.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/common/catalog/fake_host_facts.h"

namespace helpline::catalog {
namespace {

using testing::FakeHostFacts;

constexpr std::string_view kCatalog = R"(
version = 1
issuer = "Example IT"

[[action]]
id = "test.echo"
title = "Echo"
platforms = ["linux"]
risk = "low"
argv = ["/bin/echo", "{text}", "--size={size}M", "{mode}"]

[action.params.text]
type = "string"
pattern = "[A-Za-z0-9 ._:-]*"
max_length = 64

[action.params.size]
type = "integer"
min = 1
max = 100
default = 10

[action.params.mode]
type = "enum"
values = ["fast", "--slow"]
default = "fast"

[[action]]
id = "test.unit"
title = "Unit"
platforms = ["linux"]
risk = "low"
argv = ["/usr/bin/systemctl", "restart", "{unit}"]

[action.params.unit]
type = "unit"
allowed = ["cups.service", "getty@*"]

[[action]]
id = "test.path"
title = "Path"
platforms = ["linux"]
risk = "low"
argv = ["/usr/bin/du", "{dir}"]

[action.params.dir]
type = "path"
roots = ["/home", "/tmp"]

[[action]]
id = "test.user"
title = "User"
platforms = ["linux"]
risk = "low"
argv = ["/usr/bin/id", "{user}"]

[action.params.user]
type = "user"

[[action]]
id = "test.kill"
title = "Kill"
platforms = ["linux"]
risk = "medium"
argv = ["/usr/bin/pkill", "--exact", "{name}"]

[action.params.name]
type = "process"
)";

class ParamsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto parsed = parse_catalog_toml(kCatalog);
    ASSERT_TRUE(parsed) << parsed.error().to_string();
    catalog_ = std::move(*parsed);
  }
  Result<PreparedAction> prepare(std::string_view id, const ParameterValues& values) {
    const v1::Action* action = find_action(catalog_, id);
    EXPECT_NE(action, nullptr);
    return prepare_action(*action, values, host_);
  }
  void expect_rule(std::string_view id, const ParameterValues& values, std::string_view rule) {
    auto r = prepare(id, values);
    ASSERT_FALSE(r) << "accepted for " << id;
    EXPECT_EQ(r.error().code, rule) << r.error().message;
    EXPECT_NE(r.error().message.find("action " + std::string(id)), std::string::npos)
        << r.error().message;
    EXPECT_NE(r.error().message.find("rule " + std::string(rule)), std::string::npos)
        << r.error().message;
  }
  void expect_text_rule(std::string value, std::string_view rule) {
    expect_rule("test.echo", {{"text", std::move(value)}}, rule);
  }

  v1::Catalog catalog_;
  FakeHostFacts host_;
};

TEST_F(ParamsTest, ExpandsValuesAsOneElementEach) {
  auto r = prepare("test.echo", {{"text", "two words"}, {"size", "42"}});
  ASSERT_TRUE(r) << r.error().to_string();
  std::vector<std::string> want = {"/bin/echo", "two words", "--size=42M", "fast"};
  EXPECT_EQ(r->argv, want);
  EXPECT_EQ(r->values.at("mode"), "fast");
}

TEST_F(ParamsTest, RefusesShellInjection) {
  expect_text_rule("; rm -rf /", "shell_metacharacter");
  expect_text_rule("$(id)", "shell_metacharacter");
  expect_text_rule("`id`", "shell_metacharacter");
  expect_text_rule("a|b", "shell_metacharacter");
  expect_text_rule("a && b", "shell_metacharacter");
  expect_text_rule("x > /etc/passwd", "shell_metacharacter");
}

TEST_F(ParamsTest, RefusesControlCharacters) {
  expect_text_rule("a\nb", "control_character");
  expect_text_rule(std::string("a\0b", 3), "control_character");
  expect_text_rule("a\rb", "control_character");
  expect_text_rule("tab\there", "control_character");
  expect_text_rule("caf\xc3\xa9", "non_ascii");
}

TEST_F(ParamsTest, RefusesTraversalAndOverlongValues) {
  expect_text_rule("../../etc/shadow", "path_traversal");
  expect_text_rule("a/../b", "path_traversal");
  expect_text_rule(std::string(65, 'a'), "too_long");
  expect_text_rule(std::string(kMaxValueLength + 1, 'a'), "too_long");
  expect_text_rule("", "empty_value");
}

TEST_F(ParamsTest, RefusesOptionInjection) { expect_text_rule("--help", "option_injection"); }

TEST_F(ParamsTest, EnumValuesMayStartWithDash) {
  auto r = prepare("test.echo", {{"text", "x"}, {"mode", "--slow"}});
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->argv.back(), "--slow");
  expect_rule("test.echo", {{"text", "x"}, {"mode", "medium"}}, "not_in_enum");
}

TEST_F(ParamsTest, RefusesPatternMismatch) { expect_text_rule("a,b", "pattern_mismatch"); }

TEST_F(ParamsTest, ChecksIntegers) {
  expect_rule("test.echo", {{"text", "x"}, {"size", "0"}}, "out_of_range");
  expect_rule("test.echo", {{"text", "x"}, {"size", "101"}}, "out_of_range");
  expect_rule("test.echo", {{"text", "x"}, {"size", "1e3"}}, "not_an_integer");
  expect_rule("test.echo", {{"text", "x"}, {"size", "007"}}, "not_an_integer");
  expect_rule("test.echo", {{"text", "x"}, {"size", "99999999999999999999999"}}, "not_an_integer");
  expect_rule("test.echo", {{"text", "x"}, {"size", " 5"}}, "not_an_integer");
}

TEST_F(ParamsTest, RefusesUnknownAndMissingParameters) {
  expect_rule("test.echo", {{"text", "x"}, {"shell", "1"}}, "unknown_parameter");
  expect_rule("test.echo", {}, "missing_parameter");
}

TEST_F(ParamsTest, ChecksUnitNames) {
  EXPECT_TRUE(prepare("test.unit", {{"unit", "cups.service"}}));
  EXPECT_TRUE(prepare("test.unit", {{"unit", "getty@tty1.service"}}));
  expect_rule("test.unit", {{"unit", "sshd.service"}}, "unit_not_allowed");
  expect_rule("test.unit", {{"unit", "cups"}}, "bad_unit_name");
  expect_rule("test.unit", {{"unit", "cups.exe"}}, "bad_unit_name");
  expect_rule("test.unit", {{"unit", "cups;reboot.service"}}, "shell_metacharacter");
  expect_rule("test.unit", {{"unit", "--now"}}, "option_injection");
}

TEST_F(ParamsTest, ChecksPathsLexically) {
  EXPECT_TRUE(prepare("test.path", {{"dir", "/home/alice"}}));
  EXPECT_TRUE(prepare("test.path", {{"dir", "/tmp"}}));
  expect_rule("test.path", {{"dir", "/etc"}}, "outside_roots");
  expect_rule("test.path", {{"dir", "/home2/x"}}, "outside_roots");
  expect_rule("test.path", {{"dir", "home/alice"}}, "not_absolute");
  expect_rule("test.path", {{"dir", "/home/./alice"}}, "not_normalized");
  expect_rule("test.path", {{"dir", "/home//alice"}}, "not_normalized");
  expect_rule("test.path", {{"dir", "/home/alice/"}}, "not_normalized");
  expect_rule("test.path", {{"dir", "/home/../etc"}}, "path_traversal");
}

TEST_F(ParamsTest, RefusesSymlinkEscapeThroughHostFacts) {
  host_.links["/home/alice/escape"] = "/etc";
  expect_rule("test.path", {{"dir", "/home/alice/escape"}}, "symlink_escape");
  host_.links["/home/alice/dangling"] = "";
  expect_rule("test.path", {{"dir", "/home/alice/dangling"}}, "dangling_symlink");
}

TEST_F(ParamsTest, RefusesSymlinkEscapeOnRealFileSystem) {
  helpline::testing::TempDir dir("catalog-paths");
  auto root = std::filesystem::canonical(dir.path());
  std::filesystem::create_directories(root / "allowed" / "sub");
  std::filesystem::create_directories(root / "secret");
  std::filesystem::create_directory_symlink(root / "secret", root / "allowed" / "link");
  std::filesystem::create_directory_symlink(root / "allowed" / "sub", root / "allowed" / "inner");
  std::filesystem::create_symlink(root / "nothing", root / "allowed" / "dangling");

  v1::Parameter p;
  p.set_name("dir");
  p.mutable_path()->add_roots((root / "allowed").string());
  SystemHostFacts system;
  EXPECT_TRUE(check_value(p, (root / "allowed" / "sub").string(), system));
  EXPECT_TRUE(check_value(p, (root / "allowed" / "inner").string(), system));
  EXPECT_TRUE(check_value(p, (root / "allowed" / "new" / "file").string(), system));
  auto escaped = check_value(p, (root / "allowed" / "link" / "x").string(), system);
  ASSERT_FALSE(escaped);
  EXPECT_EQ(escaped.error().code, "symlink_escape");
  auto dangling = check_value(p, (root / "allowed" / "dangling").string(), system);
  ASSERT_FALSE(dangling);
  EXPECT_EQ(dangling.error().code, "dangling_symlink");
  p.mutable_path()->set_must_exist(true);
  auto missing = check_value(p, (root / "allowed" / "new").string(), system);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "not_found");
}

TEST_F(ParamsTest, ChecksUsers) {
  EXPECT_TRUE(prepare("test.user", {{"user", "alice"}}));
  expect_rule("test.user", {{"user", "root"}}, "system_user");
  expect_rule("test.user", {{"user", "daemon"}}, "system_user");
  expect_rule("test.user", {{"user", "mallory"}}, "unknown_user");
  expect_rule("test.user", {{"user", "Alice"}}, "bad_user_name");
}

TEST_F(ParamsTest, RefusesProtectedProcesses) {
  EXPECT_TRUE(prepare("test.kill", {{"name", "firefox"}}));
  expect_rule("test.kill", {{"name", "systemd"}}, "protected_process");
  expect_rule("test.kill", {{"name", "helpline-agent"}}, "protected_process");
  expect_rule("test.kill", {{"name", "a-name-longer-than-15"}}, "bad_process_name");
}

TEST(SystemHostFacts, ProtectsPidOneAndItself) {
  SystemHostFacts system;
  EXPECT_TRUE(system.protected_process("systemd").has_value());
  EXPECT_TRUE(system.protected_process("init").has_value());
  std::ifstream self("/proc/self/comm");
  std::string own;
  std::getline(self, own);
  ASSERT_FALSE(own.empty());
  EXPECT_TRUE(system.protected_process(own).has_value());
  std::ifstream init("/proc/1/comm");
  std::string first;
  std::getline(init, first);
  if (!first.empty()) {
    EXPECT_TRUE(system.protected_process(first).has_value());
  }
  EXPECT_FALSE(system.protected_process("no-such-proc-x").has_value());
}

TEST(SystemHostFacts, FindsRoot) {
  SystemHostFacts system;
  auto root = system.find_user("root");
  ASSERT_TRUE(root.has_value());
  EXPECT_EQ(root->uid, 0u);
  EXPECT_FALSE(system.find_user("no-such-user-helpline").has_value());
}

}  // namespace
}  // namespace helpline::catalog
