// server/kb: what an article must be, and search words that can never turn
// into FTS5 syntax.
#include "server/kb/kb.h"

#include <gmock/gmock.h>

#include <algorithm>

namespace helpline::relay::kb {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

[[nodiscard]] Article draft() {
  Article a;
  a.title = "Printer shows offline";
  a.body = "1. Check the cable.\n2. Restart the spooler.\n";
  a.category = "Hardware";
  a.finding_rules = {"services.unit_failed", "logs.error_burst", "services.unit_failed"};
  a.actions = {"systemd.restart_unit"};
  return a;
}

TEST(KbArticle, NormalizeLowersTheCategoryAndSortsLinks) {
  auto a = normalize(draft(), tickets::CategoryCatalog());
  ASSERT_TRUE(a) << a.error().to_string();
  EXPECT_EQ(a->category, "hardware");
  EXPECT_THAT(a->finding_rules, ElementsAre("logs.error_burst", "services.unit_failed"));
  Article none = draft();
  none.category.clear();
  EXPECT_EQ(normalize(none, tickets::CategoryCatalog())->category, "other");
}

TEST(KbArticle, RefusesBadFieldsNamingThem) {
  struct Case {
    void (*change)(Article&);
    const char* field;
  };
  for (const Case& c : std::vector<Case>{
           {[](Article& a) { a.title = " "; }, "title:"},
           {[](Article& a) { a.title = std::string(201, 'x'); }, "title:"},
           {[](Article& a) { a.title = "two\nlines"; }, "title:"},
           {[](Article& a) { a.body = std::string(64 * 1024 + 1, 'x'); }, "body:"},
           {[](Article& a) { a.body = std::string("bell\a"); }, "body:"},
           {[](Article& a) { a.category = "gardening"; }, "category"},
           {[](Article& a) { a.id = "KB/1"; }, "id:"},
           {[](Article& a) { a.id = std::string(65, 'a'); }, "id:"},
           {[](Article& a) {
              a.finding_rules = {"ok", "not ok"};
            },
            "finding_rules[1]:"},
           {[](Article& a) { a.actions.assign(33, "x"); }, "actions:"},
       }) {
    Article a = draft();
    c.change(a);
    auto refused = normalize(a, tickets::CategoryCatalog());
    ASSERT_FALSE(refused) << c.field;
    EXPECT_EQ(refused.error().code, "bad_value");
    EXPECT_THAT(refused.error().message, HasSubstr(c.field));
  }
}

TEST(KbArticle, IdsAreOnePathSegmentOfTheCatalogsLinkSyntax) {
  EXPECT_TRUE(is_article_id("KB-0042"));
  EXPECT_TRUE(is_article_id("helpline:printing"));
  EXPECT_FALSE(is_article_id(""));
  EXPECT_FALSE(is_article_id("a/b"));
  EXPECT_FALSE(is_article_id("a b"));
  EXPECT_EQ(numbered_id(42), "KB-0042");
  EXPECT_EQ(numbered_id(12345), "KB-12345");
}

TEST(KbSearch, WordsBecomeQuotedPrefixTerms) {
  EXPECT_EQ(search_expression("printer offline"), "\"printer\"* \"offline\"*");
  EXPECT_EQ(search_expression("printer offline", true), "\"printer\"* OR \"offline\"*");
  EXPECT_EQ(search_expression("  \"NEAR(a b)\" OR -x* ^y:z"),
            "\"NEAR\"* \"a\"* \"b\"* \"OR\"* \"x\"* \"y\"* \"z\"*")
      << "operators and quotes are only separators";
  EXPECT_EQ(search_expression("café réseau"), "\"café\"* \"réseau\"*");
  EXPECT_FALSE(search_expression(" \"*() "));
  EXPECT_FALSE(search_expression(""));
  std::string many;
  for (int i = 0; i < 40; ++i) many += "w" + std::to_string(i) + " ";
  auto capped = search_expression(many);
  ASSERT_TRUE(capped);
  EXPECT_EQ(std::count(capped->begin(), capped->end(), '*'), 16);
}

TEST(KbCursor, RoundTripsAndRefusesForgeries) {
  EXPECT_EQ(decode_cursor(encode_cursor(150)).value(), 150u);
  for (const char* bad : {"", "kb1.", "kb1.x", "kb1.-1", "150", "kb1.99999999999"}) {
    auto refused = decode_cursor(bad);
    ASSERT_FALSE(refused) << bad;
    EXPECT_THAT(refused.error().message, HasSubstr("cursor:"));
  }
}

TEST(KbAudience, ParsesTheTwoAudiences) {
  EXPECT_EQ(parse_audience("public").value(), Audience::kPublic);
  EXPECT_EQ(parse_audience("internal").value(), Audience::kInternal);
  EXPECT_THAT(parse_audience("everyone").error().message, HasSubstr("audience:"));
}

}  // namespace
}  // namespace helpline::relay::kb
