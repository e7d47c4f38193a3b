// Recovery: what open() and reads do with a directory that a crash, a bad
// disk or a person left behind. Damaged items go to quarantine/, never
// silently away, and never stop the others.
#include "tests/unit/agent/spool/spool_test_util.h"

namespace helpline::agent::spool::testing {
namespace {

// Three items a, b, c in `dir`, spool closed again.
std::vector<ItemInfo> three_items(const fs::path& dir, FakeClock& clock) {
  Spool spool = ok(Spool::open(options_for(dir, clock)));
  std::vector<ItemInfo> items;
  for (std::string_view payload : {"payload a", "payload b", "payload c"}) {
    items.push_back(ok(spool.enqueue("report", payload)).item);
  }
  return items;
}

// Replaces the first occurrence of `from` in the file with `to`.
void edit(const fs::path& path, std::string_view from, std::string_view to) {
  std::string data = slurp(path);
  std::size_t at = data.find(from);
  ASSERT_NE(at, std::string::npos) << from << " not in " << path;
  data.replace(at, from.size(), to);
  overwrite(path, data);
}

TEST(SpoolRecovery, StrayTemporaryFilesAreDeletedAndIgnored) {
  helpline::testing::TempDir tmp("spool");
  FakeClock clock;
  fs::path dir = tmp / "spool";
  std::vector<ItemInfo> items = three_items(dir, clock);
  std::string temp = "00000000000000000004-0123456789abcdef0123456789abcdef.item.tmp1234567";
  overwrite(dir / temp, "helpline-spool-item 1\nsequ");
  overwrite(dir / "counters.tmp99", "half a counters file");

  Spool spool = ok(Spool::open(options_for(dir, clock)));
  EXPECT_EQ(ids_of(spool.list()), ids_of(items));
  EXPECT_EQ(spool.recovery().temp_files_removed,
            (std::vector<std::string>{temp, "counters.tmp99"}));
  EXPECT_TRUE(spool.recovery().quarantined.empty());
  EXPECT_FALSE(fs::exists(dir / temp));
  EXPECT_FALSE(fs::exists(dir / "counters.tmp99"));
}

TEST(SpoolRecovery, AnItemWithADamagedHeaderIsQuarantinedAtOpen) {
  helpline::testing::TempDir tmp("spool");
  FakeClock clock;
  fs::path dir = tmp / "spool";
  std::vector<ItemInfo> items = three_items(dir, clock);
  fs::path bad = file_of(dir, items[1].id);
  edit(bad, "kind report", "kind rePort");

  Spool spool = ok(Spool::open(options_for(dir, clock)));
  EXPECT_EQ(ids_of(spool.list()), (std::vector<std::string>{items[0].id, items[2].id}));
  ASSERT_EQ(spool.recovery().quarantined.size(), 1u);
  const Quarantined& q = spool.recovery().quarantined[0];
  EXPECT_EQ(q.file, bad.filename().string());
  EXPECT_EQ(q.reason, "header checksum mismatch");
  ASSERT_FALSE(q.moved_to.empty());
  EXPECT_EQ(q.moved_to.parent_path(), dir / "quarantine");
  EXPECT_TRUE(fs::exists(q.moved_to));
  EXPECT_FALSE(fs::exists(bad));
  EXPECT_EQ(spool.stats().quarantined_items, 1u);
  EXPECT_EQ(ok(Spool::inspect(dir)).quarantined_items, 1u);
}

TEST(SpoolRecovery, ATruncatedItemIsQuarantinedAtOpen) {
  helpline::testing::TempDir tmp("spool");
  FakeClock clock;
  fs::path dir = tmp / "spool";
  std::vector<ItemInfo> items = three_items(dir, clock);
  fs::path bad = file_of(dir, items[0].id);
  std::string data = slurp(bad);
  overwrite(bad, data.substr(0, data.size() - 3));

  Spool spool = ok(Spool::open(options_for(dir, clock)));
  EXPECT_EQ(ids_of(spool.list()), (std::vector<std::string>{items[1].id, items[2].id}));
  ASSERT_EQ(spool.recovery().quarantined.size(), 1u);
  EXPECT_NE(spool.recovery().quarantined[0].reason.find("truncated"), std::string::npos)
      << spool.recovery().quarantined[0].reason;
  EXPECT_EQ(ok(spool.peek())->payload, "payload b");
}

TEST(SpoolRecovery, AnEmptyOrGarbageItemFileIsQuarantinedAtOpen) {
  helpline::testing::TempDir tmp("spool");
  FakeClock clock;
  fs::path dir = tmp / "spool";
  std::vector<ItemInfo> items = three_items(dir, clock);
  overwrite(file_of(dir, items[0].id), "");
  overwrite(file_of(dir, items[1].id), std::string(10000, '\n'));

  Spool spool = ok(Spool::open(options_for(dir, clock)));
  EXPECT_EQ(ids_of(spool.list()), std::vector<std::string>{items[2].id});
  EXPECT_EQ(spool.recovery().quarantined.size(), 2u);
  EXPECT_EQ(names_in(dir / "quarantine").size(), 2u);
}

TEST(SpoolRecovery, AnItemFileRenamedToAnotherItemsNameIsQuarantined) {
  helpline::testing::TempDir tmp("spool");
  FakeClock clock;
  fs::path dir = tmp / "spool";
  std::vector<ItemInfo> items = three_items(dir, clock);
  fs::path original = file_of(dir, items[0].id);
  std::string renamed = original.filename().string();
  renamed.replace(renamed.find(items[0].id), items[0].id.size(), std::string(32, 'f'));
  fs::rename(original, dir / renamed);

  Spool spool = ok(Spool::open(options_for(dir, clock)));
  EXPECT_EQ(ids_of(spool.list()), (std::vector<std::string>{items[1].id, items[2].id}));
  ASSERT_EQ(spool.recovery().quarantined.size(), 1u);
  EXPECT_NE(spool.recovery().quarantined[0].reason.find("header names item"), std::string::npos);
}

TEST(SpoolRecovery, ADamagedPayloadIsCaughtWhenReadAndTheNextItemFollows) {
  helpline::testing::TempDir tmp("spool");
  FakeClock clock;
  fs::path dir = tmp / "spool";
  std::vector<ItemInfo> items = three_items(dir, clock);
  edit(file_of(dir, items[0].id), "payload a", "payload A");

  // Header and size are intact, so open keeps it; the checksum is checked on read.
  Spool spool = ok(Spool::open(options_for(dir, clock)));
  EXPECT_TRUE(spool.recovery().quarantined.empty());
  ASSERT_EQ(spool.size(), 3u);
  auto first = spool.peek();
  ASSERT_FALSE(first.has_value());
  EXPECT_EQ(first.error().code, "spool_corrupt");
  EXPECT_NE(first.error().message.find(items[0].id), std::string::npos) << first.error().message;
  EXPECT_NE(first.error().message.find("payload checksum mismatch"), std::string::npos);
  EXPECT_NE(first.error().message.find("quarantine"), std::string::npos);
  EXPECT_EQ(spool.size(), 2u);
  EXPECT_EQ(names_in(dir / "quarantine").size(), 1u);
  EXPECT_EQ(spool.stats().quarantined_items, 1u);

  std::optional<Item> next = ok(spool.peek());
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->info.id, items[1].id);
  EXPECT_EQ(next->payload, "payload b");
}

TEST(SpoolRecovery, AnItemThatVanishedIsReportedAndSkipped) {
  helpline::testing::TempDir tmp("spool");
  FakeClock clock;
  fs::path dir = tmp / "spool";
  std::vector<ItemInfo> items = three_items(dir, clock);
  Spool spool = ok(Spool::open(options_for(dir, clock)));
  fs::remove(file_of(dir, items[0].id));
  auto first = spool.peek();
  ASSERT_FALSE(first.has_value());
  EXPECT_EQ(first.error().code, "spool_corrupt");
  EXPECT_NE(first.error().message.find("vanished"), std::string::npos) << first.error().message;
  EXPECT_EQ(ok(spool.peek())->info.id, items[1].id);
}

TEST(SpoolRecovery, ADamagedAttemptsFileOnlyResetsTheCount) {
  helpline::testing::TempDir tmp("spool");
  FakeClock clock;
  fs::path dir = tmp / "spool";
  std::vector<ItemInfo> items = three_items(dir, clock);
  {
    Spool spool = ok(Spool::open(options_for(dir, clock)));
    ASSERT_TRUE(ok(spool.mark_failed(items[0].id, "down")));
  }
  edit(file_of(dir, items[0].id, ".attempts"), "\nattempts 1\n", "\nattempts 9\n");

  Spool spool = ok(Spool::open(options_for(dir, clock)));
  EXPECT_EQ(ids_of(spool.list()), ids_of(items));
  EXPECT_EQ(spool.list().front().attempts, 0u);
  EXPECT_TRUE(spool.recovery().quarantined.empty());
  for (const std::string& name : names_in(dir)) EXPECT_FALSE(name.ends_with(".attempts")) << name;
}

TEST(SpoolRecovery, AnAttemptsFileWithoutItsItemIsRemoved) {
  helpline::testing::TempDir tmp("spool");
  FakeClock clock;
  fs::path dir = tmp / "spool";
  std::vector<ItemInfo> items = three_items(dir, clock);
  {
    Spool spool = ok(Spool::open(options_for(dir, clock)));
    ASSERT_TRUE(ok(spool.mark_failed(items[0].id, "down")));
  }
  // As if the agent crashed between deleting the item and its attempts file.
  fs::remove(file_of(dir, items[0].id));
  fs::path orphan = file_of(dir, items[0].id, ".attempts");

  Spool spool = ok(Spool::open(options_for(dir, clock)));
  EXPECT_FALSE(fs::exists(orphan));
  EXPECT_EQ(ids_of(spool.list()), (std::vector<std::string>{items[1].id, items[2].id}));
}

TEST(SpoolRecovery, DamagedCountersAreQuarantinedAndStartAgain) {
  helpline::testing::TempDir tmp("spool");
  FakeClock clock;
  fs::path dir = tmp / "spool";
  std::vector<ItemInfo> items = three_items(dir, clock);
  edit(dir / "counters", "evicted_items 0", "evicted_items 7");

  Spool spool = ok(Spool::open(options_for(dir, clock)));
  EXPECT_EQ(ids_of(spool.list()), ids_of(items));
  ASSERT_EQ(spool.recovery().quarantined.size(), 1u);
  EXPECT_EQ(spool.recovery().quarantined[0].file, "counters");
  Stats stats = spool.stats();
  EXPECT_EQ(stats.evicted_items, 0u);
  EXPECT_EQ(stats.quarantined_items, 1u);
  // Saved again, readable by status.
  EXPECT_EQ(ok(Spool::inspect(dir)).quarantined_items, 1u);
}

TEST(SpoolRecovery, UnknownFilesAreLeftAlone) {
  helpline::testing::TempDir tmp("spool");
  FakeClock clock;
  fs::path dir = tmp / "spool";
  std::vector<ItemInfo> items = three_items(dir, clock);
  overwrite(dir / "README", "notes by an admin");
  fs::create_directory(dir / "somedir");

  Spool spool = ok(Spool::open(options_for(dir, clock)));
  EXPECT_EQ(ids_of(spool.list()), ids_of(items));
  EXPECT_TRUE(spool.recovery().quarantined.empty());
  EXPECT_EQ(slurp(dir / "README"), "notes by an admin");
  EXPECT_TRUE(fs::is_directory(dir / "somedir"));
}

TEST(SpoolRecovery, TheQuarantineKeepsOnlyTheNewestFiles) {
  helpline::testing::TempDir tmp("spool");
  FakeClock clock;
  fs::path dir = tmp / "spool";
  SpoolOptions options = options_for(dir, clock);
  options.max_quarantined = 2;
  std::vector<std::string> ids;
  {
    Spool spool = ok(Spool::open(options));
    for (int i = 0; i < 5; ++i) ids.push_back(ok(spool.enqueue("report", "x")).item.id);
  }
  for (int i = 0; i < 4; ++i) overwrite(file_of(dir, ids[static_cast<std::size_t>(i)]), "junk");

  Spool spool = ok(Spool::open(options));
  EXPECT_EQ(ids_of(spool.list()), std::vector<std::string>{ids[4]});
  EXPECT_EQ(spool.recovery().quarantined.size(), 4u);
  EXPECT_EQ(spool.stats().quarantined_items, 4u);
  std::vector<std::string> left = names_in(dir / "quarantine");
  ASSERT_EQ(left.size(), 2u);
  // Items are scanned oldest first, so the last two quarantined were ids[2] and ids[3].
  EXPECT_NE(left[0].find(ids[2]), std::string::npos) << left[0];
  EXPECT_NE(left[1].find(ids[3]), std::string::npos) << left[1];
}

}  // namespace
}  // namespace helpline::agent::spool::testing
