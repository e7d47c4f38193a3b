// The relay's end of a bundle stream: capped, hash-checked against the id
// the agent claimed, and leaving nothing behind unless committed.
#include "server/intake/blob_upload.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <optional>

#include "common/tls/crypto.h"
#include "tests/support/temp_dir.h"

namespace helpline::relay::intake {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

[[nodiscard]] std::string id_of(std::string_view data) { return "sha256:" + tls::sha256_hex(data); }

class BlobUploadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = blobs::BlobStore::open(temp_ / "blobs");
    ASSERT_TRUE(opened) << opened.error().to_string();
    blobs_ = std::move(*opened);
  }

  [[nodiscard]] std::shared_ptr<BlobUpload> upload(std::uint64_t max_bytes) {
    return std::make_shared<BlobUpload>("bundle", *blobs_, max_bytes, io_.get_executor());
  }

  // Runs upload->wait(deadline) to completion on the test's io_context.
  [[nodiscard]] Result<void> wait(BlobUpload& u, Clock::time_point deadline) {
    std::optional<Result<void>> out;
    asio::co_spawn(io_, u.wait(deadline), [&](std::exception_ptr, Result<void> r) { out = r; });
    io_.restart();
    io_.run();
    EXPECT_TRUE(out.has_value());
    return out ? *out : fail("test", "wait did not complete");
  }

  [[nodiscard]] std::size_t temporary_files() const {
    std::size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(temp_ / "blobs" / "tmp")) {
      if (e.is_regular_file()) ++n;
    }
    return n;
  }

  helpline::testing::TempDir temp_{"helpline-upload"};
  std::unique_ptr<blobs::BlobStore> blobs_;
  asio::io_context io_;
};

TEST_F(BlobUploadTest, CompleteStreamMatchingItsIdIsReadyToCommit) {
  const std::string content = "HLB1 pretend bundle bytes";
  auto u = upload(1024);
  ASSERT_TRUE(u->on_open(id_of(content)));
  ASSERT_TRUE(u->on_data(content.substr(0, 10)));
  ASSERT_TRUE(u->on_data(content.substr(10)));
  u->on_end();
  auto done = wait(*u, Clock::now() + std::chrono::seconds(5));
  ASSERT_TRUE(done) << done.error().to_string();
  EXPECT_EQ(u->claimed_id(), id_of(content));
  EXPECT_EQ(u->size(), content.size());
  EXPECT_EQ(u->writer().read_back().value(), content);
  EXPECT_FALSE(blobs_->contains(id_of(content)));
  ASSERT_TRUE(u->writer().commit());
  EXPECT_TRUE(blobs_->contains(id_of(content)));
}

TEST_F(BlobUploadTest, DataBeyondTheCapIsRefusedAndNothingIsKept) {
  auto u = upload(16);
  ASSERT_TRUE(u->on_open(id_of("whatever")));
  ASSERT_TRUE(u->on_data("0123456789"));
  auto over = u->on_data("0123456789");
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, "too_large");
  EXPECT_NE(over.error().message.find("16 bytes"), std::string::npos);
  u->on_abort(over.error());  // what the session does after refusing
  auto done = wait(*u, Clock::now() + std::chrono::seconds(5));
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().code, "too_large");
  EXPECT_EQ(temporary_files(), 0u);
}

TEST_F(BlobUploadTest, ContentNotMatchingTheClaimedIdIsRefused) {
  auto u = upload(1024);
  ASSERT_TRUE(u->on_open(id_of("what was promised")));
  ASSERT_TRUE(u->on_data("what was sent"));
  u->on_end();
  auto done = wait(*u, Clock::now() + std::chrono::seconds(5));
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().code, "hash_mismatch");
  EXPECT_EQ(temporary_files(), 0u);
  EXPECT_FALSE(blobs_->contains(id_of("what was sent")));
}

TEST_F(BlobUploadTest, MetadataMustBeABlobId) {
  auto u = upload(1024);
  auto opened = u->on_open("../../etc/passwd");
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, "bad_stream");
  EXPECT_FALSE(u->started());
}

TEST_F(BlobUploadTest, NoStreamByTheDeadlineIsATimeout) {
  auto u = upload(1024);
  auto done = wait(*u, Clock::now());
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().code, "timeout");
}

TEST_F(BlobUploadTest, AbandonedUploadRefusesFurtherData) {
  auto u = upload(1024);
  ASSERT_TRUE(u->on_open(id_of("x")));
  EXPECT_TRUE(u->started());
  u->abandon();
  auto more = u->on_data("x");
  ASSERT_FALSE(more);
  EXPECT_EQ(more.error().code, "abandoned");
}

TEST_F(BlobUploadTest, LinkLossEndsTheWait) {
  auto u = upload(1024);
  ASSERT_TRUE(u->on_open(id_of("x")));
  ASSERT_TRUE(u->on_data("x"));
  u->on_abort(Error{"device_offline", "the link to device dev_1 closed"});
  auto done = wait(*u, Clock::now() + std::chrono::seconds(5));
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().code, "device_offline");
  EXPECT_EQ(temporary_files(), 0u);
}

}  // namespace
}  // namespace helpline::relay::intake
