#include "server/tickets/intake.h"

#include <gtest/gtest.h>

#include "tests/unit/server/tickets/ticket_builders.h"

namespace helpline::relay::tickets {
namespace {

using std::chrono::hours;
using testing::at;

NewTicket report() {
  NewTicket r;
  r.title = "VPN drops every hour";
  r.description = "Since the update the VPN client disconnects.\nReconnecting works.";
  r.requester = Requester{"alice", "dev_3f9a"};
  r.channel = Channel::kAgent;
  r.category = "network";
  r.impact = Impact::kHigh;
  r.urgency = Urgency::kVeryHigh;
  r.facts.started = "since Monday's update";
  r.facts.frequency = "every hour";
  r.facts.affected = "VPN client";
  r.facts.symptoms = "\"connection lost\" balloon";
  r.facts.business_impact = "cannot reach the ERP";
  r.finding_ids = {"net.dns_timeout", "disk.nearly_full", "net.dns_timeout"};
  return r;
}

TEST(OpenTicket, ClassifiesAndStartsTheClocks) {
  const HelpdeskRules rules = testing::default_rules();
  const UnixMillis now = at("2026-11-16T09:00:00Z");
  auto result = open_ticket(report(), rules, testing::user(), now);
  ASSERT_TRUE(result.has_value()) << result.error().to_string();
  const Ticket& t = result->ticket;
  EXPECT_EQ(t.id, 0);
  EXPECT_EQ(t.status, Status::kNew);
  EXPECT_EQ(t.priority, Priority::kVeryHigh) << "impact 4 x urgency 5";
  EXPECT_FALSE(t.priority_overridden);
  EXPECT_EQ(t.level, SupportLevel::kL1);
  EXPECT_EQ(t.category.name(), "network");
  EXPECT_EQ(t.created_at, now);
  EXPECT_EQ(t.updated_at, now);
  EXPECT_EQ(t.sla.start, now);
  EXPECT_EQ(t.sla.targets, rules.sla.targets(Priority::kVeryHigh));
  EXPECT_EQ(t.sla.first_response_due, now + 30 * testing::kMinute);
  EXPECT_EQ(t.sla.resolve_due, now + 8 * testing::kHour);
  EXPECT_EQ(t.facts.frequency, "every hour");
  EXPECT_EQ(t.finding_ids, (std::vector<std::string>{"net.dns_timeout", "disk.nearly_full"}));
  ASSERT_EQ(result->history.size(), 1u);
  EXPECT_EQ(result->history[0].field, "created");
  EXPECT_EQ(result->history[0].new_value, "agent");
  EXPECT_EQ(result->history[0].actor, testing::user());
}

TEST(OpenTicket, UsesTheConfiguredMatrixAndCategories) {
  HelpdeskRules rules;
  std::vector<int> ones(25, 1);
  rules.matrix = PriorityMatrix::from_values(ones).value();
  rules.categories = CategoryCatalog::with_extras({"printing"}).value();
  NewTicket r = report();
  r.category = "printing";
  const Ticket t = testing::ok(open_ticket(r, rules, testing::tech(), 1000));
  EXPECT_EQ(t.priority, Priority::kVeryLow);
  EXPECT_EQ(t.category.name(), "printing");
}

TEST(OpenTicket, RejectsBadInputNamingTheField) {
  const HelpdeskRules rules;
  struct Case {
    const char* field;
    void (*spoil)(NewTicket&);
  };
  const Case cases[] = {
      {"title", [](NewTicket& r) { r.title = "   "; }},
      {"title", [](NewTicket& r) { r.title = "two\nlines"; }},
      {"title", [](NewTicket& r) { r.title = std::string(201, 'x'); }},
      {"description", [](NewTicket& r) { r.description = std::string(65537, 'x'); }},
      {"requester", [](NewTicket& r) { r.requester.name.clear(); }},
      {"device_id", [](NewTicket& r) { r.requester.device_id.clear(); }},
      {"device_id", [](NewTicket& r) { r.requester.device_id = "dev 1"; }},
      {"category", [](NewTicket& r) { r.category = "printing"; }},
      {"finding_ids",
       [](NewTicket& r) {
         r.finding_ids = {"ok", "bad id"};
       }},
      {"finding_ids", [](NewTicket& r) { r.finding_ids.assign(kMaxFindingIds + 1, "x"); }},
      {"symptoms", [](NewTicket& r) { r.facts.symptoms = std::string(4097, 'x'); }},
      {"started_at", [](NewTicket& r) { r.facts.started_at = -5; }},
      {"group", [](NewTicket& r) { r.group = "a\tb"; }},
  };
  for (const Case& c : cases) {
    NewTicket r = report();
    c.spoil(r);
    auto result = open_ticket(r, rules, testing::user(), 1000);
    ASSERT_FALSE(result.has_value()) << c.field;
    EXPECT_EQ(result.error().code, "bad_value") << c.field;
    EXPECT_TRUE(result.error().message.starts_with(std::string(c.field) + ":"))
        << c.field << " -> " << result.error().message;
  }
}

TEST(OpenTicket, DeviceIsOptionalOutsideTheAgentChannel) {
  NewTicket r = report();
  r.channel = Channel::kPhone;
  r.requester.device_id.clear();
  EXPECT_TRUE(open_ticket(r, HelpdeskRules{}, testing::tech(), 1000).has_value());
}

TEST(HelpdeskRules, ValidatesReopenWindowAndEscalations) {
  HelpdeskRules rules;
  EXPECT_TRUE(validate_rules(rules).has_value());
  rules.reopen_window = hours(24 * 366);
  EXPECT_EQ(validate_rules(rules).error().code, "bad_config");
  rules.reopen_window = hours(1);
  rules.escalations.push_back(
      EscalationRule{"warn", SlaDeadline::kResolve, hours(-1), NotifyAction{""}, {}});
  EXPECT_EQ(validate_rules(rules).error().code, "bad_config");
}

}  // namespace
}  // namespace helpline::relay::tickets
