// Idempotency records: found again after a restart, bounded (oldest out
// first), one record per key, and fingerprints that tell requests apart.
#include "tests/unit/agent/actions/actions_test_util.h"

namespace helpline::agent::actions {
namespace {

v1::ActionResult result_for(std::string key, std::int64_t exit_code) {
  v1::ActionResult r;
  r.set_idempotency_key(std::move(key));
  r.set_exit_code(exit_code);
  r.set_output("out");
  return r;
}

std::size_t files_in(const std::filesystem::path& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

TEST(IdempotencyStore, FindsRecordsAfterReopen) {
  helpline::testing::TempDir dir("idem");
  {
    auto store = IdempotencyStore::open(dir.path());
    ASSERT_TRUE(store);
    EXPECT_FALSE(store->find("a").has_value());
    ASSERT_TRUE(store->put("a", "fp-a", result_for("a", 1)));
    ASSERT_TRUE(store->put("a", "fp-a", result_for("a", 2)));  // replaces
  }
  auto store = IdempotencyStore::open(dir.path());
  ASSERT_TRUE(store);
  auto found = store->find("a");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->fingerprint, "fp-a");
  EXPECT_EQ(found->result.exit_code(), 2);
  EXPECT_EQ(files_in(dir.path()), 1u);
}

TEST(IdempotencyStore, EvictsOldestBeyondBound) {
  helpline::testing::TempDir dir("idem");
  auto store = IdempotencyStore::open(dir.path(), 3);
  ASSERT_TRUE(store);
  for (int i = 0; i < 5; ++i) {
    std::string key = "k" + std::to_string(i);
    ASSERT_TRUE(store->put(key, "fp", result_for(key, i)));
  }
  EXPECT_EQ(store->size(), 3u);
  EXPECT_EQ(files_in(dir.path()), 3u);
  EXPECT_FALSE(store->find("k0").has_value());
  EXPECT_FALSE(store->find("k1").has_value());
  EXPECT_TRUE(store->find("k4").has_value());
  auto reopened = IdempotencyStore::open(dir.path(), 2);
  ASSERT_TRUE(reopened);
  EXPECT_EQ(reopened->size(), 2u);
  EXPECT_FALSE(reopened->find("k2").has_value());
}

TEST(IdempotencyStore, IgnoresDamagedRecord) {
  helpline::testing::TempDir dir("idem");
  auto store = IdempotencyStore::open(dir.path());
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->put("a", "fp", result_for("a", 0)));
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    ASSERT_TRUE(files::write_atomic(e.path(), "garbage", 0600));
  }
  EXPECT_FALSE(store->find("a").has_value());
}

TEST(IdempotencyStore, FingerprintCoversActionVersionAndParameters) {
  v1::ActionRequest a;
  a.set_action_id("x.y");
  a.set_catalog_version(1);
  (*a.mutable_parameters())["p"] = "1";
  (*a.mutable_parameters())["q"] = "2";
  v1::ActionRequest b = a;
  b.set_requested_by("someone else");  // not part of the request's meaning
  EXPECT_EQ(request_fingerprint(a), request_fingerprint(b));
  (*b.mutable_parameters())["q"] = "3";
  EXPECT_NE(request_fingerprint(a), request_fingerprint(b));
  b = a;
  b.set_catalog_version(2);
  EXPECT_NE(request_fingerprint(a), request_fingerprint(b));
  b = a;
  b.set_action_id("x.z");
  EXPECT_NE(request_fingerprint(a), request_fingerprint(b));
}

}  // namespace
}  // namespace helpline::agent::actions
