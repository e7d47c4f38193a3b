// The bounds: byte and item caps evict oldest first and report it, an item
// above the cap is refused, a full disk loses nothing, counters persist.
#include "tests/unit/agent/spool/spool_test_util.h"

namespace helpline::agent::spool::testing {
namespace {

// The on-disk size of one "report" item with a 100-byte payload (every
// such item with a one-digit sequence has the same size).
std::uint64_t item_size(FakeClock& clock) {
  helpline::testing::TempDir tmp("spool-probe");
  Spool probe = ok(Spool::open(options_for(tmp / "spool", clock)));
  return ok(probe.enqueue("report", std::string(100, 'p'))).item.size_bytes;
}

TEST(SpoolBounds, EvictsTheOldestWhenOverTheByteCapAndReportsIt) {
  helpline::testing::TempDir tmp("spool");
  FakeClock clock;
  std::uint64_t size = item_size(clock);
  SpoolOptions options = options_for(tmp / "spool", clock);
  options.max_bytes = 3 * size;
  Spool spool = ok(Spool::open(options));
  std::vector<ItemInfo> items;
  for (int i = 0; i < 3; ++i) {
    EnqueueResult result = ok(spool.enqueue("report", std::string(100, 'p')));
    EXPECT_TRUE(result.evicted.empty());
    items.push_back(result.item);
  }
  EnqueueResult fourth = ok(spool.enqueue("report", std::string(100, 'p')));
  ASSERT_EQ(fourth.evicted.size(), 1u);
  EXPECT_EQ(fourth.evicted[0].id, items[0].id);
  EXPECT_EQ(fourth.evicted[0].kind, "report");
  EXPECT_EQ(fourth.evicted[0].size_bytes, size);
  EXPECT_EQ(ids_of(spool.list()),
            (std::vector<std::string>{items[1].id, items[2].id, fourth.item.id}));
  EXPECT_EQ(spool.stats().bytes, 3 * size);

  Stats stats = spool.stats();
  EXPECT_EQ(stats.evicted_items, 1u);
  EXPECT_EQ(stats.evicted_bytes, size);
  EXPECT_GT(stats.last_eviction_at, stats.counting_since);
  EXPECT_GT(stats.counting_since, 0);
  for (const std::string& name : names_in(tmp / "spool")) {
    EXPECT_EQ(name.find(items[0].id), std::string::npos) << name;
  }
}

TEST(SpoolBounds, EvictsTheOldestWhenOverTheItemCap) {
  helpline::testing::TempDir tmp("spool");
  FakeClock clock;
  SpoolOptions options = options_for(tmp / "spool", clock);
  options.max_items = 2;
  Spool spool = ok(Spool::open(options));
  ItemInfo a = ok(spool.enqueue("report", "a")).item;
  ItemInfo b = ok(spool.enqueue("bundle", "b")).item;
  EnqueueResult c = ok(spool.enqueue("report", "c"));
  ASSERT_EQ(c.evicted.size(), 1u);
  EXPECT_EQ(c.evicted[0].id, a.id);
  EnqueueResult d = ok(spool.enqueue("report", "d"));
  ASSERT_EQ(d.evicted.size(), 1u);
  EXPECT_EQ(d.evicted[0].id, b.id);
  EXPECT_EQ(d.evicted[0].kind, "bundle");
  EXPECT_EQ(ids_of(spool.list()), (std::vector<std::string>{c.item.id, d.item.id}));
  EXPECT_EQ(spool.stats().evicted_items, 2u);
}

TEST(SpoolBounds, OneLargeItemEvictsSeveralSmallOnesOldestFirst) {
  helpline::testing::TempDir tmp("spool");
  FakeClock clock;
  std::uint64_t size = item_size(clock);
  SpoolOptions options = options_for(tmp / "spool", clock);
  options.max_bytes = 4 * size;
  Spool spool = ok(Spool::open(options));
  std::vector<std::string> small;
  for (int i = 0; i < 4; ++i)
    small.push_back(ok(spool.enqueue("report", std::string(100, 'p'))).item.id);
  // Two small items' worth of payload plus its header: three must go.
  EnqueueResult big = ok(spool.enqueue("bundle", std::string(2 * size, 'B')));
  EXPECT_EQ(ids_of(big.evicted), (std::vector<std::string>{small[0], small[1], small[2]}));
  EXPECT_EQ(ids_of(spool.list()), (std::vector<std::string>{small[3], big.item.id}));
  EXPECT_LE(spool.stats().bytes, options.max_bytes);
}

TEST(SpoolBounds, RefusesAnItemLargerThanTheCapAndKeepsEverything) {
  helpline::testing::TempDir tmp("spool");
  FakeClock clock;
  SpoolOptions options = options_for(tmp / "spool", clock);
  options.max_bytes = 4096;
  Spool spool = ok(Spool::open(options));
  std::string kept = ok(spool.enqueue("report", "small")).item.id;
  auto refused = spool.enqueue("bundle", std::string(4096, 'x'));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, "spool_full");
  EXPECT_NE(refused.error().message.find("larger than the spool's cap of 4096 bytes"),
            std::string::npos)
      << refused.error().message;
  EXPECT_EQ(ids_of(spool.list()), std::vector<std::string>{kept});
  EXPECT_EQ(spool.stats().evicted_items, 0u);
}

TEST(SpoolBounds, DiskFullIsAClearErrorAndLosesNothingAlreadyStored) {
  helpline::testing::TempDir tmp("spool");
  FakeClock clock;
  FailingWriter writer;
  std::uint64_t size = item_size(clock);
  SpoolOptions options = options_for(tmp / "spool", clock);
  options.writer = &writer;
  options.max_bytes = 2 * size;  // full: the next item would evict one
  std::vector<std::string> stored;
  {
    Spool spool = ok(Spool::open(options));
    for (int i = 0; i < 2; ++i)
      stored.push_back(ok(spool.enqueue("report", std::string(100, 'p'))).item.id);
    writer.fail_with(ENOSPC);
    auto result = spool.enqueue("report", std::string(100, 'q'));
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code, "spool_io");
    EXPECT_EQ(result.error().message.rfind("spool: disk full writing item ", 0), 0u)
        << result.error().message;
    EXPECT_NE(result.error().message.find("No space left on device"), std::string::npos);
    EXPECT_NE(result.error().message.find("nothing already spooled was lost"), std::string::npos);
    EXPECT_EQ(ids_of(spool.list()), stored);
    EXPECT_EQ(spool.stats().evicted_items, 0u);
    EXPECT_EQ(ok(spool.peek())->payload, std::string(100, 'p'));

    // A failed attempt cannot be recorded either; the count stays.
    auto marked = spool.mark_failed(stored[0], "down");
    ASSERT_FALSE(marked.has_value());
    EXPECT_EQ(marked.error().code, "spool_io");
    EXPECT_EQ(spool.list().front().attempts, 0u);
  }
  writer.fail_with(0);
  Spool reopened = ok(Spool::open(options));
  EXPECT_EQ(ids_of(reopened.list()), stored);
  EXPECT_TRUE(reopened.recovery().quarantined.empty());
}

