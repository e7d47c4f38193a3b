// Boundaries: empty and huge inputs, arbitrary bytes, several secrets at once,
// key blocks that do not end, and the Redactor's own bookkeeping.
#include <string>

#include "tests/unit/common/redact/redact_test_util.h"

namespace helpline::redact::testing {
namespace {

constexpr std::string_view kKeyBegin = "-----BEGIN RSA PRIVATE KEY-----";
constexpr std::string_view kKeyEnd = "-----END RSA PRIVATE KEY-----";

TEST(RedactorEdges, EmptyInputStaysEmpty) {
  Redactor redactor = make_redactor();
  EXPECT_EQ(redactor.redact(""), "");
  std::string text;
  redactor.redact_in_place(text);
  EXPECT_EQ(text, "");
  EXPECT_EQ(redactor.total(), 0u);
}

TEST(RedactorEdges, SecretsAtTheVeryEnd) {
  expect_redacted("login password=x", "login password=[REDACTED]", "secret_key_value");
  expect_redacted("x: Authorization: Bearer abc1", "x: Authorization: Bearer [REDACTED]",
                  "http_authorization");
  expect_redacted("ak AKIAIOSFODNN7EXAMPLE", "ak AKIA[REDACTED]", "aws_access_key_id");
  expect_redacted("u redis://:p@", "u redis://:[REDACTED]@", "url_credentials");
}

TEST(RedactorEdges, SeveralSecretsInOneLine) {
  const auto [out, counts] = redact_once(
      "password=a1 token=b2 https://u:p9@h AKIAIOSFODNN7EXAMPLE "
      "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOjF9.sig Bearer Zx9");
  EXPECT_EQ(out,
            "password=[REDACTED] token=[REDACTED] https://u:[REDACTED]@h AKIA[REDACTED] "
            "[REDACTED] Bearer [REDACTED]");
  EXPECT_EQ(counts, (Counts{{"secret_key_value", 2},
                            {"url_credentials", 1},
                            {"aws_access_key_id", 1},
                            {"jwt", 1},
                            {"bearer_token", 1}}));
}

TEST(RedactorEdges, OneMebibyteLineKeepsItsTextAndLosesItsSecrets) {
  std::string filler;
  while (filler.size() < 512 * 1024) filler += "GET /index.html 200 0.004s ua=curl/8.0 ";
  const std::string line =
      "req password=first " + filler + "token=middle " + filler + "https://u:last@h";
  Redactor redactor = make_redactor();
  const std::string out = redactor.redact(line);
  EXPECT_EQ(out, "req password=[REDACTED] " + filler + "token=[REDACTED] " + filler +
                     "https://u:[REDACTED]@h");
  EXPECT_EQ(redactor.total(), 3u);
}

TEST(RedactorEdges, PathologicalLongLinesFinish) {
  // Each shape once made a scanner revisit the rest of the line per match.
  for (std::string_view unit : {"password=\"", "password=a ", "Authorization: x",
                                "-----BEGIN X-----", "eyJ", "&x=", "x-authorization"}) {
    std::string line;
    while (line.size() < 1024 * 1024) line += unit;
    Redactor redactor = make_redactor();
    const std::string out = redactor.redact(line);
    EXPECT_LE(out.size(), line.size() + redactor.total() * kMarker.size()) << unit;
  }
}

TEST(RedactorEdges, NonUtf8BytesPassThroughUntouched) {
  const std::string text =
      "\xff\xfe log \x80\x81 password=\xc3\x28sec\xa0ret next \xf0\x28\x8c\x28 end";
  const auto [out, counts] = redact_once(text);
  EXPECT_EQ(out,
            std::string("\xff\xfe log \x80\x81 password=[REDACTED] next \xf0\x28\x8c\x28 end"));
  EXPECT_EQ(counts, (Counts{{"secret_key_value", 1}}));
  std::string all_bytes;
  for (int i = 0; i < 256; ++i) all_bytes += static_cast<char>(i);
  expect_kept(all_bytes);
}

TEST(RedactorEdges, KeyBlockWithoutEndIsRedactedToTheEndAndCounted) {
  const std::string text = "before\n" + std::string(kKeyBegin) + "\nMIIEowIBAAKCAQEA\nq7Tz\n";
  expect_redacted(text, "before\n[REDACTED PRIVATE KEY]", "private_key");
}

TEST(RedactorEdges, KeyBlockFedLineByLineIsRemovedUntilItsEnd) {
  Redactor redactor = make_redactor();
  EXPECT_EQ(redactor.redact("app: loading key"), "app: loading key");
  EXPECT_EQ(redactor.redact(kKeyBegin), kPrivateKeyMarker);
  EXPECT_EQ(redactor.redact("MIIEowIBAAKCAQEA0Z3"), "");
  EXPECT_EQ(redactor.redact("q7Tz+/w=="), "");
  EXPECT_EQ(redactor.redact(std::string(kKeyEnd) + " trailing"), " trailing");
  EXPECT_EQ(redactor.redact("MIIEowIBAAKCAQEA0Z3 after the block"),
            "MIIEowIBAAKCAQEA0Z3 after the block");
  EXPECT_EQ(redactor.counts(), (Counts{{"private_key", 1}}));
}

TEST(RedactorEdges, EndStreamClosesAnOpenKeyBlock) {
  Redactor redactor = make_redactor();
  EXPECT_EQ(redactor.redact("x " + std::string(kKeyBegin) + "\nMIIE"), "x [REDACTED PRIVATE KEY]");
  redactor.end_stream();
  EXPECT_EQ(redactor.redact("next source line"), "next source line");
}

TEST(RedactorEdges, OpenKeyBlockStopsSwallowingAfterTheTailLimit) {
  Redactor redactor = make_redactor();
  EXPECT_EQ(redactor.redact(kKeyBegin), kPrivateKeyMarker);
  const std::string line(1024, 'Q');
  std::size_t swallowed = 0;
  while (swallowed < 1000 && redactor.redact(line).empty()) ++swallowed;
  EXPECT_EQ(swallowed, Redactor::kMaxPrivateKeyTail / line.size());
  EXPECT_EQ(redactor.redact(line), line);
}

TEST(RedactorEdges, RedactingTwiceChangesNothingMore) {
  Redactor redactor = make_redactor();
  const std::string once = redactor.redact(
      "password=a1 Authorization: Basic Zm9v\nhttps://u:p@h "
      "ghp_0123456789abcdefghijABCDEFGHIJ012345"
      "\n" +
      std::string(kKeyBegin) + "\nMIIE\n" + std::string(kKeyEnd) + "\napi_key: \"k\"");
  const std::uint64_t total = redactor.total();
  EXPECT_EQ(total, 6u);
  EXPECT_EQ(redactor.redact(once), once);
  EXPECT_EQ(redactor.total(), total);
}

TEST(RedactorEdges, AMarkerInsideAValueDoesNotShieldTheRest) {
  const auto [out, counts] = redact_once("password: a1 Authorization: Basic Zm9v");
  EXPECT_EQ(out, "password: [REDACTED] Basic [REDACTED]");
  EXPECT_EQ(counts, (Counts{{"http_authorization", 1}, {"secret_key_value", 1}}));
  // Only exact markers count as markers.
  expect_redacted("x password=[REDACTEDhunter2", "x password=[REDACTED]", "secret_key_value");
  expect_redacted("x password=\"[REDACTED]hunter2\"", "x password=\"[REDACTED][REDACTED]\"",
                  "secret_key_value");
}

TEST(RedactorEdges, CountsAccumulateUntilReset) {
  Redactor redactor = make_redactor();
  (void)redactor.redact("password=a");
  (void)redactor.redact("password=b token=c");
  EXPECT_EQ(redactor.counts(), (Counts{{"secret_key_value", 3}}));
  EXPECT_EQ(redactor.total(), 3u);
  redactor.reset_counts();
  EXPECT_TRUE(redactor.counts().empty());
  EXPECT_EQ(redactor.total(), 0u);
}

TEST(RedactorEdges, CopiesCountSeparatelyAndRedactInPlaceMatches) {
  Redactor a = make_redactor();
  (void)a.redact("password=a");
  Redactor b = a;
  std::string text = "token=t0";
  b.redact_in_place(text);
  EXPECT_EQ(text, "token=[REDACTED]");
  EXPECT_EQ(a.total(), 1u);
  EXPECT_EQ(b.total(), 2u);
}

}  // namespace
}  // namespace helpline::redact::testing
