// The knowledge base in SQLite: ids, versions, the FTS5 index kept in step
// by triggers (stemming, ranking, filters), the articles a ticket shows.
#include <gmock/gmock.h>

#include "tests/unit/server/store/store_fixture.h"

namespace helpline::relay {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class KbStoreTest : public testing::StoreTest {
 protected:
  KbStore& kb() { return store_->kb_store(); }

  kb::Article add(std::string title, std::string body, std::string category = "other",
                  std::vector<std::string> findings = {}, std::string id = {},
                  kb::Audience audience = kb::Audience::kInternal) {
    kb::Article a;
    a.id = std::move(id);
    a.title = std::move(title);
    a.body = std::move(body);
    a.category = std::move(category);
    a.finding_rules = std::move(findings);
    a.audience = audience;
    a.created_at = 1000;
    a.created_by = "bob";
    auto made = kb().create_article(a);
    EXPECT_TRUE(made) << made.error().to_string();
    return made.value_or(kb::Article{});
  }

  std::vector<std::string> ids(const KbQuery& q) {
    auto page = kb().search(q);
    EXPECT_TRUE(page) << page.error().to_string();
    std::vector<std::string> out;
    if (page) {
      for (const auto& hit : page->hits) out.push_back(hit.article.id);
    }
    return out;
  }

  static KbQuery matching(std::string_view words) {
    KbQuery q;
    q.match = kb::search_expression(words).value();
    return q;
  }
};

TEST_F(KbStoreTest, CreateGivesNumberedIdsAndKeepsChosenOnes) {
  kb::Article first = add("Printer offline", "Check the cable");
  EXPECT_EQ(first.id, "KB-0001");
  EXPECT_EQ(first.version, 1);
  EXPECT_EQ(first.created_by, "bob");
  EXPECT_EQ(first.updated_at, 1000);
  kb::Article chosen = add("Name resolution", "...", "network", {}, "helpline:name-resolution");
  EXPECT_EQ(chosen.id, "helpline:name-resolution");
  // Someone took the next number by hand: the automatic id steps around it.
  add("Manual", "...", "other", {}, "KB-0003");
  EXPECT_EQ(add("Third", "...").id, "KB-0004");
  kb::Article again;
  again.id = "KB-0001";
  again.title = "dup";
  auto refused = kb().create_article(again);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "conflict");
}

TEST_F(KbStoreTest, UpdateNeedsTheVersionItWasReadAt) {
  kb::Article a = add("Printer offline", "Check the cable", "hardware", {"services.unit_failed"});
  a.title = "Printer shows offline";
  a.finding_rules = {"logs.error_burst"};
  a.actions = {"cups.restart"};
  a.updated_at = 2000;
  a.updated_by = "carol";
  auto updated = kb().update_article(a, 1);
  ASSERT_TRUE(updated) << updated.error().to_string();
  EXPECT_EQ(updated->version, 2);
  EXPECT_EQ(updated->created_by, "bob");
  EXPECT_EQ(updated->updated_by, "carol");
  EXPECT_THAT(updated->finding_rules, ElementsAre("logs.error_burst"));
  EXPECT_THAT(updated->actions, ElementsAre("cups.restart"));
  auto stale = kb().update_article(a, 1);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, "conflict");
  EXPECT_THAT(stale.error().message, HasSubstr("version"));
  EXPECT_EQ(kb().find_article(a.id).value()->title, "Printer shows offline");
  a.id = "KB-0404";
  EXPECT_EQ(kb().update_article(a, 1).error().code, "not_found");
}

