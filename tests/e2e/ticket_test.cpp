// Helpdesk tickets with the real relay and CLI: a technician creates a
// ticket (priority from the matrix, SLA deadlines, the acknowledgement),
// finds it in the queue, assigns, replies, adds a note and resolves it; a
// viewer reads but cannot change; bad inputs are refused naming the field,
// with nothing changed.
#include <gmock/gmock.h>

#include "tests/e2e/relay_fixture.h"

namespace helpline::e2e {
namespace {

using helpline::testing::json_field_number;
using helpline::testing::json_field_objects;
using helpline::testing::json_field_object;
using helpline::testing::json_field_string;
using helpline::testing::parse_json_object;
using ::testing::HasSubstr;

class Tickets : public RelayFixture {
 protected:
  // Logs in a user "tech-<role>" under its own CLI config at `config`.
  void login(const std::string& role, std::filesystem::path& config) {
    config = login_new_user("tech-" + role, role);
    ASSERT_FALSE(HasFailure());
  }

  // `helpline ARGS --json` as `config`'s user, parsed; fails the test when
  // the command fails.
  [[nodiscard]] Struct json_of(const std::filesystem::path& config, std::vector<std::string> args) {
    args.emplace_back("--json");
    RunResult run = config.empty() ? cli(args) : cli_with(config, args);
    EXPECT_EQ(run.exit_code, 0) << run.describe();
    auto parsed = parse_json_object(run.out);
    EXPECT_TRUE(parsed) << run.out;
    return parsed.value_or(Struct{});
  }

