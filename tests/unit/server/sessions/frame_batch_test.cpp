#include "server/sessions/frame_batch.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace helpline::relay::sessions {
namespace {

std::string joined(const std::vector<std::string_view>& views) {
  std::string out;
  for (std::string_view view : views) out += view;
  return out;
}

// Takes messages until the batch is empty, as the bridge writes them.
std::vector<std::string> drain(FrameBatch& batch) {
  std::vector<std::string> messages;
  while (!batch.empty()) {
    messages.push_back(joined(batch.next()));
    batch.consume(messages.back().size());
  }
  return messages;
}

TEST(FrameBatch, LessThanAFrameGoesOutAtOnce) {
  FrameBatch batch(10, 100);
  batch.push("abc");
  batch.push("de");
  EXPECT_EQ(batch.queued(), 5u);
  EXPECT_EQ(drain(batch), (std::vector<std::string>{"abcde"}));
}

TEST(FrameBatch, HandsOutWholeFramesAcrossPiecesAndKeepsTheRest) {
  FrameBatch batch(4, 100);
  batch.push("abcdef");  // pieces that are not a multiple of the frame
  batch.push("ghijk");
  // 11 bytes: two whole frames now, the 3 left when nothing else came.
  EXPECT_EQ(joined(batch.next()), "abcdefgh");
  batch.consume(8);
  EXPECT_EQ(batch.queued(), 3u);
  EXPECT_EQ(drain(batch), (std::vector<std::string>{"ijk"}));
}

TEST(FrameBatch, RestJoinsWhatArrivesWhileAMessageIsWritten) {
  FrameBatch batch(4, 100);
  batch.push("abcdef");
  auto views = batch.next();
  EXPECT_EQ(joined(views), "abcd");
  batch.push("gh");  // arrives during the write: the views stay valid
  EXPECT_EQ(joined(views), "abcd");
  batch.consume(4);
  EXPECT_EQ(joined(batch.next()), "efgh");
}

TEST(FrameBatch, CapsAMessageAtWholeFramesBelowTheLimit) {
  FrameBatch batch(4, 10);  // 10 is not a multiple: 8 per message
  batch.push(std::string(21, 'x'));
  std::vector<std::size_t> sizes;
  for (const std::string& message : drain(batch)) sizes.push_back(message.size());
  EXPECT_EQ(sizes, (std::vector<std::size_t>{8, 8, 4, 1}));
}

TEST(FrameBatch, KeepsEveryByteInOrder) {
  FrameBatch batch(16380, 16 * 16380);
  std::string sent;
  for (int i = 0; i < 40; ++i) {
    std::string piece(16384 - static_cast<std::size_t>(i % 3) * 1000, static_cast<char>('a' + i % 26));
    sent += piece;
    batch.push(std::move(piece));
  }
  batch.push("");  // an empty piece is nothing
  std::string received;
  for (const std::string& message : drain(batch)) {
    EXPECT_TRUE(message.size() % 16380 == 0 || message.size() < 16380) << message.size();
    received += message;
  }
  EXPECT_EQ(received, sent);
}

}  // namespace
}  // namespace helpline::relay::sessions
