#include "common/wire/backoff.h"

#include <gtest/gtest.h>

#include <limits>

namespace helpline::wire {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(Backoff, CapDoublesFromOneSecondToFiveMinutes) {
  Backoff backoff;
  std::vector<long> caps;
  for (int i = 0; i < 12; ++i) {
    caps.push_back(std::chrono::duration_cast<seconds>(backoff.current_cap()).count());
    (void)backoff.next_delay(0);
  }
  EXPECT_EQ(caps, (std::vector<long>{1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300}));
  EXPECT_EQ(backoff.attempt(), 12u);
}

TEST(Backoff, DelayStaysWithinFloorAndCap) {
  const std::uint64_t randoms[] = {
      0, 1, 99, 100, 999, 1000, 1001, 123456789, std::numeric_limits<std::uint64_t>::max()};
  Backoff backoff;
  for (int attempt = 0; attempt < 15; ++attempt) {
    for (std::uint64_t random : randoms) {
      Backoff probe = backoff;
      const milliseconds cap = probe.current_cap();
      const milliseconds delay = probe.next_delay(random);
      EXPECT_GE(delay, milliseconds(100)) << attempt << " " << random;
      EXPECT_LE(delay, cap) << attempt << " " << random;
    }
    (void)backoff.next_delay(0);
  }
}

TEST(Backoff, JitterCoversTheWholeRange) {
  Backoff backoff;
  EXPECT_EQ(Backoff(backoff).next_delay(0), milliseconds(100));  // the floor
  EXPECT_EQ(Backoff(backoff).next_delay(1000), milliseconds(1000));
  EXPECT_EQ(Backoff(backoff).next_delay(1001), milliseconds(100));  // wraps to 0
  EXPECT_EQ(Backoff(backoff).next_delay(500), milliseconds(500));
}

TEST(Backoff, StableLinkResetsTheSequence) {
  Backoff backoff;
  for (int i = 0; i < 5; ++i) (void)backoff.next_delay(0);
  backoff.on_link_lost(seconds(10));  // flapping: keep backing off
  EXPECT_EQ(backoff.attempt(), 5u);
  EXPECT_EQ(backoff.current_cap(), seconds(32));
  backoff.on_link_lost(seconds(60));
  EXPECT_EQ(backoff.attempt(), 0u);
  EXPECT_EQ(backoff.current_cap(), seconds(1));
}

TEST(Backoff, LongOutageDoesNotOverflow) {
  Backoff backoff;
  for (int i = 0; i < 1000; ++i)
    (void)backoff.next_delay(std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(backoff.current_cap(), seconds(300));
  backoff.reset();
  EXPECT_EQ(backoff.attempt(), 0u);
}

}  // namespace
}  // namespace helpline::wire
