#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/audit/audit.h"

namespace helpline::audit {
namespace {

[[nodiscard]] std::vector<std::string> make_chain(int n) {
  std::vector<std::string> lines;
  std::uint64_t seq = 0;
  std::string hash;
  for (int i = 0; i < n; ++i) {
    Entry e;
    e.at_ms = 1000 + i;
    e.event = "session.request";
    e.actor = "alice";
    e.device = "dev_1";
    e.session = "ses_0123456789abcdef";
    e.ticket = 7;
    e.detail = "reason: \"quotes\", newline\n, tab\t and é " + std::to_string(i);
    lines.push_back(seal(e, seq, hash));
    seq = e.seq;
    hash = e.hash;
  }
  return lines;
}

[[nodiscard]] VerifyReport verify(const std::vector<std::string>& lines) {
  ChainVerifier v;
  for (const auto& l : lines) v.feed(l);
  return v.report();
}

TEST(AuditChain, SealedLinesParseBackAndVerify) {
  auto lines = make_chain(5);
  auto parsed = parse_line(lines[2]);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->seq, 3u);
  EXPECT_EQ(parsed->detail, "reason: \"quotes\", newline\n, tab\t and é 2");
  EXPECT_EQ(parsed->ticket, 7);
  VerifyReport r = verify(lines);
  EXPECT_TRUE(r.intact) << r.problem;
  EXPECT_EQ(r.entries, 5u);
  EXPECT_EQ(r.head_seq, 5u);
  EXPECT_EQ(r.head_hash.size(), 64u);
}

TEST(AuditChain, EditedEntryIsNamed) {
  auto lines = make_chain(5);
  lines[3].replace(lines[3].find("alice"), 5, "mallo");
  VerifyReport r = verify(lines);
  EXPECT_FALSE(r.intact);
  EXPECT_EQ(r.first_bad_seq, 4u);
  EXPECT_EQ(r.first_bad_line, 4u);
  EXPECT_NE(r.problem.find("edited"), std::string::npos) << r.problem;
  EXPECT_EQ(r.entries, 3u);
}

TEST(AuditChain, RemovedOrReorderedEntryIsNamed) {
  auto removed = make_chain(5);
  removed.erase(removed.begin() + 1);
  VerifyReport r = verify(removed);
  EXPECT_FALSE(r.intact);
  EXPECT_EQ(r.first_bad_seq, 2u);

  auto swapped = make_chain(5);
  std::swap(swapped[2], swapped[3]);
  EXPECT_EQ(verify(swapped).first_bad_seq, 3u);
}

TEST(AuditChain, RewrittenEntryWithANewHashBreaksTheNextLink) {
  auto lines = make_chain(4);
  // Re-seal entry 2 with other content: its own hash is right, the link
  // from entry 3 is not.
  auto first = parse_line(lines[0]);
  ASSERT_TRUE(first);
  Entry forged;
  forged.event = "session.request";
  forged.detail = "nothing happened";
  lines[1] = seal(forged, 1, first->hash);
  VerifyReport r = verify(lines);
  EXPECT_FALSE(r.intact);
  EXPECT_EQ(r.first_bad_seq, 3u);
}

TEST(AuditChain, CutTailIsFoundAgainstTheRecordedHead) {
  auto lines = make_chain(5);
  auto last = parse_line(lines[4]);
  ASSERT_TRUE(last);
  lines.pop_back();
  ChainVerifier v;
  for (const auto& l : lines) v.feed(l);
  v.expect_head(last->seq, last->hash);
  EXPECT_FALSE(v.report().intact);
  EXPECT_NE(v.report().problem.find("cut from the end"), std::string::npos);
}

TEST(AuditChain, GarbageLineIsNotAnEntry) {
  auto lines = make_chain(2);
  lines.insert(lines.begin() + 1, "{\"seq\":2}");
  VerifyReport r = verify(lines);
  EXPECT_FALSE(r.intact);
  EXPECT_EQ(r.first_bad_line, 2u);
  EXPECT_FALSE(parse_line("").has_value());
  EXPECT_FALSE(parse_line(std::string(kMaxLine + 1, 'x')).has_value());
}

TEST(AuditChain, LongDetailIsCutOnACharacterBoundary) {
  Entry e;
  e.detail = std::string(kMaxDetail - 1, 'a') + "é";  // the 2-byte character straddles the cut
  std::string line = seal(e, 0, "");
  auto parsed = parse_line(line);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->detail, std::string(kMaxDetail - 1, 'a'));
}

}  // namespace
}  // namespace helpline::audit
