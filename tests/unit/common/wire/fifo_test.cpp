#include "common/wire/fifo.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace helpline::wire {
namespace {

TEST(Fifo, EmptyQueueHoldsNoStorage) {
  Fifo<std::string> queue;
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.size(), 0u);
  EXPECT_EQ(queue.capacity(), 0u);
}

TEST(Fifo, PopsInPushOrder) {
  Fifo<int> queue;
  for (int i = 0; i < 5; ++i) queue.push_back(i);
  EXPECT_EQ(queue.size(), 5u);
  EXPECT_EQ(queue.back(), 4);
  for (int i = 0; i < 5; ++i) {
    ASSERT_FALSE(queue.empty());
    EXPECT_EQ(queue.front(), i);
    queue.pop_front();
  }
  EXPECT_TRUE(queue.empty());
}

TEST(Fifo, DrainingReleasesTheStorage) {
  Fifo<std::string> queue;
  queue.push_back("a");
  queue.push_back("b");
  EXPECT_GT(queue.capacity(), 0u);
  queue.pop_front();
  EXPECT_GT(queue.capacity(), 0u);
  queue.pop_front();
  EXPECT_EQ(queue.capacity(), 0u);
  queue.push_back("c");  // usable again after a drain
  EXPECT_EQ(queue.front(), "c");
}

TEST(Fifo, QueueThatNeverDrainsStaysBounded) {
  // Push two, pop one, forever: a naive head index would grow the storage
  // without end.
  Fifo<int> queue;
  int next_pushed = 0;
  int next_popped = 0;
  for (int round = 0; round < 10000; ++round) {
    queue.push_back(next_pushed++);
    queue.push_back(next_pushed++);
    ASSERT_EQ(queue.front(), next_popped++);
    queue.pop_front();
    if (queue.size() > 100) {
      while (queue.size() > 1) {
        ASSERT_EQ(queue.front(), next_popped++);
        queue.pop_front();
      }
    }
  }
  EXPECT_LE(queue.capacity(), 512u);
}

TEST(Fifo, BackCanBeChangedInPlace) {
  Fifo<std::string> queue;
  queue.push_back("data");
  queue.back().append(" more");
  EXPECT_EQ(queue.front(), "data more");
}

TEST(Fifo, HoldsMoveOnlyElementsAndClears) {
  Fifo<std::unique_ptr<int>> queue;
  queue.push_back(std::make_unique<int>(7));
  queue.push_back(std::make_unique<int>(8));
  EXPECT_EQ(*queue.front(), 7);
  queue.clear();
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.capacity(), 0u);
}

}  // namespace
}  // namespace helpline::wire
