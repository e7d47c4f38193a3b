// The queue contract: oldest first, peek does not remove, acknowledge
// deletes for good, failures are counted, and all of it survives a restart.
#include <chrono>
#include <cstdio>
#include <set>

#include "tests/unit/agent/spool/spool_test_util.h"

namespace helpline::agent::spool::testing {
namespace {

TEST(Spool, EnqueuedItemsComeBackOldestFirstWithTheirPayloads) {
  helpline::testing::TempDir tmp("spool");
  FakeClock clock;
  Spool spool = ok(Spool::open(options_for(tmp / "spool", clock)));
  ASSERT_TRUE(ok(spool.peek()) == std::nullopt);

  ItemInfo a = ok(spool.enqueue("report", "first")).item;
  ItemInfo b = ok(spool.enqueue("bundle", std::string("\0binary\xff", 8))).item;
  ItemInfo c = ok(spool.enqueue("action_result", "")).item;
  EXPECT_LT(a.sequence, b.sequence);
  EXPECT_LT(a.created_at, b.created_at);
  EXPECT_EQ(spool.size(), 3u);

  for (const auto& [info, payload] : std::vector<std::pair<ItemInfo, std::string>>{
           {a, "first"}, {b, std::string("\0binary\xff", 8)}, {c, ""}}) {
    std::optional<Item> item = ok(spool.peek());
    ASSERT_TRUE(item.has_value());
    EXPECT_EQ(item->info.id, info.id);
    EXPECT_EQ(item->info.kind, info.kind);
    EXPECT_EQ(item->info.created_at, info.created_at);
    EXPECT_EQ(item->payload, payload);
    EXPECT_TRUE(ok(spool.acknowledge(info.id)));
  }
  EXPECT_TRUE(ok(spool.peek()) == std::nullopt);
  EXPECT_TRUE(spool.empty());
  EXPECT_EQ(spool.stats().bytes, 0u);
}

TEST(Spool, PeekLeavesTheItemUntilAcknowledged) {
  helpline::testing::TempDir tmp("spool");
  FakeClock clock;
  Spool spool = ok(Spool::open(options_for(tmp / "spool", clock)));
  ItemInfo a = ok(spool.enqueue("report", "one")).item;
  ok(spool.enqueue("report", "two"));
  EXPECT_EQ(ok(spool.peek())->info.id, a.id);
  EXPECT_EQ(ok(spool.peek())->info.id, a.id);
  EXPECT_EQ(ok(spool.read(a.id))->payload, "one");
  EXPECT_TRUE(ok(spool.read("0123456789abcdef0123456789abcdef")) == std::nullopt);
  EXPECT_EQ(spool.size(), 2u);
}

TEST(Spool, ItemsSurviveARestartInOrderAndNewOnesQueueBehindThem) {
  helpline::testing::TempDir tmp("spool");
  FakeClock clock;
  std::vector<ItemInfo> before;
  {
    Spool spool = ok(Spool::open(options_for(tmp / "spool", clock)));
    for (int i = 0; i < 5; ++i) {
      before.push_back(ok(spool.enqueue("report", "payload " + std::to_string(i))).item);
    }
  }
  Spool spool = ok(Spool::open(options_for(tmp / "spool", clock)));
  EXPECT_TRUE(spool.recovery().quarantined.empty());
  EXPECT_TRUE(spool.recovery().evicted.empty());
  std::vector<ItemInfo> after = spool.list();
  EXPECT_EQ(ids_of(after), ids_of(before));
  for (std::size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].kind, "report");
    EXPECT_EQ(after[i].created_at, before[i].created_at);
    EXPECT_EQ(after[i].size_bytes, before[i].size_bytes);
  }
  ItemInfo later = ok(spool.enqueue("bundle", "after restart")).item;
  EXPECT_GT(later.sequence, before.back().sequence);
  EXPECT_EQ(spool.list().back().id, later.id);
  EXPECT_EQ(ok(spool.peek())->payload, "payload 0");
}

