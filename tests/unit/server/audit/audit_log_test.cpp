// The relay's audit log on disk: appends, verifies against the head kept
// in the store, and names the first bad entry after an edit, a removal or
// a cut tail; a relay that opens a broken log keeps appending after it.
#include <gtest/gtest.h>

#include <fstream>

#include "server/audit/audit_log.h"
#include "tests/support/temp_dir.h"

namespace helpline::relay::audit {
namespace {

std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_all(const std::filesystem::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
}

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = open_sqlite_store(dir_ / "relay.db");
    ASSERT_TRUE(store) << store.error().to_string();
    store_ = std::move(*store);
    reopen();
  }
  void reopen() {
    log_.reset();
    auto log = AuditLog::open(file_, *store_);
    ASSERT_TRUE(log) << log.error().to_string();
    log_ = std::move(*log);
  }
  void append(int n) {
    for (int i = 0; i < n; ++i) {
      auto e = log_->append({"session.request", "alice", "dev_1", "ses_0123456789abcdef", 3,
                             "entry " + std::to_string(i)});
      ASSERT_TRUE(e) << e.error().to_string();
    }
  }

  helpline::testing::TempDir dir_{"audit-log"};
  std::filesystem::path file_ = dir_ / "audit.log";
  std::unique_ptr<Store> store_;
  std::unique_ptr<AuditLog> log_;
};

TEST_F(AuditLogTest, IntactLogVerifiesAndSurvivesAReopen) {
  append(3);
  reopen();
  append(2);
  auto r = log_->verify();
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->intact) << r->problem;
  EXPECT_EQ(r->entries, 5u);
  auto listed = log_->list(Filter{"ses_0123456789abcdef", "", 3});
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 3u);
  EXPECT_EQ(listed->back().seq, 5u);
  EXPECT_EQ(std::filesystem::status(file_).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

TEST_F(AuditLogTest, EditedEntryIsNamed) {
  append(4);
  std::string text = read_all(file_);
  text.replace(text.find("entry 2"), 7, "entry 9");
  write_all(file_, text);
  auto r = log_->verify();
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->intact);
  EXPECT_EQ(r->first_bad_seq, 3u);
  EXPECT_NE(r->problem.find("edited"), std::string::npos) << r->problem;
}

TEST_F(AuditLogTest, CutTailIsFoundThroughTheStoredHead) {
  append(4);
  std::string text = read_all(file_);
  text.erase(text.rfind('\n', text.size() - 2) + 1);  // drop the last line
  write_all(file_, text);
  auto r = log_->verify();
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->intact);
  EXPECT_NE(r->problem.find("cut from the end"), std::string::npos) << r->problem;
}

TEST_F(AuditLogTest, ABrokenLogStaysBrokenAfterMoreEntries) {
  append(3);
  std::string text = read_all(file_);
  write_all(file_, text.substr(text.find('\n') + 1));  // the first entry removed
  reopen();  // logs the problem, keeps going
  append(1);
  auto r = log_->verify();
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->intact);
  EXPECT_EQ(r->first_bad_seq, 1u);
}

}  // namespace
}  // namespace helpline::relay::audit
