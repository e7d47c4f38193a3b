// The knowledge base and ticket files with the real relay, CLIs and agent:
// technicians (l2+) write articles, everyone searches them; a ticket shows
// the articles that match it and the ones linked by hand (in its history);
// the end user reads public articles from the workstation; files attach to
// tickets within the size limit and come back byte for byte.
#include <gmock/gmock.h>

#include <fstream>

#include "tests/e2e/relay_fixture.h"

namespace helpline::e2e {
namespace {

using helpline::testing::json_field_objects;
using helpline::testing::json_field_string;
using helpline::testing::parse_json_object;
using ::testing::HasSubstr;
using ::testing::Not;

class Knowledge : public RelayFixture {
 protected:
  std::filesystem::path write_file(const std::string& name, const std::string& content) {
    auto path = path_for(name);
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
};

TEST_F(Knowledge, ArticlesAreWrittenSearchedAndShownWithTickets) {
  auto body = write_file("vpn.md", "# VPN drops\n\nSet the MTU to 1400 in the client.\n");
  auto vpn = json_output(cli({"kb", "create", "--title", "VPN drops every hour", "--body-file",
                          body.string(), "--category", "network", "--audience", "public",
                          "--action", "network.restart_vpn", "--json"}));
  ASSERT_TRUE(vpn);
  const std::string vpn_id = json_field_string(*vpn, "id");
  EXPECT_EQ(vpn_id, "KB-0001");
  auto disk = json_output(
      cli({"kb", "create", "--id", "helpline:disk-full", "--title", "Disk nearly full", "--body",
           "Vacuum the journal.", "--finding", "storage.filesystem_nearly_full", "--json"}));
  ASSERT_TRUE(disk);

  auto viewer = login_new_user("user-viewer", "viewer");
  auto found = json_output(cli_with(viewer, {"kb", "search", "mtu", "--json"}));
  ASSERT_TRUE(found);
  auto hits = json_field_objects(*found, "articles");
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(json_field_string(hits[0], "id"), vpn_id);
  EXPECT_THAT(json_field_string(hits[0], "snippet"), HasSubstr("MTU"));
  RunResult shown = cli_with(viewer, {"kb", "show", "helpline:disk-full"});
  ASSERT_EQ(shown.exit_code, 0) << shown.describe();
  EXPECT_THAT(shown.out, HasSubstr("Vacuum the journal."));
  EXPECT_THAT(shown.out, HasSubstr("storage.filesystem_nearly_full"));
  RunResult refused = cli_with(viewer, {"kb", "create", "--title", "x"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("needs 'l2'"));
  auto l1 = login_new_user("user-l1", "l1");
  RunResult l1_refused = cli_with(l1, {"kb", "edit", vpn_id, "--title", "y"});
  EXPECT_EQ(l1_refused.exit_code, 1);
  EXPECT_THAT(l1_refused.err, HasSubstr("needs 'l2'"));
  RunResult bad = cli({"kb", "create", "--title", "x", "--category", "gardening"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.err, HasSubstr("category"));
  RunResult bad_cursor = cli({"kb", "list", "--cursor", "nonsense"});
  EXPECT_EQ(bad_cursor.exit_code, 1);
  EXPECT_THAT(bad_cursor.err, HasSubstr("cursor:"));

  auto edited =
      json_output(cli({"kb", "edit", vpn_id, "--title", "VPN drops after an hour", "--json"}));
  ASSERT_TRUE(edited);
  EXPECT_EQ(edited->fields().at("version").string_value(), "2");
  EXPECT_THAT(json_field_string(*edited, "body"), HasSubstr("MTU")) << "untouched fields stay";

  // A network ticket about the VPN shows the article; a link by hand comes
  // first and is in the history.
  auto ticket = json_output(cli({"ticket", "create", "--title", "VPN drops all the time", "--category",
                             "network", "--impact", "3", "--urgency", "3", "--json"}));
  ASSERT_TRUE(ticket);
  const std::string id = json_field_string(*ticket, "display_id");
  auto view = json_output(cli({"ticket", "show", id, "--json"}));
  ASSERT_TRUE(view);
  auto articles = json_field_objects(*view, "kb_articles");
  ASSERT_EQ(articles.size(), 1u) << view->DebugString();
  EXPECT_EQ(json_field_string(articles[0], "id"), vpn_id);
  EXPECT_EQ(json_field_string(articles[0], "reason"), "category");
  RunResult linked =
      cli_with(l1, {"kb", "link", "helpline:disk-full", id, "--reason", "the disk was full too"});
  ASSERT_EQ(linked.exit_code, 0) << linked.describe();
  view = json_output(cli({"ticket", "show", id, "--json"}));
  ASSERT_TRUE(view);
  articles = json_field_objects(*view, "kb_articles");
  ASSERT_EQ(articles.size(), 2u);
  EXPECT_EQ(json_field_string(articles[0], "id"), "helpline:disk-full");
  EXPECT_EQ(json_field_string(articles[0], "reason"), "linked");
  EXPECT_EQ(json_field_string(articles[0], "linked_by"), "user-l1");
  bool in_history = false;
  for (const Struct& h : json_field_objects(*view, "history")) {
    in_history = in_history || (json_field_string(h, "field") == "kb_article" &&
                                json_field_string(h, "new_value") == "helpline:disk-full");
  }
  EXPECT_TRUE(in_history);
  RunResult twice = cli({"kb", "link", "helpline:disk-full", id});
  EXPECT_EQ(twice.exit_code, 1);
  EXPECT_THAT(twice.err, HasSubstr("linked to this ticket already"));
  RunResult missing = cli({"kb", "link", "KB-0404", id});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("no knowledge-base article"));

  RunResult deleted = cli({"kb", "delete", "helpline:disk-full"});
  ASSERT_EQ(deleted.exit_code, 0) << deleted.describe();
  view = json_output(cli({"ticket", "show", id, "--json"}));
  ASSERT_TRUE(view);
  EXPECT_EQ(json_field_objects(*view, "kb_articles").size(), 1u);
}

TEST_F(Knowledge, EndUsersReadPublicArticlesFromTheWorkstation) {
  ASSERT_EQ(
      cli({"kb", "create", "--id", "helpline:printing", "--title", "Printer offline", "--body",
           "Turn the printer off and on.", "--audience", "public", "--category", "hardware"})
          .exit_code,
      0);
  ASSERT_EQ(cli({"kb", "create", "--id", "internal:printing", "--title", "Printer queue internals",
                 "--body", "cupsctl --debug-logging", "--category", "hardware"})
                .exit_code,
            0);
  EnrolledAgent pc = enroll_agent("pc1");
  ASSERT_FALSE(pc.device_id.empty());
  ASSERT_NE(start_agent(pc), nullptr);
  ASSERT_TRUE(wait_online(pc.device_id, kOnlineTimeout));

  RunResult read = agent_local(pc, {"kb", "helpline:printing"});
  ASSERT_EQ(read.exit_code, 0) << read.describe();
  EXPECT_THAT(read.out, HasSubstr("Turn the printer off and on."));
  RunResult hidden = agent_local(pc, {"kb", "internal:printing"});
  ASSERT_EQ(hidden.exit_code, 0) << hidden.describe();
  EXPECT_THAT(hidden.out, HasSubstr("No such article is available to you (internal:printing)"));
  EXPECT_THAT(hidden.out, HasSubstr("helpline-agent kb --search WORDS"));
  RunResult searched = agent_local(pc, {"kb", "--search", "printer", "--json"});
  ASSERT_EQ(searched.exit_code, 0) << searched.describe();
  EXPECT_THAT(searched.out, HasSubstr("helpline:printing"));
  EXPECT_THAT(searched.out, Not(HasSubstr("internal:printing")));

  RunResult reported =
      agent_local(pc, {"report", "--title", "Printer offline again", "--impact", "2", "--urgency",
                       "2", "--category", "hardware", "--no-bundle", "--wait", "30s", "--json"});
  auto ticket = json_output(reported);
  ASSERT_TRUE(ticket);
  RunResult detail = agent_local(pc, {"ticket", json_field_string(*ticket, "id")});
  ASSERT_EQ(detail.exit_code, 0) << detail.describe();
  EXPECT_THAT(detail.out, HasSubstr("Articles that may help"));
  EXPECT_THAT(detail.out, HasSubstr("helpline:printing"));
  EXPECT_THAT(detail.out, Not(HasSubstr("internal:printing")));
}

TEST_F(Knowledge, FilesAttachWithinTheLimitAndComeBackByteForByte) {
  // A small limit, so the refusal is cheap to provoke.
  ASSERT_NO_FATAL_FAILURE(stop_relay());
  std::ofstream(data_dir() / "relay.toml", std::ios::app)
      << "\n[helpdesk]\nmax_attachment = 4096\n";
  ASSERT_NO_FATAL_FAILURE(start_relay_again());
  auto ticket = json_output(cli({"ticket", "create", "--title", "Screen flickers", "--impact", "2",
                             "--urgency", "2", "--json"}));
  ASSERT_TRUE(ticket);
  const std::string id = json_field_string(*ticket, "display_id");
  std::string content;
  for (int i = 0; i < 4096; ++i) content.push_back(static_cast<char>(i * 7 % 256));
  auto file = write_file("screen.png", content);
  auto attached = json_output(cli({"ticket", "attach", id, file.string(), "--json"}));
  ASSERT_TRUE(attached);
  EXPECT_EQ(json_field_string(*attached, "name"), "screen.png");
  EXPECT_EQ(json_field_string(*attached, "content_type"), "image/png");
  EXPECT_EQ(json_field_string(*attached, "size"), "4096");
  const std::string ref = json_field_string(*attached, "ref");
  ASSERT_EQ(ref.rfind("sha256:", 0), 0u);

  auto viewer = login_new_user("user-viewer", "viewer");
  auto back = path_for("back.png");
  RunResult got = cli_with(viewer, {"ticket", "attachment", id, ref, "--out", back.string()});
  ASSERT_EQ(got.exit_code, 0) << got.describe();
  std::ifstream in(back, std::ios::binary);
  EXPECT_EQ(std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()),
            content);
  RunResult viewer_attach = cli_with(viewer, {"ticket", "attach", id, file.string()});
  EXPECT_EQ(viewer_attach.exit_code, 1);
  EXPECT_THAT(viewer_attach.err, HasSubstr("needs 'l1'"));

  auto big = write_file("big.log", std::string(4097, 'x'));
  RunResult too_big = cli({"ticket", "attach", id, big.string()});
  EXPECT_EQ(too_big.exit_code, 1);
  EXPECT_THAT(too_big.err, HasSubstr("larger than 4096"));
  RunResult again = cli({"ticket", "attach", id, file.string(), "--name", "copy.png"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, HasSubstr("attached to " + id + " already"));

  auto view = json_output(cli({"ticket", "show", id, "--json"}));
  ASSERT_TRUE(view);
  EXPECT_EQ(json_field_objects(*view, "attachments").size(), 1u) << "refusals attached nothing";
  long attachments_in_history = 0;
  for (const Struct& h : json_field_objects(*view, "history")) {
    attachments_in_history += json_field_string(h, "field") == "attachment" ? 1 : 0;
  }
  EXPECT_EQ(attachments_in_history, 1);
  RunResult unknown = cli({"ticket", "attachment", id, "sha256:" + std::string(64, '0'), "--out",
                           path_for("none").string()});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("ref:"));
}

}  // namespace
}  // namespace helpline::e2e