TEST(Spool, AcknowledgedItemsNeverComeBack) {
  helpline::testing::TempDir tmp("spool");
  FakeClock clock;
  std::string kept;
  std::string acked;
  {
    Spool spool = ok(Spool::open(options_for(tmp / "spool", clock)));
    acked = ok(spool.enqueue("report", "a")).item.id;
    kept = ok(spool.enqueue("report", "b")).item.id;
    EXPECT_TRUE(ok(spool.acknowledge(acked)));
    // The relay may confirm twice: not an error.
    EXPECT_FALSE(ok(spool.acknowledge(acked)));
  }
  Spool spool = ok(Spool::open(options_for(tmp / "spool", clock)));
  EXPECT_EQ(ids_of(spool.list()), std::vector<std::string>{kept});
  EXPECT_FALSE(ok(spool.acknowledge(acked)));
  EXPECT_TRUE(ok(spool.read(acked)) == std::nullopt);
}

TEST(Spool, FailedAttemptsAreCountedAndKeepTheItemFirstAcrossRestarts) {
  helpline::testing::TempDir tmp("spool");
  FakeClock clock;
  std::string id;
  {
    Spool spool = ok(Spool::open(options_for(tmp / "spool", clock)));
    id = ok(spool.enqueue("bundle", "x")).item.id;
    ok(spool.enqueue("bundle", "y"));
    EXPECT_TRUE(ok(spool.mark_failed(id, "connect_failed: connection refused")));
    EXPECT_TRUE(ok(spool.mark_failed(id, "relay timed out\nsecond line")));
    EXPECT_FALSE(ok(spool.mark_failed("0123456789abcdef0123456789abcdef", "nope")));
    EXPECT_EQ(ok(spool.peek())->info.attempts, 2u);
  }
  Spool spool = ok(Spool::open(options_for(tmp / "spool", clock)));
  std::optional<Item> first = ok(spool.peek());
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->info.id, id);
  EXPECT_EQ(first->info.attempts, 2u);
  EXPECT_EQ(first->info.last_error, "relay timed out second line");
  EXPECT_GT(first->info.last_attempt_at, first->info.created_at);
  EXPECT_EQ(first->payload, "x");
  // Acknowledging removes the attempts file too.
  EXPECT_TRUE(ok(spool.acknowledge(id)));
  for (const std::string& name : names_in(tmp / "spool")) {
    EXPECT_EQ(name.find(id), std::string::npos) << name;
  }
}

TEST(Spool, LongErrorTextsAreCut) {
  helpline::testing::TempDir tmp("spool");
  FakeClock clock;
  Spool spool = ok(Spool::open(options_for(tmp / "spool", clock)));
  std::string id = ok(spool.enqueue("report", "x")).item.id;
  // A multi-byte character straddling the limit is not cut in half.
  std::string error = std::string(kMaxErrorLength - 1, 'e') + "\xc3\xa9" + std::string(100, 'z');
  EXPECT_TRUE(ok(spool.mark_failed(id, error)));
  EXPECT_EQ(spool.list().front().last_error, std::string(kMaxErrorLength - 1, 'e'));
}

TEST(Spool, DiscardDeletesAnItemTheRelayRefusedForGood) {
  helpline::testing::TempDir tmp("spool");
  FakeClock clock;
  Spool spool = ok(Spool::open(options_for(tmp / "spool", clock)));
  std::string id = ok(spool.enqueue("report", "x")).item.id;
  EXPECT_TRUE(ok(spool.discard(id, "bad_report: does not parse")));
  EXPECT_FALSE(ok(spool.discard(id, "again")));
  EXPECT_TRUE(spool.empty());
}

TEST(Spool, IdempotencyIdsAreUnique128BitHex) {
  helpline::testing::TempDir tmp("spool");
  FakeClock clock;
  Spool spool = ok(Spool::open(options_for(tmp / "spool", clock)));
  std::set<std::string> ids;
  for (int i = 0; i < 50; ++i) {
    std::string id = ok(spool.enqueue("report", "x")).item.id;
    ASSERT_EQ(id.size(), 32u);
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 50u);
}

TEST(Spool, FilesAreOwnerOnly) {
  helpline::testing::TempDir tmp("spool");
  FakeClock clock;
  fs::path dir = tmp / "state" / "spool";
  Spool spool = ok(Spool::open(options_for(dir, clock)));
  std::string id = ok(spool.enqueue("report", "x")).item.id;
  ASSERT_TRUE(ok(spool.mark_failed(id, "down")));
  EXPECT_EQ(mode_of(dir), 0700u);
  EXPECT_EQ(mode_of(dir / "quarantine"), 0700u);
  EXPECT_EQ(mode_of(file_of(dir, id, ".item")), 0600u);
  EXPECT_EQ(mode_of(file_of(dir, id, ".attempts")), 0600u);
  EXPECT_EQ(mode_of(dir / "counters"), 0600u);
}

