// A bundle collected from the recorded fake root goes through the codec
// (common/bundle, re-exported by agent/collect) unchanged. The codec's own
// edge cases are tested in tests/unit/common/bundle.
#include "tests/unit/agent/collect/collect_test_util.h"

namespace helpline::agent::collect::testing {
namespace {

TEST(BundleCodec, CollectedBundleRoundTripsByteIdentical) {
  Options options = fake_options(fake_root(), {});
  options.sources.log_files = {"/var/log/app.log"};
  options.redact = [](pb::DiagnosticBundle& b) {
    auto& counts = *b.mutable_redaction()->mutable_counts();
    for (const char* rule : {"password", "bearer", "aws_key", "jwt", "url_credentials"}) {
      counts[rule] = 3;
    }
    b.mutable_redaction()->set_total(15);
  };
  auto original = collect_bundle(options);
  ASSERT_TRUE(original) << original.error().to_string();
  auto first = encode_bundle(*original);
  ASSERT_TRUE(first) << first.error().to_string();
  auto decoded = decode_bundle(*first);
  ASSERT_TRUE(decoded) << decoded.error().to_string();
  EXPECT_EQ(decoded->hostname(), "ws-042");
  EXPECT_EQ(decoded->software().packages_size(), 3);
  EXPECT_EQ(decoded->redaction().counts().at("jwt"), 3u);
  EXPECT_TRUE(decoded->redaction().applied());
  auto second = encode_bundle(*decoded);
  ASSERT_TRUE(second);
  EXPECT_EQ(*first, *second);
  EXPECT_EQ(bundle_id(*first), bundle_id(*second));
  EXPECT_EQ(decoded->format_version(), kBundleFormatVersion);
}

}  // namespace
}  // namespace helpline::agent::collect::testing
