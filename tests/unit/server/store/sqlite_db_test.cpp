// The private SQLite layer: statements, transactions and the migration runner
// that later schema versions build on.
#include "server/store/sqlite_db.h"

#include <array>

#include "server/store/migrations.h"
#include "tests/unit/server/store/store_fixture.h"

namespace helpline::relay::sqlite {
namespace {

class SqliteDbTest : public testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    auto opened = Db::open(dir_ / "test.db", 1000);
    ASSERT_TRUE(opened.has_value()) << opened.error().to_string();
    db_ = std::move(*opened);
  }
  void TearDown() override {
    db_.reset();
    TempDirTest::TearDown();
  }

  [[nodiscard]] std::int64_t count(const char* sql) {
    auto stmt = db_->statement(sql);
    if (!stmt) return -1;
    auto row = (*stmt)->step();
    return row && *row ? (*stmt)->column_int64(0) : -1;
  }

  [[nodiscard]] bool has_table(const char* name) {
    auto stmt = db_->statement("SELECT COUNT(*) FROM sqlite_master WHERE name = ?");
    if (!stmt) return false;
    (*stmt)->bind(1, std::string_view(name));
    auto row = (*stmt)->step();
    return row && *row && (*stmt)->column_int64(0) == 1;
  }

  std::unique_ptr<Db> db_;
};

constexpr std::array kTwoSteps{
    Migration{1, "first", "CREATE TABLE one (x INTEGER)"},
    Migration{2, "second", "CREATE TABLE two (y TEXT); INSERT INTO one (x) VALUES (7)"},
};

TEST_F(SqliteDbTest, MigrationsApplyInOrderAndRecordEach) {
  ASSERT_TRUE(migrate(*db_, kTwoSteps).has_value());
  EXPECT_EQ(schema_version(*db_).value(), 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM schema_migrations"), 2);
  EXPECT_EQ(count("SELECT x FROM one"), 7);
  // Again: nothing left to do, nothing applied twice.
  ASSERT_TRUE(migrate(*db_, kTwoSteps).has_value());
  EXPECT_EQ(count("SELECT COUNT(*) FROM one"), 1);
}

TEST_F(SqliteDbTest, MigrationsStartFromTheRecordedVersion) {
  ASSERT_TRUE(migrate(*db_, std::span(kTwoSteps).first(1)).has_value());
  EXPECT_EQ(schema_version(*db_).value(), 1);
  EXPECT_FALSE(has_table("two"));
  ASSERT_TRUE(migrate(*db_, kTwoSteps).has_value());
  EXPECT_EQ(schema_version(*db_).value(), 2);
  EXPECT_TRUE(has_table("two"));
}

TEST_F(SqliteDbTest, FailedMigrationRollsBackToThePreviousVersion) {
  constexpr std::array kBroken{
      kTwoSteps[0],
      Migration{2, "broken", "CREATE TABLE two (y TEXT); INSERT INTO missing VALUES (1)"},
  };
  auto migrated = migrate(*db_, kBroken);
  ASSERT_FALSE(migrated.has_value());
  EXPECT_EQ(migrated.error().code, "store_error");
  EXPECT_NE(migrated.error().message.find("migration 2 (broken)"), std::string::npos)
      << migrated.error().message;
  EXPECT_EQ(schema_version(*db_).value(), 1);
  EXPECT_FALSE(has_table("two"));
  // The fixed list then applies cleanly.
  ASSERT_TRUE(migrate(*db_, kTwoSteps).has_value());
  EXPECT_EQ(schema_version(*db_).value(), 2);
}

TEST_F(SqliteDbTest, NewerDatabaseIsRefused) {
  ASSERT_TRUE(migrate(*db_, kTwoSteps).has_value());
  auto older_code = migrate(*db_, std::span(kTwoSteps).first(1));
  ASSERT_FALSE(older_code.has_value());
  EXPECT_EQ(older_code.error().code, "store_version");
}

TEST_F(SqliteDbTest, MisnumberedMigrationListIsRefused) {
  constexpr std::array kGap{Migration{1, "a", "SELECT 1"}, Migration{3, "c", "SELECT 1"}};
  EXPECT_FALSE(migrate(*db_, kGap).has_value());
  EXPECT_FALSE(migrate(*db_, std::span<const Migration>()).has_value());
}

TEST_F(SqliteDbTest, RealSchemaIsConsecutive) {
  ASSERT_FALSE(migrations().empty());
  EXPECT_EQ(latest_schema_version(), migrations().back().version);
}

TEST_F(SqliteDbTest, TransactionRollsBackUnlessCommitted) {
  ASSERT_TRUE(db_->exec("CREATE TABLE t (x INTEGER)").has_value());
  {
    auto txn = Transaction::begin(*db_);
    ASSERT_TRUE(txn.has_value());
    ASSERT_TRUE(db_->exec("INSERT INTO t VALUES (1)").has_value());
  }
  EXPECT_EQ(count("SELECT COUNT(*) FROM t"), 0);
  {
    auto txn = Transaction::begin(*db_);
    ASSERT_TRUE(txn.has_value());
    ASSERT_TRUE(db_->exec("INSERT INTO t VALUES (2)").has_value());
    ASSERT_TRUE(txn->commit().has_value());
    EXPECT_FALSE(txn->commit().has_value());  // already finished
  }
  EXPECT_EQ(count("SELECT COUNT(*) FROM t"), 1);
}

TEST_F(SqliteDbTest, TextRoundTripsQuotesAndNulBytes) {
  ASSERT_TRUE(db_->exec("CREATE TABLE t (v TEXT)").has_value());
  const std::string value("a'b\"c\0d;--", 10);
  {
    auto insert = db_->statement("INSERT INTO t (v) VALUES (?)");
    ASSERT_TRUE(insert.has_value());
    (*insert)->bind(1, std::string_view(value));
    ASSERT_TRUE((*insert)->run().has_value());
  }
  auto select = db_->statement("SELECT v FROM t");
  ASSERT_TRUE(select.has_value());
  ASSERT_TRUE((*select)->step().value());
  EXPECT_EQ((*select)->column_text(0), value);
}

TEST_F(SqliteDbTest, EmptyTextBindsAsEmptyNotNull) {
  ASSERT_TRUE(db_->exec("CREATE TABLE t (v TEXT NOT NULL)").has_value());
  auto insert = db_->statement("INSERT INTO t (v) VALUES (?)");
  ASSERT_TRUE(insert.has_value());
  (*insert)->bind(1, std::string_view());
  EXPECT_TRUE((*insert)->run().has_value());
}

TEST_F(SqliteDbTest, StatementIsReusedAndCannotBeBorrowedTwice) {
  const char* sql = "SELECT 1";
  {
    auto first = db_->statement(sql);
    ASSERT_TRUE(first.has_value());
    auto again = db_->statement(sql);
    ASSERT_FALSE(again.has_value());
    EXPECT_EQ(again.error().code, "store_error");
  }
  auto after = db_->statement(sql);
  ASSERT_TRUE(after.has_value());
  EXPECT_TRUE((*after)->step().value());
}

TEST_F(SqliteDbTest, BadSqlIsAStoreError) {
  auto stmt = db_->statement("SELEC nonsense");
  ASSERT_FALSE(stmt.has_value());
  EXPECT_EQ(stmt.error().code, "store_error");
  EXPECT_FALSE(db_->exec("NOT SQL").has_value());
}

}  // namespace
}  // namespace helpline::relay::sqlite