TEST(Spool, AnExistingDirectoryIsTightenedTo0700) {
  helpline::testing::TempDir tmp("spool");
  FakeClock clock;
  fs::create_directory(tmp / "spool");
  fs::permissions(tmp / "spool", fs::perms::all);
  Spool spool = ok(Spool::open(options_for(tmp / "spool", clock)));
  EXPECT_EQ(mode_of(tmp / "spool"), 0700u);
}

TEST(Spool, DefaultDirectoryIsInsideTheStateDirectory) {
  EXPECT_EQ(default_dir("/var/lib/helpline/agent"), fs::path("/var/lib/helpline/agent/spool"));
}

TEST(Spool, RefusesAnInvalidKind) {
  helpline::testing::TempDir tmp("spool");
  FakeClock clock;
  Spool spool = ok(Spool::open(options_for(tmp / "spool", clock)));
  for (std::string_view kind : std::vector<std::string_view>{"", "Report", "a b", "../x", "x\n",
                                                             "abcdefghijklmnopqrstuvwxyz0123456"}) {
    auto result = spool.enqueue(kind, "x");
    ASSERT_FALSE(result.has_value()) << kind;
    EXPECT_EQ(result.error().code, "spool_invalid");
  }
  EXPECT_TRUE(spool.empty());
}

TEST(Spool, RefusesOptionsWithoutDirectoryOrWithZeroCaps) {
  helpline::testing::TempDir tmp("spool");
  SpoolOptions none;
  EXPECT_EQ(Spool::open(none).error().code, "spool_invalid");
  SpoolOptions zero_bytes;
  zero_bytes.dir = tmp / "a";
  zero_bytes.max_bytes = 0;
  EXPECT_EQ(Spool::open(zero_bytes).error().code, "spool_invalid");
  SpoolOptions zero_items;
  zero_items.dir = tmp / "b";
  zero_items.max_items = 0;
  EXPECT_EQ(Spool::open(zero_items).error().code, "spool_invalid");
}

TEST(Spool, ADirectoryThatCannotBeCreatedIsAnIoError) {
  helpline::testing::TempDir tmp("spool");
  overwrite(tmp / "file", "not a directory");
  SpoolOptions options;
  options.dir = tmp / "file" / "spool";
  auto opened = Spool::open(options);
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code, "spool_io");
  EXPECT_NE(opened.error().message.find((tmp / "file").string()), std::string::npos)
      << opened.error().message;
}

// Performance sanity: every enqueue and acknowledge fsyncs, so this mostly
// measures the disk. The time is printed, not asserted.
TEST(Spool, AThousandSmallItemsGoThroughInOrderAcrossARestart) {
  helpline::testing::TempDir tmp("spool");
  FakeClock clock;
  constexpr int kItems = 1000;
  std::vector<std::string> ids;
  auto started = std::chrono::steady_clock::now();
  {
    Spool spool = ok(Spool::open(options_for(tmp / "spool", clock)));
    for (int i = 0; i < kItems; ++i) {
      EnqueueResult result = ok(spool.enqueue("action_result", "result " + std::to_string(i)));
      ASSERT_TRUE(result.evicted.empty());
      ids.push_back(result.item.id);
    }
  }
  Spool spool = ok(Spool::open(options_for(tmp / "spool", clock)));
  ASSERT_EQ(spool.size(), static_cast<std::size_t>(kItems));
  for (int i = 0; i < kItems; ++i) {
    std::optional<Item> item = ok(spool.peek());
    ASSERT_TRUE(item.has_value());
    ASSERT_EQ(item->info.id, ids[static_cast<std::size_t>(i)]);
    ASSERT_EQ(item->payload, "result " + std::to_string(i));
    ASSERT_TRUE(ok(spool.acknowledge(item->info.id)));
  }
  EXPECT_TRUE(spool.empty());
  EXPECT_EQ(names_in(tmp / "spool"), (std::vector<std::string>{"counters", "quarantine"}));
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size());
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  std::printf("[ figure   ] %d items enqueued, reopened, read and acknowledged in %lld ms\n",
              kItems, static_cast<long long>(elapsed.count()));
}

}  // namespace
}  // namespace helpline::agent::spool::testing