  // A new ticket as the admin; its display id ("HL-n").
  [[nodiscard]] std::string create_ticket(const std::string& title) {
    RunResult created =
        cli({"ticket", "create", "--title", title, "--impact", "3", "--urgency", "4", "--json"});
    EXPECT_EQ(created.exit_code, 0) << created.describe();
    auto ticket = parse_json_object(created.out);
    return ticket ? json_field_string(*ticket, "display_id") : "";
  }
};

TEST_F(Tickets, TechnicianCreatesAssignsRepliesAndResolves) {
  std::filesystem::path tech;
  ASSERT_NO_FATAL_FAILURE(login("l1", tech));

  Struct created = json_of(
      tech, {"ticket", "create", "--title", "VPN drops every hour", "--impact", "3", "--urgency",
             "4", "--category", "network", "--since", "this morning", "--channel", "phone"});
  const std::string id = json_field_string(created, "display_id");
  ASSERT_EQ(id.rfind("HL-", 0), 0u) << id;
  EXPECT_EQ(json_field_string(created, "id"), id.substr(3));
  EXPECT_EQ(json_field_number(created, "priority"), 4.0);
  EXPECT_EQ(json_field_string(created, "status"), "new");
  EXPECT_EQ(json_field_string(created, "channel"), "phone");
  auto sla = json_field_object(created, "sla");
  ASSERT_TRUE(sla);
  EXPECT_FALSE(json_field_string(*sla, "first_response_due").empty());
  EXPECT_FALSE(json_field_string(*sla, "resolve_due").empty());
  EXPECT_EQ(json_field_string(*sla, "first_response_target"), "1h");

  Struct queue = json_of(tech, {"tickets"});
  auto listed = json_field_objects(queue, "tickets");
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(json_field_string(listed[0], "display_id"), id);

  EXPECT_EQ(json_field_string(json_of(tech, {"ticket", "assign", id, "tech-l1"}), "status"),
            "assigned");
  EXPECT_EQ(json_field_string(json_of(tech, {"ticket", "status", id, "in_progress"}), "status"),
            "in_progress");
  Struct replied = json_of(tech, {"ticket", "reply", id, "Please restart the VPN client"});
  EXPECT_FALSE(json_field_string(replied, "first_response_at").empty());
  EXPECT_EQ(
      json_field_string(json_of(tech, {"ticket", "note", id, "Probably the MTU again"}), "status"),
      "in_progress");
  Struct resolved = json_of(tech, {"ticket", "resolve", id, "--solution", "MTU set to 1400"});
  EXPECT_EQ(json_field_string(resolved, "status"), "resolved");
  EXPECT_EQ(json_field_string(resolved, "solution"), "MTU set to 1400");

  Struct shown = json_of(tech, {"ticket", "show", id});
  auto messages = json_field_objects(shown, "messages");
  ASSERT_EQ(messages.size(), 3u) << "acknowledgement, reply, note";
  EXPECT_THAT(json_field_string(messages[0], "body"), HasSubstr(id));
  EXPECT_EQ(json_field_string(messages[0], "author_kind"), "system");
  EXPECT_EQ(json_field_string(messages[2], "body"), "Probably the MTU again");
  EXPECT_EQ(messages[2].fields().at("internal").bool_value(), true);
  bool saw_resolved = false;
  for (const auto& h : json_field_objects(shown, "history")) {
    saw_resolved = saw_resolved || (json_field_string(h, "field") == "status" &&
                                    json_field_string(h, "new_value") == "resolved");
  }
  EXPECT_TRUE(saw_resolved) << "history records the resolution";
  EXPECT_TRUE(json_field_objects(json_of(tech, {"tickets"}), "tickets").empty())
      << "resolved tickets leave the open queue";
  EXPECT_EQ(json_field_objects(json_of(tech, {"tickets", "--status", "resolved"}), "tickets").size(), 1u);

  Struct stats = json_of(tech, {"stats"});
  EXPECT_EQ(json_field_string(stats, "total"), "1");
  EXPECT_EQ(json_field_string(stats, "resolved"), "1");
  auto response = json_field_object(stats, "first_response");
  ASSERT_TRUE(response);
  EXPECT_EQ(json_field_string(*response, "count"), "1");

  RunResult readable = cli_with(tech, {"ticket", "show", id});
  ASSERT_EQ(readable.exit_code, 0) << readable.describe();
  EXPECT_THAT(readable.out, HasSubstr("resolve by:"));
  EXPECT_THAT(readable.out, HasSubstr("Please restart the VPN client"));
}

TEST_F(Tickets, QueueIsSortedAndPaginated) {
  ASSERT_FALSE(create_ticket("first").empty());
  RunResult urgent =
      cli({"ticket", "create", "--title", "urgent", "--impact", "5", "--urgency", "5", "--json"});
  ASSERT_EQ(urgent.exit_code, 0) << urgent.describe();
  ASSERT_FALSE(create_ticket("third").empty());

  std::filesystem::path admin_view;
  ASSERT_NO_FATAL_FAILURE(login("viewer", admin_view));
  Struct page1 = json_of(admin_view, {"tickets", "--limit", "2"});
  auto first = json_field_objects(page1, "tickets");
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(json_field_string(first[0], "title"), "urgent");
  EXPECT_EQ(json_field_string(first[1], "title"), "first");
  const std::string cursor = json_field_string(page1, "next_cursor");
  ASSERT_FALSE(cursor.empty());
  Struct page2 = json_of(admin_view, {"tickets", "--limit", "2", "--cursor", cursor});
  auto second = json_field_objects(page2, "tickets");
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(json_field_string(second[0], "title"), "third");
  EXPECT_EQ(json_field_string(page2, "next_cursor"), "");
}

TEST_F(Tickets, ViewerCannotChangeATicket) {
  const std::string id = create_ticket("Printer jammed");
  ASSERT_FALSE(id.empty());
  std::filesystem::path viewer;
  ASSERT_NO_FATAL_FAILURE(login("viewer", viewer));
  for (std::vector<std::string> args :
       {std::vector<std::string>{"ticket", "assign", id, "tech-viewer"},
        std::vector<std::string>{"ticket", "reply", id, "hello"},
        std::vector<std::string>{"ticket", "resolve", id, "--solution", "x"},
        std::vector<std::string>{"ticket", "create", "--title", "x", "--impact", "1", "--urgency",
                                 "1"}}) {
    RunResult refused = cli_with(viewer, args);
    EXPECT_EQ(refused.exit_code, 1) << refused.describe();
    EXPECT_THAT(refused.err, HasSubstr("needs 'l1'"));
  }
  Struct shown = json_of(viewer, {"ticket", "show", id});
  EXPECT_EQ(json_field_string(shown, "status"), "new");
  EXPECT_EQ(json_field_string(shown, "assignee"), "");
  EXPECT_EQ(json_field_objects(shown, "messages").size(), 1u) << "only the acknowledgement";
}

TEST_F(Tickets, BadInputsAreRefusedNamingTheFieldAndChangeNothing) {
  const std::string id = create_ticket("Laptop slow");
  ASSERT_FALSE(id.empty());
  struct Case {
    std::vector<std::string> args;
    const char* expected;
  };
  for (const Case& c : std::vector<Case>{
           {{"ticket", "create", "--title", "x", "--impact", "0", "--urgency", "3"},
            "impact must be 1"},
           {{"ticket", "create", "--title", "x", "--impact", "3", "--urgency", "6"},
            "urgency must be 1"},
           {{"tickets", "--cursor", "c1zz"}, "cursor:"},
           {{"tickets", "--status", "sleeping"}, "status"},
           {{"ticket", "show", "HL-x"}, "id:"},
           {{"ticket", "show", "HL-999"}, "no ticket 999"},
           {{"ticket", "status", id, "bogus"}, "status"},
           {{"ticket", "status", id, "pending"}, "pending"},
           {{"ticket", "escalate", id, "L1", "--reason", "stuck"}, "already at L1"},
           {{"ticket", "close", id}, "reason"},
           {{"ticket", "reply", id, " "}, "body:"},
       }) {
    RunResult refused = cli(c.args);
    EXPECT_EQ(refused.exit_code, 1) << refused.describe();
    EXPECT_THAT(refused.err, HasSubstr(c.expected)) << refused.describe();
  }
  Struct resolved = json_of({}, {"ticket", "resolve", id, "--solution", "more RAM"});
  EXPECT_EQ(json_field_string(resolved, "status"), "resolved");
  RunResult illegal =
      cli({"ticket", "status", id, "pending", "--pending-reason", "waiting_for_user"});
  EXPECT_EQ(illegal.exit_code, 1) << illegal.describe();
  EXPECT_THAT(illegal.err, HasSubstr("cannot go from resolved to pending"));

  RunResult shown = cli({"ticket", "show", id, "--json"});
  ASSERT_EQ(shown.exit_code, 0) << shown.describe();
  auto ticket = parse_json_object(shown.out);
  ASSERT_TRUE(ticket);
  EXPECT_EQ(json_field_string(*ticket, "status"), "resolved");
  EXPECT_EQ(json_field_string(*ticket, "level"), "L1");
  EXPECT_EQ(json_field_objects(*ticket, "messages").size(), 1u);
  RunResult all = cli({"tickets", "--status", "all", "--json"});
  auto listed = parse_json_object(all.out);
  ASSERT_TRUE(listed) << all.describe();
  EXPECT_EQ(json_field_objects(*listed, "tickets").size(), 1u) << "no refused create made a ticket";
}

}  // namespace
}  // namespace helpline::e2e
