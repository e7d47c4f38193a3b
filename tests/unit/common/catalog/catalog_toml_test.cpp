// Parsing catalog TOML: a complete catalog maps to every field, and each
// structural problem is refused naming the action and the field.
#include <gtest/gtest.h>

#include <string>

#include "common/catalog/catalog.h"

namespace helpline::catalog {
namespace {

constexpr std::string_view kHeader = R"(
version = 3
issuer = "Example IT"
)";

constexpr std::string_view kJournal = R"(
[[action]]
id = "journal.vacuum"
version = 2
title = "Shrink the journal"
description = "Vacuum the systemd journal to a size."
platforms = ["linux"]
risk = "medium"
argv = ["/usr/bin/journalctl", "--vacuum-size={size}M"]
run_as = "root"
timeout = "2m"
max_output_bytes = 65536
needs_consent = true
kb_articles = ["KB-0042"]
finding_rules = ["storage.filesystem_full"]
rollback = "systemd.show_failed"

[action.params.size]
type = "integer"
min = 50
max = 4096
default = 500
description = "Target size in MiB"

[[action]]
id = "systemd.show_failed"
title = "Show failed units"
platforms = ["linux"]
risk = "low"
argv = ["/usr/bin/systemctl", "--failed", "--no-pager"]
self_service = true
)";

std::string catalog_with(std::string_view actions) {
  return std::string(kHeader) + std::string(actions);
}

// A one-action catalog whose action body is `body` (after id and basics).
std::string one_action(std::string_view body) {
  return std::string(kHeader) + R"(
[[action]]
id = "test.act"
title = "Test"
platforms = ["linux"]
risk = "low"
)" + std::string(body);
}

void expect_refused(const std::string& text, std::string_view needle) {
  auto catalog = parse_catalog_toml(text);
  ASSERT_FALSE(catalog) << "accepted: " << text;
  EXPECT_EQ(catalog.error().code, "bad_catalog");
  EXPECT_NE(catalog.error().message.find(needle), std::string::npos) << catalog.error().message;
}

TEST(CatalogToml, ParsesEveryField) {
  auto catalog = parse_catalog_toml(catalog_with(kJournal));
  ASSERT_TRUE(catalog) << catalog.error().to_string();
  EXPECT_EQ(catalog->version(), 3u);
  EXPECT_EQ(catalog->issuer(), "Example IT");
  ASSERT_EQ(catalog->actions_size(), 2);
  const auto& a = catalog->actions(0);
  EXPECT_EQ(a.id(), "journal.vacuum");
  EXPECT_EQ(a.version(), 2u);
  EXPECT_EQ(a.risk(), v1::RISK_MEDIUM);
  ASSERT_EQ(a.argv_size(), 2);
  EXPECT_EQ(a.argv(1), "--vacuum-size={size}M");
  EXPECT_TRUE(a.run_as().root());
  EXPECT_EQ(a.timeout_ms(), 120000u);
  EXPECT_EQ(a.max_output_bytes(), 65536u);
  EXPECT_TRUE(a.needs_consent());
  EXPECT_FALSE(a.self_service());
  EXPECT_EQ(a.rollback_action(), "systemd.show_failed");
  EXPECT_EQ(a.kb_articles(0), "KB-0042");
  EXPECT_EQ(a.finding_rules(0), "storage.filesystem_full");
  ASSERT_EQ(a.parameters_size(), 1);
  EXPECT_EQ(a.parameters(0).name(), "size");
  EXPECT_EQ(a.parameters(0).integer().min(), 50);
  EXPECT_EQ(a.parameters(0).default_value(), "500");
  const auto& b = catalog->actions(1);
  EXPECT_EQ(b.timeout_ms(), 60000u);  // default
  EXPECT_TRUE(b.self_service());
  EXPECT_EQ(catalog->issued_at_ms(), 0);
}

TEST(CatalogToml, RefusesSyntaxErrorWithLine) {
  expect_refused("version = 1\nissuer = \"x\n", "line 2");
}

TEST(CatalogToml, RefusesUnknownKeyByName) {
  expect_refused(one_action("argv = [\"/bin/true\"]\nshell = true\n"), "action test.act: shell");
  expect_refused(catalog_with(kJournal) + "extra = 1\n", "unknown key");
}

TEST(CatalogToml, RefusesRelativeProgram) {
  expect_refused(one_action("argv = [\"systemctl\", \"status\"]\n"), "action test.act: argv[0]");
}

TEST(CatalogToml, RefusesProgramFromParameter) {
  expect_refused(one_action("argv = [\"{prog}\"]\n[action.params.prog]\ntype = \"path\"\n"
                            "roots = [\"/usr/bin\"]\n"),
                 "argv[0]");
}

