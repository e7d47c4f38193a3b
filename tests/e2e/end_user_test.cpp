// The end user's helpdesk channel with the real relay, agent and CLIs: a
// person reports a problem from the workstation, the ticket appears with a
// diagnostics bundle, the right priority, deadlines and the automatic
// acknowledgement; a technician takes it, replies and resolves it; the person
// reads the reply and rates it; statistics count it. A device never sees
// another device's ticket, and a report made while the relay is down is
// opened once it is back.
#include <gmock/gmock.h>

#include "common/core/time_format.h"
#include "tests/e2e/relay_fixture.h"

namespace helpline::e2e {
namespace {

using helpline::testing::json_field_bool;
using helpline::testing::json_field_number;
using helpline::testing::json_field_object;
using helpline::testing::json_field_objects;
using helpline::testing::json_field_string;
using helpline::testing::parse_json_object;
using helpline::testing::wait_until;
using ::testing::HasSubstr;

// A report collects a full bundle on the agent; generous for sanitizer builds.
constexpr std::string_view kReportWait = "60s";

// A count from the API: protobuf's JSON mapping writes 64-bit integers as
// strings ("total": "3").
[[nodiscard]] double count_of(const Struct& object, const std::string& name) {
  if (auto number = json_field_number(object, name)) return *number;
  std::string text = json_field_string(object, name);
  return text.empty() ? -1.0 : std::stod(text);
}

class EndUser : public RelayFixture {
 protected:
  EnrolledAgent online_agent(std::string_view name) {
    EnrolledAgent agent = enroll_agent(name);
    EXPECT_FALSE(agent.device_id.empty());
    EXPECT_NE(start_agent(agent), nullptr);
    EXPECT_TRUE(wait_online(agent.device_id, kOnlineTimeout));
    return agent;
  }

};

TEST_F(EndUser, ReportTakeReplyResolveRateAndCount) {
  EnrolledAgent pc = online_agent("pc1");
  ASSERT_FALSE(pc.device_id.empty());

  auto reported = json_output(agent_local(
      pc, {"report", "--title", "Outlook crashes on start", "--description",
           "It closes right after the splash screen", "--since", "this morning", "--frequency",
           "every start", "--affects", "Outlook", "--symptoms", "a crash dialog",
           "--business-impact", "no mail", "--impact", "4", "--urgency", "4", "--wait",
           std::string(kReportWait), "--json"}));
  ASSERT_TRUE(reported);
  ASSERT_EQ(json_field_bool(*reported, "delivered"), true);
  const std::string id = json_field_string(*reported, "id");
  ASSERT_EQ(id.rfind("HL-", 0), 0u) << id;
  EXPECT_EQ(json_field_number(*reported, "priority"), 4.0);  // impact 4 x urgency 4
  EXPECT_EQ(json_field_string(*reported, "status"), "new");
  EXPECT_FALSE(json_field_string(*reported, "response_due").empty());
  EXPECT_THAT(json_field_string(*reported, "acknowledgement"), HasSubstr(id));

  // The technician's view: channel, requester device, facts, the bundle.
  auto shown = json_output(cli({"ticket", "show", id, "--json"}));
  ASSERT_TRUE(shown);
  EXPECT_THAT(shown->DebugString(), HasSubstr("agent"));
  EXPECT_THAT(shown->DebugString(), HasSubstr(pc.device_id));
  EXPECT_THAT(shown->DebugString(), HasSubstr("this morning"));
  bool has_bundle = false;
  for (const Struct& a : json_field_objects(*shown, "attachments")) {
    has_bundle = has_bundle || (json_field_string(a, "kind") == "bundle" &&
                                json_field_string(a, "ref").rfind("sha256:", 0) == 0);
  }
  EXPECT_TRUE(has_bundle) << shown->DebugString();
  // Priority 4 (high): first response within 1 h, resolution within 16 h
  // of the ticket's creation (24x7 by default).
  EXPECT_EQ(json_field_string(*shown, "priority_name"), "high");
  auto sla = json_field_object(*shown, "sla");
  ASSERT_TRUE(sla);
  EXPECT_EQ(json_field_string(*sla, "first_response_target"), "1h");
  EXPECT_EQ(json_field_string(*sla, "resolve_target"), "16h");
  auto created_at = parse_rfc3339(json_field_string(*shown, "created_at"));
  auto response_due = parse_rfc3339(json_field_string(*sla, "first_response_due"));
  auto resolve_due = parse_rfc3339(json_field_string(*sla, "resolve_due"));
  ASSERT_TRUE(created_at && response_due && resolve_due) << sla->DebugString();
  // RFC 3339 in the API has whole seconds.
  EXPECT_NEAR(static_cast<double>(*response_due - *created_at), 3'600'000.0, 1000.0);
  EXPECT_NEAR(static_cast<double>(*resolve_due - *created_at), 16 * 3'600'000.0, 1000.0);
  auto messages = json_field_objects(*shown, "messages");
  ASSERT_FALSE(messages.empty());
  EXPECT_EQ(json_field_string(messages[0], "author_kind"), "system");
  EXPECT_THAT(json_field_string(messages[0], "body"), HasSubstr("Priority: 4 (high)"));
  EXPECT_THAT(json_field_string(messages[0], "body"), HasSubstr(id));

  // The technician takes it, answers and resolves it.
  RunResult assigned = cli({"ticket", "assign", id, "admin"});
  EXPECT_EQ(assigned.exit_code, 0) << assigned.describe();
  RunResult working = cli({"ticket", "status", id, "in_progress"});
  EXPECT_EQ(working.exit_code, 0) << working.describe();
  RunResult replied = cli({"ticket", "reply", id, "Please try safe mode: outlook /safe"});
  EXPECT_EQ(replied.exit_code, 0) << replied.describe();
  RunResult resolved =
      cli({"ticket", "resolve", id, "--solution", "A broken add-in was disabled"});
  EXPECT_EQ(resolved.exit_code, 0) << resolved.describe();

  // The person sees it resolved, with the reply, and rates it.
  auto mine = json_output(agent_local(pc, {"tickets", "--json"}));
  ASSERT_TRUE(mine);
  std::vector<Struct> tickets = json_field_objects(*mine, "tickets");
  ASSERT_EQ(tickets.size(), 1u) << mine->DebugString();
  EXPECT_EQ(json_field_string(tickets[0], "id"), id);
  EXPECT_EQ(json_field_string(tickets[0], "status"), "resolved");
  EXPECT_EQ(json_field_bool(tickets[0], "can_rate"), true);
  auto detail = json_output(agent_local(pc, {"ticket", id, "--json"}));
  ASSERT_TRUE(detail);
  EXPECT_THAT(detail->DebugString(), HasSubstr("outlook /safe"));

  auto rated = json_output(
      agent_local(pc, {"rate", id, "5", "--comment", "quick and clear", "--wait", "30s", "--json"}));
  ASSERT_TRUE(rated);
  EXPECT_EQ(json_field_bool(*rated, "delivered"), true);
  EXPECT_EQ(json_field_number(*rated, "rating"), 5.0);

  auto stats = json_output(cli({"stats", "--json"}));
  ASSERT_TRUE(stats);
  EXPECT_EQ(count_of(*stats, "total"), 1.0) << stats->DebugString();
  EXPECT_EQ(count_of(*stats, "resolved"), 1.0);
  EXPECT_EQ(count_of(*stats, "rated"), 1.0);
  EXPECT_EQ(json_field_number(*stats, "satisfaction_average"), 5.0);
  auto by_channel = json_field_objects(*stats, "by_channel");
  ASSERT_EQ(by_channel.size(), 1u) << stats->DebugString();
  EXPECT_EQ(json_field_string(by_channel[0], "key"), "agent");
  auto first_response = json_field_object(*stats, "first_response");
  ASSERT_TRUE(first_response);
  EXPECT_EQ(count_of(*first_response, "count"), 1.0);
  auto resolve_sla = json_field_object(*stats, "resolve_sla");
  ASSERT_TRUE(resolve_sla);
  EXPECT_EQ(count_of(*resolve_sla, "met"), 1.0) << "resolved well within 16 h";
}

TEST_F(EndUser, AnotherDeviceCannotReadOrAnswerTheTicket) {
  EnrolledAgent pc1 = online_agent("pc1");
  EnrolledAgent pc2 = online_agent("pc2");
  auto reported = json_output(agent_local(pc1, {"report", "--title", "VPN drops", "--impact", "2",
                                            "--urgency", "3", "--no-bundle", "--json"}));
  ASSERT_TRUE(reported);
  const std::string id = json_field_string(*reported, "id");
  ASSERT_FALSE(id.empty()) << reported->DebugString();

  RunResult read = agent_local(pc2, {"ticket", id});
  EXPECT_NE(read.exit_code, 0);
  EXPECT_THAT(read.err, HasSubstr("no ticket"));
  auto listed = json_output(agent_local(pc2, {"tickets", "--json"}));
  ASSERT_TRUE(listed);
  EXPECT_TRUE(json_field_objects(*listed, "tickets").empty());
  RunResult answered = agent_local(pc2, {"reply", id, "--message", "not mine", "--json"});
  EXPECT_NE(answered.exit_code, 0);
  EXPECT_THAT(answered.err, HasSubstr("no ticket"));

  auto shown = json_output(cli({"ticket", "show", id, "--json"}));
  ASSERT_TRUE(shown);
  EXPECT_THAT(shown->DebugString(), ::testing::Not(HasSubstr("not mine")));
}

TEST_F(EndUser, ReportMadeWhileTheRelayIsDownIsOpenedOnceItIsBack) {
  EnrolledAgent pc = online_agent("pc1");
  ASSERT_NO_FATAL_FAILURE(stop_relay());
  RunResult queued = agent_local(pc, {"report", "--title", "Printer offline", "--impact", "3",
                                      "--urgency", "3", "--no-bundle", "--wait", "0", "--json"});
  auto result = json_output(queued);
  ASSERT_TRUE(result);
  EXPECT_EQ(json_field_bool(*result, "delivered"), false);
  EXPECT_EQ(json_field_string(*result, "id"), "");
  RunResult offline = agent_local(pc, {"tickets"});
  EXPECT_NE(offline.exit_code, 0);
  EXPECT_THAT(offline.err, HasSubstr("cannot be reached"));

  ASSERT_NO_FATAL_FAILURE(start_relay_again());
  ASSERT_TRUE(wait_online(pc.device_id, kReconnectTimeout));
  std::vector<Struct> tickets;
  ASSERT_TRUE(wait_until(
      [&] {
        RunResult listed = agent_local(pc, {"tickets", "--json"});
        if (listed.exit_code != 0) return false;
        auto parsed = parse_json_object(listed.out);
        tickets = parsed ? json_field_objects(*parsed, "tickets") : std::vector<Struct>{};
        return !tickets.empty();
      },
      kReconnectTimeout, 200ms));
  ASSERT_EQ(tickets.size(), 1u);
  EXPECT_EQ(json_field_string(tickets[0], "title"), "Printer offline");
}

TEST_F(EndUser, BadReportsAreRefusedNamingTheField) {
  EnrolledAgent pc = online_agent("pc1");
  RunResult no_title = agent_local(pc, {"report", "--title", " ", "--no-bundle"});
  EXPECT_NE(no_title.exit_code, 0);
  EXPECT_THAT(no_title.err, HasSubstr("title"));
  RunResult long_title =
      agent_local(pc, {"report", "--title", std::string(300, 'x'), "--no-bundle"});
  EXPECT_NE(long_title.exit_code, 0);
  EXPECT_THAT(long_title.err, HasSubstr("title: at most 200"));
  RunResult bad_impact = agent_local(pc, {"report", "--title", "x", "--impact", "9"});
  EXPECT_NE(bad_impact.exit_code, 0);
  RunResult bad_rating = agent_local(pc, {"rate", "HL-1", "7"});
  EXPECT_NE(bad_rating.exit_code, 0);
  auto mine = json_output(agent_local(pc, {"spool", "--json"}));
  ASSERT_TRUE(mine);
  EXPECT_TRUE(json_field_objects(*mine, "items").empty());
}

}  // namespace
}  // namespace helpline::e2e
