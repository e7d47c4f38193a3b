// Extra patterns from `[collect] redact_patterns`.
#include <string>

#include "tests/unit/common/redact/redact_test_util.h"

namespace helpline::redact::testing {
namespace {

[[nodiscard]] Options with(std::vector<Pattern> patterns) {
  Options options;
  options.extra_patterns = std::move(patterns);
  return options;
}

TEST(ExtraPatterns, WithoutGroupTheWholeMatchIsRedacted) {
  Redactor redactor = make_redactor(with({{"", R"(EMP-\d{6})"}}));
  EXPECT_EQ(redactor.redact("badge EMP-123456 and EMP-654321 seen"),
            "badge [REDACTED] and [REDACTED] seen");
  EXPECT_EQ(redactor.counts(), (Counts{{"custom_1", 2}}));
}

TEST(ExtraPatterns, WithAGroupOnlyTheGroupIsRedacted) {
  Redactor redactor =
      make_redactor(with({{"ldap_bind", R"(bindpw\s+(\S+))"}, {"", R"(pin=(\d+))"}}));
  EXPECT_EQ(redactor.redact("ldap: bindpw s3cret uri ldap://x\ncard pin=1234 ok"),
            "ldap: bindpw [REDACTED] uri ldap://x\ncard pin=[REDACTED] ok");
  EXPECT_EQ(redactor.counts(), (Counts{{"ldap_bind", 1}, {"custom_2", 1}}));
}

TEST(ExtraPatterns, AnchorsApplyPerLine) {
  Redactor redactor = make_redactor(with({{"", R"(^secret-line .*$)"}}));
  EXPECT_EQ(redactor.redact("a\nsecret-line xyz\nb secret-line no"),
            "a\n[REDACTED]\nb secret-line no");
}

TEST(ExtraPatterns, DoNotCountWhatABuiltinRuleTookAlready) {
  Redactor redactor = make_redactor(with({{"", R"(password=(\S+))"}}));
  EXPECT_EQ(redactor.redact("x password=hunter2"), "x password=[REDACTED]");
  EXPECT_EQ(redactor.counts(), (Counts{{"secret_key_value", 1}}));
}

TEST(ExtraPatterns, EmptyMatchesAreIgnored) {
  Redactor redactor = make_redactor(with({{"", "x*"}}));
  EXPECT_EQ(redactor.redact("abc"), "abc");
  EXPECT_EQ(redactor.redact("axxb"), "a[REDACTED]b");
}

TEST(ExtraPatterns, MatchesAcrossWindowsOfALongLine) {
  Redactor redactor = make_redactor(with({{"", R"(TICKET-[0-9]+)"}, {"greedy", "q+"}}));
  std::string line;
  for (int i = 0; i < 3000; ++i) line += "TICKET-" + std::to_string(i) + " ";
  const std::string out = redactor.redact(line);
  EXPECT_EQ(out.find("TICKET-"), std::string::npos);
  EXPECT_EQ(redactor.counts().at("custom_1"), 3000u);
  // A match as long as a 1 MiB line neither exhausts the stack nor leaves
  // pieces behind at window boundaries.
  const std::string big = "<" + std::string(1024 * 1024, 'q') + ">";
  const std::string out_big = redactor.redact(big);
  EXPECT_EQ(out_big.find('q'), std::string::npos);
  EXPECT_EQ(out_big.front(), '<');
  EXPECT_EQ(out_big.back(), '>');
}

TEST(ExtraPatterns, AnInvalidPatternIsRefusedByName) {
  auto bad = Redactor::create(with({{"", "ok"}, {"", "card=([0-9]+"}}));
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, "bad_redact_pattern");
  EXPECT_NE(bad.error().message.find("custom_2"), std::string::npos) << bad.error().message;
  EXPECT_NE(bad.error().message.find("card=([0-9]+"), std::string::npos) << bad.error().message;
  EXPECT_NE(bad.error().message.find("redact_patterns"), std::string::npos);
}

TEST(ExtraPatterns, EmptyAndDuplicateNamesAreRefused) {
  for (const auto& patterns : std::vector<std::vector<Pattern>>{
           {{"", ""}}, {{"a", "x"}, {"a", "y"}}, {{"jwt", "x"}}, {{"custom_2", "x"}, {"", "y"}}}) {
    auto bad = Redactor::create(with(patterns));
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error().code, "bad_redact_pattern");
  }
}

}  // namespace
}  // namespace helpline::redact::testing
