// Opening, migrations, file modes, users, API tokens and settings.
#include <sys/stat.h>

#include <cstdio>

#include "server/store/migrations.h"
#include "tests/unit/server/store/store_fixture.h"

namespace helpline::relay {
namespace {

using testing::StoreTest;

constexpr UnixMillis kNow = 1'800'000'000'000;
// Every migration applied.
const std::int64_t kLatest = sqlite::latest_schema_version();

[[nodiscard]] unsigned file_mode(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 0777;
}

TEST_F(StoreTest, MigrationsCreateSchemaAndRecordVersion) {
  for (const char* table : {"users", "api_tokens", "enroll_tokens", "devices", "settings",
                            "tickets", "bundles", "ticket_attachments"}) {
    EXPECT_EQ(raw_int(std::string("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND "
                                  "name = '") +
                      table + "'"),
              1)
        << table;
  }
  EXPECT_EQ(raw_int("SELECT MAX(version) FROM schema_migrations"), kLatest);
  EXPECT_EQ(raw_int("SELECT COUNT(*) FROM schema_migrations"), kLatest);
}

TEST_F(StoreTest, OpensInWalMode) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal");
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

TEST_F(StoreTest, ReopenIsANoOpAndKeepsData) {
  ASSERT_TRUE(store_->set_setting("org", "Example").has_value());
  ASSERT_TRUE(store_->create_user("ada", Role::kAdmin, "h", kNow).has_value());
  reopen();
  EXPECT_EQ(raw_int("SELECT COUNT(*) FROM schema_migrations"), kLatest);
  EXPECT_EQ(store_->get_setting("org").value(), "Example");
  EXPECT_TRUE(store_->find_user("ada").value().has_value());
}

TEST_F(StoreTest, SecondConnectionSharesTheFile) {
  auto second = open_sqlite_store(path_);
  ASSERT_TRUE(second.has_value()) << second.error().to_string();
  ASSERT_TRUE(store_->set_setting("k", "from first").has_value());
  EXPECT_EQ((*second)->get_setting("k").value(), "from first");
  EXPECT_EQ(raw_int("SELECT COUNT(*) FROM schema_migrations"), kLatest);
}

TEST_F(StoreTest, RefusesDatabaseFromNewerVersion) {
  store_.reset();
  raw_exec(
      "INSERT INTO schema_migrations (version, description, applied_at) "
      "VALUES (999, 'from the future', 0)");
  auto opened = open_sqlite_store(path_);
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code, "store_version");
  EXPECT_NE(opened.error().message.find("999"), std::string::npos);
}

TEST_F(StoreTest, RefusesAnotherProgramsDatabase) {
  auto other = dir_ / "other.db";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(other.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(
      sqlite3_exec(db, "PRAGMA application_id = 42; CREATE TABLE t (x)", nullptr, nullptr, nullptr),
      SQLITE_OK);
  sqlite3_close(db);
  auto opened = open_sqlite_store(other);
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code, "store_error");
  EXPECT_NE(opened.error().message.find("other.db"), std::string::npos);
}

TEST_F(StoreTest, RefusesFileThatIsNotADatabase) {
  auto junk = dir_ / "junk.db";
  {
    std::FILE* f = std::fopen(junk.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fputs("this is not an SQLite file, just text long enough to have a header.....", f);
    std::fclose(f);
  }
  auto opened = open_sqlite_store(junk);
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code, "store_error");
}

TEST_F(StoreTest, NamesTheFileWhenItCannotBeOpened) {
  auto opened = open_sqlite_store(dir_ / "missing-dir" / "relay.db");
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code, "store_error");
  EXPECT_NE(opened.error().message.find("missing-dir"), std::string::npos);
}

TEST_F(StoreTest, DatabaseFilesArePrivate) {
  ASSERT_TRUE(store_->set_setting("k", "v").has_value());
  EXPECT_EQ(file_mode(path_), 0600u);
  for (const char* suffix : {"-wal", "-shm"}) {
    auto sidecar = path_;
    sidecar += suffix;
    ASSERT_TRUE(std::filesystem::exists(sidecar)) << sidecar;
    EXPECT_EQ(file_mode(sidecar), 0600u) << sidecar;
  }
}

TEST_F(StoreTest, ReopenTightensLooseFileMode) {
  store_.reset();
  ASSERT_EQ(::chmod(path_.c_str(), 0644), 0);
  reopen();
  EXPECT_EQ(file_mode(path_), 0600u);
}

// --- users ---

TEST_F(StoreTest, CreatesAndFindsUsers) {
  auto bob = store_->create_user("bob", Role::kTechnician2, "hash-b", kNow);
  ASSERT_TRUE(bob.has_value()) << bob.error().to_string();
  EXPECT_GT(bob->id, 0);
  ASSERT_TRUE(store_->create_user("alice", Role::kViewer, "hash-a", kNow + 1).has_value());

  auto found = store_->find_user("bob");
  ASSERT_TRUE(found.has_value());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->id, bob->id);
  EXPECT_EQ((*found)->role, Role::kTechnician2);
  EXPECT_EQ((*found)->password_hash, "hash-b");
  EXPECT_EQ((*found)->created_at, kNow);
  EXPECT_FALSE((*found)->disabled);

  EXPECT_FALSE(store_->find_user("carol").value().has_value());

  auto users = store_->list_users().value();
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(users[0].name, "alice");
  EXPECT_EQ(users[1].name, "bob");
}

