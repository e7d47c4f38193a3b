#include "common/core/files.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

namespace helpline {
namespace {

class FilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("helpline-files-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(FilesTest, AtomicWriteSetsModeAndReplaces) {
  ASSERT_TRUE(files::ensure_private_dir(dir_).has_value());
  auto path = dir_ / "key.pem";
  ASSERT_TRUE(files::write_atomic(path, "one").has_value());
  ASSERT_TRUE(files::write_atomic(path, "two").has_value());
  EXPECT_EQ(files::read(path).value(), "two");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(dir_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  // No temporary files left behind.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_), {}), 1);
}

TEST_F(FilesTest, ReadNamesTheMissingFileAndRefusesOversize) {
  auto missing = files::read(dir_ / "nope");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, "read_failed");
  EXPECT_NE(missing.error().message.find("nope"), std::string::npos);

  ASSERT_TRUE(files::ensure_private_dir(dir_).has_value());
  ASSERT_TRUE(files::write_atomic(dir_ / "big", std::string(100, 'x')).has_value());
  auto big = files::read(dir_ / "big", 10);
  ASSERT_FALSE(big.has_value());
  EXPECT_EQ(big.error().code, "too_large");
}

TEST_F(FilesTest, UnsyncedAtomicWriteStillReplacesWholeWithItsMode) {
  ASSERT_TRUE(files::ensure_private_dir(dir_).has_value());
  auto path = dir_ / "status.json";
  ASSERT_TRUE(files::write_atomic(path, "old", 0644, files::Sync::kNoSync).has_value());
  ASSERT_TRUE(files::write_atomic(path, "new", 0644, files::Sync::kNoSync).has_value());
  EXPECT_EQ(files::read(path).value(), "new");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_), {}), 1);
}

TEST_F(FilesTest, ReadsAFileLargerThanOneBufferWhole) {
  ASSERT_TRUE(files::ensure_private_dir(dir_).has_value());
  std::string data(1000000, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7 % 251);
  ASSERT_TRUE(files::write_atomic(dir_ / "blob", data).has_value());
  EXPECT_EQ(files::read(dir_ / "blob").value(), data);
  auto capped = files::read(dir_ / "blob", 999999);
  ASSERT_FALSE(capped.has_value());
  EXPECT_EQ(capped.error().code, "too_large");
}

}  // namespace
}  // namespace helpline
