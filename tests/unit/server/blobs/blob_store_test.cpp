// server/blobs: content addressing, dedup, atomic placement, modes, limits
// and refusal of bad ids and mismatched hashes.
#include "server/blobs/blob_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "common/tls/crypto.h"
#include "tests/support/temp_dir.h"

namespace helpline::relay::blobs {
namespace {

namespace fs = std::filesystem;

[[nodiscard]] unsigned mode_of(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 0777;
}

[[nodiscard]] std::size_t files_in(const fs::path& dir) {
  std::size_t n = 0;
  std::error_code ec;
  for (const auto& entry : fs::recursive_directory_iterator(dir, ec)) {
    if (entry.is_regular_file()) ++n;
  }
  return n;
}

[[nodiscard]] std::string id_of(std::string_view data) { return "sha256:" + tls::sha256_hex(data); }

class BlobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = BlobStore::open(temp_ / "blobs", 1024);
    ASSERT_TRUE(opened) << opened.error().to_string();
    store_ = std::move(*opened);
  }

  helpline::testing::TempDir temp_{"helpline-blobs"};
  std::unique_ptr<BlobStore> store_;
};

TEST_F(BlobStoreTest, StoresUnderItsHashInPrivateFilesAndDirectories) {
  auto stored = store_->put("hello blob");
  ASSERT_TRUE(stored) << stored.error().to_string();
  EXPECT_EQ(stored->id, id_of("hello blob"));
  EXPECT_EQ(stored->size, 10u);
  EXPECT_FALSE(stored->existed);
  std::string hex = stored->id.substr(7);
  fs::path expected = temp_ / "blobs" / "sha256" / hex.substr(0, 2) / hex.substr(2);
  EXPECT_EQ(store_->path_of(stored->id), expected);
  EXPECT_TRUE(fs::is_regular_file(expected));
  EXPECT_EQ(mode_of(expected), 0600u);
  EXPECT_EQ(mode_of(expected.parent_path()), 0700u);
  EXPECT_EQ(mode_of(temp_ / "blobs"), 0700u);
  EXPECT_EQ(mode_of(temp_ / "blobs" / "sha256"), 0700u);
  EXPECT_TRUE(store_->contains(stored->id));
  EXPECT_EQ(store_->read(stored->id, 1024).value(), "hello blob");
}

TEST_F(BlobStoreTest, SameContentIsStoredOnce) {
  auto first = store_->put("same bytes");
  auto second = store_->put("same bytes", id_of("same bytes"));
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->id, second->id);
  EXPECT_FALSE(first->existed);
  EXPECT_TRUE(second->existed);
  EXPECT_EQ(files_in(temp_ / "blobs" / "sha256"), 1u);
  EXPECT_EQ(files_in(temp_ / "blobs" / "tmp"), 0u);
}

TEST_F(BlobStoreTest, ClaimedIdMustMatchTheContent) {
  auto wrong = store_->put("content", id_of("other content"));
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, "hash_mismatch");
  EXPECT_NE(wrong.error().message.find(id_of("content")), std::string::npos);
  EXPECT_EQ(files_in(temp_ / "blobs"), 0u);
}

TEST_F(BlobStoreTest, MalformedIdsAreRefusedNotUsedAsPaths) {
  for (std::string_view id :
       {"sha256:../../etc/passwd", "sha256:ABC", "md5:0123", "",
        "sha256:/0123456789abcdef0123456789abcdef0123456789abcdef0123456789"}) {
    EXPECT_FALSE(is_blob_id(id)) << id;
    auto read = store_->read(id, 1024);
    ASSERT_FALSE(read);
    EXPECT_EQ(read.error().code, "bad_id") << id;
    EXPECT_FALSE(store_->contains(id));
  }
  auto put = store_->put("x", "sha256:nope");
  ASSERT_FALSE(put);
  EXPECT_EQ(put.error().code, "bad_id");
  EXPECT_TRUE(is_blob_id(id_of("x")));
  EXPECT_FALSE(is_blob_id(id_of("x") + "0"));
}

