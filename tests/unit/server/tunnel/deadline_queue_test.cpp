#include "server/tunnel/deadline_queue.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace helpline::relay {
namespace {

using std::chrono::seconds;
using Queue = DeadlineQueue<std::string>;
const Queue::TimePoint kT0 = Queue::TimePoint{} + std::chrono::hours(1);

std::vector<std::string> due_keys(Queue& queue, Queue::TimePoint now) {
  std::vector<std::string> keys;
  queue.pop_due(now, [&](const Queue::Entry& entry) { keys.push_back(entry.key); });
  return keys;
}

TEST(DeadlineQueue, PopsOnlyWhatIsDueEarliestFirst) {
  Queue queue;
  queue.schedule("late", kT0 + seconds(30));
  queue.schedule("early", kT0 + seconds(10));
  queue.schedule("middle", kT0 + seconds(20));
  EXPECT_EQ(queue.next(), kT0 + seconds(10));
  EXPECT_TRUE(due_keys(queue, kT0 + seconds(9)).empty());
  EXPECT_EQ(due_keys(queue, kT0 + seconds(20)), (std::vector<std::string>{"early", "middle"}));
  EXPECT_EQ(queue.size(), 1u);
  EXPECT_EQ(due_keys(queue, kT0 + seconds(60)), (std::vector<std::string>{"late"}));
  EXPECT_TRUE(queue.empty());
}

TEST(DeadlineQueue, ADeadlineExactlyNowIsDue) {
  Queue queue;
  queue.schedule("now", kT0);
  EXPECT_EQ(due_keys(queue, kT0), (std::vector<std::string>{"now"}));
}

TEST(DeadlineQueue, EachScheduleGetsANewTokenSoOldEntriesCanBeSkipped) {
  // The tunnel's use: a link keeps only its latest token; older entries
  // for it are stale.
  Queue queue;
  std::map<std::string, std::uint64_t> latest;
  latest["a"] = queue.schedule("a", kT0 + seconds(5));
  latest["a"] = queue.schedule("a", kT0 + seconds(1));  // moved earlier (closing)
  std::vector<std::uint64_t> live, stale;
  queue.pop_due(kT0 + seconds(10), [&](const Queue::Entry& entry) {
    (entry.token == latest[entry.key] ? live : stale).push_back(entry.token);
  });
  EXPECT_EQ(live.size(), 1u);
  EXPECT_EQ(stale.size(), 1u);
  EXPECT_NE(live.front(), stale.front());
}

TEST(DeadlineQueue, EntriesScheduledWhileVisitingWaitForTheNextCall) {
  Queue queue;
  queue.schedule("again", kT0);
  int visits = 0;
  queue.pop_due(kT0, [&](const Queue::Entry& entry) {
    ++visits;
    queue.schedule(entry.key, kT0);  // due at once, but not in this call
  });
  EXPECT_EQ(visits, 1);
  EXPECT_EQ(queue.size(), 1u);
  EXPECT_EQ(due_keys(queue, kT0), (std::vector<std::string>{"again"}));
}

TEST(DeadlineQueue, ManyLinksCostOnlyTheDueOnes) {
  Queue queue;
  for (int i = 0; i < 50000; ++i) queue.schedule(std::to_string(i), kT0 + seconds(1 + i % 90));
  std::size_t popped = queue.pop_due(kT0 + seconds(1), [](const Queue::Entry&) {});
  EXPECT_EQ(popped, 50000u / 90 + 1);
  EXPECT_EQ(queue.size(), 50000u - popped);
}

}  // namespace
}  // namespace helpline::relay