TEST(CatalogToml, RefusesPlaceholderWithoutParameter) {
  expect_refused(one_action("argv = [\"/bin/echo\", \"{nothing}\"]\n"),
                 "action test.act: argv[1]: {nothing} names no declared parameter");
}

TEST(CatalogToml, RefusesUnbalancedBraces) {
  expect_refused(one_action("argv = [\"/bin/echo\", \"a}b\"]\n"), "argv[1]: unmatched '}'");
  expect_refused(one_action("argv = [\"/bin/echo\", \"{a\"]\n"), "argv[1]: unclosed '{'");
}

TEST(CatalogToml, AcceptsDoubledBracesAsLiterals) {
  auto catalog = parse_catalog_toml(one_action("argv = [\"/usr/bin/find\", \"{{}}\"]\n"));
  ASSERT_TRUE(catalog) << catalog.error().to_string();
  auto argv = expand_argv(catalog->actions(0), {});
  ASSERT_TRUE(argv);
  EXPECT_EQ((*argv)[1], "{}");
}

TEST(CatalogToml, RefusesUnusedParameter) {
  expect_refused(one_action("argv = [\"/bin/true\"]\n[action.params.x]\ntype = \"integer\"\n"),
                 "params.x: declared but used neither");
}

TEST(CatalogToml, RefusesPatternThatDoesNotCompile) {
  expect_refused(one_action("argv = [\"/bin/echo\", \"{s}\"]\n[action.params.s]\n"
                            "type = \"string\"\npattern = \"[a-\"\n"),
                 "params.s.pattern: does not compile");
}

TEST(CatalogToml, RefusesUnknownParameterType) {
  expect_refused(
      one_action("argv = [\"/bin/echo\", \"{s}\"]\n[action.params.s]\ntype = \"shell\"\n"),
      "params.s.type");
}

TEST(CatalogToml, RefusesDefaultThatBreaksItsOwnRules) {
  expect_refused(one_action("argv = [\"/bin/echo\", \"{n}\"]\n[action.params.n]\n"
                            "type = \"integer\"\nmin = 1\nmax = 5\ndefault = 9\n"),
                 "params.n.default");
  expect_refused(one_action("argv = [\"/bin/echo\", \"{e}\"]\n[action.params.e]\n"
                            "type = \"enum\"\nvalues = [\"a;b\"]\n"),
                 "params.e.values");
}

TEST(CatalogToml, RefusesBadRiskRunAsAndTimeout) {
  std::string base = std::string(kHeader) +
                     "[[action]]\nid = \"t.a\"\ntitle = \"T\"\nplatforms = [\"linux\"]\n"
                     "argv = [\"/bin/true\"]\n";
  expect_refused(base + "risk = \"extreme\"\n", "action t.a: risk");
  expect_refused(base + "risk = \"low\"\nrun_as = \"admin\"\n", "action t.a: run_as");
  expect_refused(base + "risk = \"low\"\nrun_as = \"param:nobody\"\n", "action t.a: run_as");
  expect_refused(base + "risk = \"low\"\ntimeout = \"7h\"\n", "action t.a: timeout");
  std::string beos = one_action("argv = [\"/bin/true\"]\n");
  beos.replace(beos.find("linux"), 5, "beos");
  expect_refused(beos, "action test.act: platforms");
}

TEST(CatalogToml, RefusesDuplicateIdsAndMissingRollback) {
  expect_refused(catalog_with(kJournal) +
                     "[[action]]\nid = \"journal.vacuum\"\ntitle = \"x\"\nplatforms = [\"linux\"]\n"
                     "risk = \"low\"\nargv = [\"/bin/true\"]\n",
                 "\"journal.vacuum\" twice");
  expect_refused(one_action("argv = [\"/bin/true\"]\nrollback = \"nope.nope\"\n"),
                 "action test.act: rollback");
}

TEST(CatalogToml, RefusesHighRiskSelfService) {
  std::string text = std::string(kHeader) +
                     "[[action]]\nid = \"t.a\"\ntitle = \"T\"\nplatforms = [\"linux\"]\n"
                     "risk = \"high\"\nself_service = true\nargv = [\"/bin/true\"]\n";
  expect_refused(text, "action t.a: self_service");
}

TEST(CatalogToml, RefusesBadIdsAndEmptyCatalog) {
  expect_refused(std::string(kHeader) +
                     "[[action]]\nid = \"Bad Id\"\ntitle = \"T\"\nplatforms = [\"linux\"]\n"
                     "risk = \"low\"\nargv = [\"/bin/true\"]\n",
                 "is not an action id");
  expect_refused(std::string(kHeader), "[[action]]");
  expect_refused("issuer = \"x\"\n[[action]]\nid = \"a\"\n", "version");
}

}  // namespace
}  // namespace helpline::catalog