TEST_F(BlobStoreTest, UnknownBlobIsNotFound) {
  auto read = store_->read(id_of("never stored"), 1024);
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().code, "not_found");
}

TEST_F(BlobStoreTest, SizeLimitsApplyToPutWriterAndRead) {
  auto big = store_->put(std::string(1025, 'x'));
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code, "too_large");

  auto writer = store_->begin(100);
  ASSERT_TRUE(writer);
  ASSERT_TRUE(writer->append(std::string(60, 'a')));
  auto over = writer->append(std::string(41, 'a'));
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, "too_large");
  EXPECT_FALSE(writer->append("a"));  // unusable after the cap
  EXPECT_FALSE(writer->finish());

  auto stored = store_->put(std::string(200, 'y'));
  ASSERT_TRUE(stored);
  auto capped = store_->read(stored->id, 100);
  ASSERT_FALSE(capped);
  EXPECT_EQ(capped.error().code, "too_large");
}

TEST_F(BlobStoreTest, StreamedWriteIsCommittedOnlyOnRequest) {
  std::string id;
  {
    auto writer = store_->begin(1024);
    ASSERT_TRUE(writer);
    ASSERT_TRUE(writer->append("part one, "));
    ASSERT_TRUE(writer->append("part two"));
    EXPECT_EQ(writer->size(), 18u);
    auto finished = writer->finish();
    ASSERT_TRUE(finished);
    id = *finished;
    EXPECT_EQ(id, id_of("part one, part two"));
    EXPECT_EQ(writer->read_back().value(), "part one, part two");
    EXPECT_FALSE(store_->contains(id));
    EXPECT_EQ(files_in(temp_ / "blobs" / "tmp"), 1u);
  }
  // Dropped without commit: nothing stored, nothing left behind.
  EXPECT_FALSE(store_->contains(id));
  EXPECT_EQ(files_in(temp_ / "blobs"), 0u);

  auto writer = store_->begin(1024);
  ASSERT_TRUE(writer);
  ASSERT_TRUE(writer->append("part one, part two"));
  ASSERT_TRUE(writer->finish());
  auto committed = writer->commit();
  ASSERT_TRUE(committed) << committed.error().to_string();
  EXPECT_EQ(committed->id, id);
  EXPECT_TRUE(store_->contains(id));
  EXPECT_EQ(files_in(temp_ / "blobs" / "tmp"), 0u);
}

TEST_F(BlobStoreTest, MovedWriterKeepsOwnershipOfItsFile) {
  auto writer = store_->begin(1024);
  ASSERT_TRUE(writer);
  BlobWriter moved = std::move(*writer);
  ASSERT_TRUE(moved.append("moved"));
  ASSERT_TRUE(moved.finish());
  ASSERT_TRUE(moved.commit());
  EXPECT_TRUE(store_->contains(id_of("moved")));
}

TEST_F(BlobStoreTest, ReopenRemovesLeftoverTemporaryFilesAndKeepsBlobs) {
  auto stored = store_->put("kept");
  ASSERT_TRUE(stored);
  {
    auto writer = store_->begin(1024);
    ASSERT_TRUE(writer);
    ASSERT_TRUE(writer->append("in flight"));
    auto reopened = BlobStore::open(temp_ / "blobs", 1024);
    ASSERT_TRUE(reopened);
    EXPECT_EQ(files_in(temp_ / "blobs" / "tmp"), 0u);
    EXPECT_EQ((*reopened)->read(stored->id, 1024).value(), "kept");
  }
}

TEST_F(BlobStoreTest, EmptyContentIsABlobToo) {
  auto stored = store_->put("");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->id, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(store_->read(stored->id, 10).value(), "");
}

}  // namespace
}  // namespace helpline::relay::blobs
