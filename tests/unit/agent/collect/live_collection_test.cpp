// The real collectors on the machine running the tests. Only structural
// facts are checked: every collector reports a state, errors explain every
// non-OK state, nothing crashed, and the bundle survives encode/decode.
#include "agent/collect/registry.h"
#include "tests/unit/agent/collect/collect_test_util.h"

namespace helpline::agent::collect::testing {
namespace {

TEST(LiveCollection, EveryCollectorReportsAndTheBundleRoundTrips) {
  Options options;
  options.sources.log_files = {"/etc/hostname", "/nonexistent/helpline.log"};
  auto bundle = collect_bundle(options);
  ASSERT_TRUE(bundle) << bundle.error().to_string();
  ASSERT_EQ(static_cast<std::size_t>(bundle->collectors_size()), platform_collectors().size());
  for (const pb::CollectorStatus& s : bundle->collectors()) {
    SCOPED_TRACE(s.name() + " " + state_name(s) + " " + errors_of(s));
    EXPECT_NE(s.state(), pb::CollectorStatus::STATE_UNSPECIFIED);
    EXPECT_LE(s.duration_ms(), bundle->duration_ms());
    if (s.state() != pb::CollectorStatus::STATE_OK) {
      EXPECT_GT(s.errors_size(), 0);
    }
    if (s.state() != pb::CollectorStatus::STATE_OK &&
        s.state() != pb::CollectorStatus::STATE_PARTIAL) {
      EXPECT_EQ(s.bytes(), 0u);
    }
    for (const std::string& e : s.errors()) {
      EXPECT_EQ(e.find("internal_error"), std::string::npos);
    }
  }
  EXPECT_FALSE(bundle->hostname().empty());
  EXPECT_FALSE(bundle->platform().empty());
  // The missing log file makes logs.files PARTIAL, never FAILED.
  EXPECT_EQ(status_of(*bundle, "logs.files").state(), pb::CollectorStatus::STATE_PARTIAL);

  auto encoded = encode_bundle(*bundle);
  ASSERT_TRUE(encoded) << encoded.error().to_string();
  auto decoded = decode_bundle(*encoded);
  ASSERT_TRUE(decoded) << decoded.error().to_string();
  auto again = encode_bundle(*decoded);
  ASSERT_TRUE(again);
  EXPECT_EQ(*encoded, *again);
}

}  // namespace
}  // namespace helpline::agent::collect::testing