TEST_F(StoreTest, DuplicateUserIsUserExists) {
  ASSERT_TRUE(store_->create_user("bob", Role::kAdmin, "h", kNow).has_value());
  auto again = store_->create_user("bob", Role::kViewer, "h2", kNow);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, "user_exists");
  EXPECT_EQ(store_->find_user("bob").value()->role, Role::kAdmin);
}

TEST_F(StoreTest, SqlInjectionLookingNameIsStoredVerbatim) {
  const std::string name = "x'); DROP TABLE users;--";
  ASSERT_TRUE(store_->create_user(name, Role::kViewer, "h'\"", kNow).has_value());
  auto found = store_->find_user(name).value();
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->name, name);
  EXPECT_EQ(found->password_hash, "h'\"");
  ASSERT_TRUE(store_->set_setting(name, name).has_value());
  EXPECT_EQ(store_->get_setting(name).value(), name);
  EXPECT_EQ(store_->list_users().value().size(), 1u);
}

// --- API tokens ---

class ApiTokenTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    auto user = store_->create_user("tech", Role::kTechnician1, "h", kNow);
    ASSERT_TRUE(user.has_value());
    user_id_ = user->id;
  }
  void add(const std::string& hash, UnixMillis expires_at) {
    auto added = store_->add_api_token(ApiToken{hash, user_id_, kNow, expires_at});
    ASSERT_TRUE(added.has_value()) << added.error().to_string();
  }
  std::int64_t user_id_ = 0;
};

TEST_F(ApiTokenTest, ValidTokenYieldsItsUser) {
  add("valid", kNow + 1000);
  auto user = store_->user_for_api_token("valid", kNow);
  ASSERT_TRUE(user.has_value());
  ASSERT_TRUE(user->has_value());
  EXPECT_EQ((*user)->name, "tech");
  EXPECT_EQ((*user)->role, Role::kTechnician1);
}

TEST_F(ApiTokenTest, ExpiredTokenYieldsNoUser) {
  add("short", kNow + 1000);
  EXPECT_TRUE(store_->user_for_api_token("short", kNow + 999).value().has_value());
  EXPECT_FALSE(store_->user_for_api_token("short", kNow + 1000).value().has_value());
}

TEST_F(ApiTokenTest, TokenWithoutExpiryStaysValid) {
  add("forever", 0);
  EXPECT_TRUE(store_->user_for_api_token("forever", kNow * 2).value().has_value());
}

TEST_F(ApiTokenTest, UnknownTokenYieldsNoUser) {
  add("valid", kNow + 1000);
  EXPECT_FALSE(store_->user_for_api_token("other", kNow).value().has_value());
}

TEST_F(ApiTokenTest, DisabledUserYieldsNoUser) {
  add("valid", kNow + 1000);
  raw_exec("UPDATE users SET disabled = 1 WHERE name = 'tech'");
  EXPECT_FALSE(store_->user_for_api_token("valid", kNow).value().has_value());
}

TEST_F(ApiTokenTest, DeletedTokenYieldsNoUser) {
  add("valid", kNow + 1000);
  ASSERT_TRUE(store_->delete_api_token("valid").has_value());
  EXPECT_FALSE(store_->user_for_api_token("valid", kNow).value().has_value());
  EXPECT_TRUE(store_->delete_api_token("valid").has_value());  // unknown: nothing to do
}

TEST_F(ApiTokenTest, PurgeRemovesOnlyExpiredTokens) {
  add("old", kNow - 1);
  add("edge", kNow);
  add("fresh", kNow + 1);
  add("forever", 0);
  auto purged = store_->purge_expired_api_tokens(kNow);
  ASSERT_TRUE(purged.has_value());
  EXPECT_EQ(*purged, 2u);
  EXPECT_EQ(raw_int("SELECT COUNT(*) FROM api_tokens"), 2);
  EXPECT_TRUE(store_->user_for_api_token("fresh", kNow).value().has_value());
  EXPECT_TRUE(store_->user_for_api_token("forever", kNow).value().has_value());
  EXPECT_EQ(store_->purge_expired_api_tokens(kNow).value(), 0u);
}

TEST_F(ApiTokenTest, TokenForUnknownUserIsRefused) {
  auto added = store_->add_api_token(ApiToken{"x", user_id_ + 100, kNow, 0});
  ASSERT_FALSE(added.has_value());
  EXPECT_EQ(added.error().code, "store_error");
}

// --- settings ---

TEST_F(StoreTest, SettingsAreSetAndOverwritten) {
  EXPECT_FALSE(store_->get_setting("org_key").value().has_value());
  ASSERT_TRUE(store_->set_setting("org_key", "one").has_value());
  EXPECT_EQ(store_->get_setting("org_key").value(), "one");
  ASSERT_TRUE(store_->set_setting("org_key", "").has_value());
  EXPECT_EQ(store_->get_setting("org_key").value(), "");
}

// --- roles ---

TEST(Role, RoundTripsEveryName) {
  for (const char* name : {"viewer", "l1", "l2", "l3", "admin"}) {
    auto role = parse_role(name);
    ASSERT_TRUE(role.has_value()) << name;
    EXPECT_STREQ(to_string(*role), name);
  }
}

TEST(Role, UnknownNameListsTheValidOnes) {
  auto role = parse_role("root");
  ASSERT_FALSE(role.has_value());
  EXPECT_EQ(role.error().code, "bad_role");
  EXPECT_EQ(role.error().message, "unknown role 'root' (use viewer, l1, l2, l3 or admin)");
}

}  // namespace
}  // namespace helpline::relay