TEST(SpoolBounds, OtherWriteErrorsAreIoErrorsNamingThePath) {
  helpline::testing::TempDir tmp("spool");
  FakeClock clock;
  FailingWriter writer;
  SpoolOptions options = options_for(tmp / "spool", clock);
  options.writer = &writer;
  Spool spool = ok(Spool::open(options));
  writer.fail_with(EIO);
  auto result = spool.enqueue("report", "x");
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, "spool_io");
  EXPECT_EQ(result.error().message.rfind("spool: cannot write item ", 0), 0u)
      << result.error().message;
  EXPECT_NE(result.error().message.find((tmp / "spool").string()), std::string::npos);
  EXPECT_TRUE(spool.empty());
}

TEST(SpoolBounds, EvictionCountersSurviveARestartAndInspectShowsThem) {
  helpline::testing::TempDir tmp("spool");
  FakeClock clock;
  SpoolOptions options = options_for(tmp / "spool", clock);
  options.max_items = 1;
  Stats before;
  {
    Spool spool = ok(Spool::open(options));
    for (int i = 0; i < 4; ++i) ok(spool.enqueue("report", "x"));
    before = spool.stats();
    EXPECT_EQ(before.evicted_items, 3u);
  }
  Stats seen = ok(Spool::inspect(tmp / "spool"));
  EXPECT_EQ(seen.items, 1u);
  EXPECT_EQ(seen.bytes, before.bytes);
  EXPECT_EQ(seen.evicted_items, 3u);
  EXPECT_EQ(seen.evicted_bytes, before.evicted_bytes);
  EXPECT_EQ(seen.counting_since, before.counting_since);
  EXPECT_EQ(seen.last_eviction_at, before.last_eviction_at);

  Spool spool = ok(Spool::open(options));
  Stats after = spool.stats();
  EXPECT_EQ(after.evicted_items, 3u);
  EXPECT_EQ(after.counting_since, before.counting_since);
}

TEST(SpoolBounds, InspectWritesNothing) {
  helpline::testing::TempDir tmp("spool");
  Stats missing = ok(Spool::inspect(tmp / "nothing"));
  EXPECT_EQ(missing.items, 0u);
  EXPECT_FALSE(fs::exists(tmp / "nothing"));

  FakeClock clock;
  {
    Spool spool = ok(Spool::open(options_for(tmp / "spool", clock)));
    ok(spool.enqueue("report", "x"));
  }
  overwrite(tmp / "spool" / "00000000000000000009-x.item.tmp42", "half");
  std::vector<std::string> before = names_in(tmp / "spool");
  Stats stats = ok(Spool::inspect(tmp / "spool"));
  EXPECT_EQ(stats.items, 1u);
  EXPECT_EQ(names_in(tmp / "spool"), before);
}

TEST(SpoolBounds, LoweredCapsEvictTheOldestAtOpen) {
  helpline::testing::TempDir tmp("spool");
  FakeClock clock;
  SpoolOptions options = options_for(tmp / "spool", clock);
  std::vector<std::string> ids;
  {
    Spool spool = ok(Spool::open(options));
    for (int i = 0; i < 5; ++i) ids.push_back(ok(spool.enqueue("report", "x")).item.id);
  }
  options.max_items = 2;
  Spool spool = ok(Spool::open(options));
  EXPECT_EQ(ids_of(spool.recovery().evicted), (std::vector<std::string>{ids[0], ids[1], ids[2]}));
  EXPECT_EQ(ids_of(spool.list()), (std::vector<std::string>{ids[3], ids[4]}));
  EXPECT_EQ(spool.stats().evicted_items, 3u);
}

}  // namespace
}  // namespace helpline::agent::spool::testing
