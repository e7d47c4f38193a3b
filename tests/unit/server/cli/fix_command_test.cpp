// The fix line under a finding in `helpline diag show`.
#include "server/cli/fix_command.h"

#include <gtest/gtest.h>

namespace helpline::cli {
namespace {

v1::api::CatalogInfo catalog() {
  v1::api::CatalogInfo info;
  auto* restart = info.add_actions();
  restart->set_id("systemd.restart_unit");
  auto* unit = restart->add_parameters();
  unit->set_name("unit");
  unit->set_type("unit");
  unit->set_required(true);
  auto* vacuum = info.add_actions();
  vacuum->set_id("journal.vacuum");
  auto* size = vacuum->add_parameters();
  size->set_name("size");
  size->set_type("integer");
  size->set_required(true);
  auto* keep = vacuum->add_parameters();
  keep->set_name("keep");
  keep->set_type("integer");
  keep->set_required(true);
  return info;
}

v1::api::Finding finding(std::string action, std::string subject) {
  v1::api::Finding f;
  f.set_rule("services.unit_failed");
  f.set_action(std::move(action));
  f.set_subject(std::move(subject));
  return f;
}

TEST(FixCommand, SubjectFillsTheOneRequiredParameter) {
  EXPECT_EQ(fix_command(finding("systemd.restart_unit", "cups.service"), "dev_1", catalog()),
            "helpline action run dev_1 systemd.restart_unit unit=cups.service");
}

TEST(FixCommand, SeveralRequiredParametersAreLeftToFillIn) {
  EXPECT_EQ(fix_command(finding("journal.vacuum", "/var/log"), "dev_1", catalog()),
            "helpline action run dev_1 journal.vacuum size=<integer> keep=<integer>");
}

TEST(FixCommand, ActionOutsideTheCatalogGivesNoCommand) {
  EXPECT_EQ(fix_command(finding("smart.run_selftest", "sda"), "dev_1", catalog()), "");
  EXPECT_EQ(fix_command(finding("", ""), "dev_1", catalog()), "");
  EXPECT_EQ(fix_command(finding("systemd.restart_unit", "x"), "dev_1", {}), "");
}

TEST(FixCommand, OddSubjectsAreQuotedForTheShell) {
  EXPECT_EQ(fix_command(finding("systemd.restart_unit", "a b'$(id)"), "dev_1", catalog()),
            "helpline action run dev_1 systemd.restart_unit unit='a b'\\''$(id)'");
}

}  // namespace
}  // namespace helpline::cli