TEST_F(KbStoreTest, SearchUsesStemsRanksTitlesFirstAndFollowsEdits) {
  add("Disk full on /var", "Old journals fill the disk; vacuum them.", "hardware");
  add("Slow login", "A full disk can also slow the login down.", "software");
  add("Printer offline", "Restart the printing service.", "hardware");
  EXPECT_THAT(ids(matching("disks")), ElementsAre("KB-0001", "KB-0002")) << "title match first";
  EXPECT_THAT(ids(matching("printers")), ElementsAre("KB-0003")) << "porter stemming";
  EXPECT_THAT(ids(matching("print")), ElementsAre("KB-0003")) << "prefix";
  EXPECT_THAT(ids(matching("disk login")), ElementsAre("KB-0002")) << "all words";
  auto page = kb().search(matching("vacuum"));
  ASSERT_TRUE(page);
  ASSERT_EQ(page->hits.size(), 1u);
  EXPECT_THAT(page->hits[0].snippet, HasSubstr("vacuum"));

  kb::Article printer = kb().find_article("KB-0003").value().value();
  printer.body = "Power-cycle the device.";
  ASSERT_TRUE(kb().update_article(printer, 1));
  EXPECT_TRUE(ids(matching("restart")).empty()) << "the index forgot the old body";
  EXPECT_THAT(ids(matching("power cycle")), ElementsAre("KB-0003"));
  ASSERT_TRUE(kb().delete_article("KB-0003"));
  EXPECT_TRUE(ids(matching("device")).empty());
  EXPECT_EQ(kb().delete_article("KB-0003").error().code, "not_found");
}

TEST_F(KbStoreTest, FiltersAndPages) {
  add("A", "x", "hardware", {"storage.filesystem_full"});
  add("B", "x", "hardware", {}, {}, kb::Audience::kPublic);
  add("C", "x", "network", {}, {}, kb::Audience::kPublic);
  KbQuery q;
  q.category = "hardware";
  EXPECT_THAT(ids(q), ElementsAre("KB-0001", "KB-0002"));
  q = {};
  q.finding_rule = "storage.filesystem_full";
  EXPECT_THAT(ids(q), ElementsAre("KB-0001"));
  q = {};
  q.public_only = true;
  EXPECT_THAT(ids(q), ElementsAre("KB-0002", "KB-0003"));
  q = {};
  q.limit = 2;
  auto first = kb().search(q).value();
  ASSERT_EQ(first.hits.size(), 2u);
  ASSERT_TRUE(first.next_offset);
  q.offset = *first.next_offset;
  auto second = kb().search(q).value();
  ASSERT_EQ(second.hits.size(), 1u);
  EXPECT_EQ(second.hits[0].article.id, "KB-0003");
  EXPECT_FALSE(second.next_offset);
  q.limit = 0;
  EXPECT_EQ(kb().search(q).error().code, "bad_value");
  auto some = kb().find_articles({"KB-0003", "nope", "KB-0001", "KB-0003"}, true).value();
  ASSERT_EQ(some.size(), 1u) << "unknown, internal and repeated ids are left out";
  EXPECT_EQ(some[0].id, "KB-0003");
}

TEST_F(KbStoreTest, TicketLinksCascadeWithTheArticle) {
  raw_exec("INSERT INTO tickets (id, title, impact, urgency, priority) VALUES (7, 't', 3, 3, 3)");
  kb::Article a = add("A", "x");
  ASSERT_TRUE(kb().link_ticket(7, a.id, 5000, "bob"));
  EXPECT_EQ(kb().link_ticket(7, a.id, 5000, "bob").error().code, "conflict");
  EXPECT_EQ(kb().link_ticket(7, "KB-0404", 5000, "bob").error().code, "not_found");
  EXPECT_EQ(kb().link_ticket(8, a.id, 5000, "bob").error().code, "not_found");
  auto shown = kb().suggestions(7, {}, "other", "", false, 10).value();
  ASSERT_EQ(shown.size(), 1u);
  EXPECT_EQ(shown[0].reason, "linked");
  EXPECT_EQ(shown[0].linked_at, 5000);
  EXPECT_TRUE(kb().suggestions(7, {}, "other", "", true, 10).value().empty())
      << "internal articles are not for end users";
  ASSERT_TRUE(kb().delete_article(a.id));
  EXPECT_EQ(raw_int("SELECT COUNT(*) FROM ticket_kb_links"), 0);
  EXPECT_EQ(kb().unlink_ticket(7, a.id).error().code, "not_found");
}

}  // namespace
}  // namespace helpline::relay
