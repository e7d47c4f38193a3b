#include "common/wire/liveness.h"

#include <gtest/gtest.h>

namespace helpline::wire {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Action = Liveness::Action;

const Liveness::TimePoint kT0 = Liveness::TimePoint{} + std::chrono::hours(1);

TEST(Liveness, HeartbeatIsDueAfterOneIntervalOfSilence) {
  Liveness live(seconds(30));
  live.start(kT0);
  EXPECT_EQ(live.next_deadline(), kT0 + seconds(30));
  EXPECT_EQ(live.on_tick(kT0 + seconds(29)), Action::kNone);
  EXPECT_EQ(live.on_tick(kT0 + seconds(30)), Action::kSendHeartbeat);
  EXPECT_EQ(live.on_tick(kT0 + seconds(31)), Action::kNone);  // not twice
  EXPECT_EQ(live.next_deadline(), kT0 + seconds(60));
}

TEST(Liveness, SendingDefersTheHeartbeat) {
  Liveness live(seconds(30));
  live.start(kT0);
  live.on_send(kT0 + seconds(20));
  EXPECT_EQ(live.on_tick(kT0 + seconds(30)), Action::kNone);
  EXPECT_EQ(live.next_deadline(), kT0 + seconds(50));
  EXPECT_EQ(live.on_tick(kT0 + seconds(50)), Action::kSendHeartbeat);
}

TEST(Liveness, DeadAfterThreeIntervalsWithoutInput) {
  Liveness live(seconds(30));
  live.start(kT0);
  EXPECT_EQ(live.on_tick(kT0 + seconds(30)), Action::kSendHeartbeat);
  EXPECT_EQ(live.on_tick(kT0 + seconds(60)), Action::kSendHeartbeat);
  EXPECT_EQ(live.next_deadline(), kT0 + seconds(90));
  EXPECT_EQ(live.on_tick(kT0 + seconds(89)), Action::kNone);
  EXPECT_EQ(live.on_tick(kT0 + seconds(90)), Action::kDead);
}

TEST(Liveness, ReceivingPostponesDeath) {
  Liveness live(seconds(30));
  live.start(kT0);
  live.on_receive(kT0 + seconds(80));
  live.on_send(kT0 + seconds(80));
  EXPECT_EQ(live.on_tick(kT0 + seconds(90)), Action::kNone);
  EXPECT_EQ(live.on_tick(kT0 + seconds(169)), Action::kSendHeartbeat);
  EXPECT_EQ(live.on_tick(kT0 + seconds(170)), Action::kDead);
}

TEST(Liveness, ExplicitDeadAfterIsKept) {
  Liveness live(seconds(10), seconds(15));
  live.start(kT0);
  EXPECT_EQ(live.on_tick(kT0 + seconds(10)), Action::kSendHeartbeat);
  EXPECT_EQ(live.next_deadline(), kT0 + seconds(15));
  live.set_interval(seconds(20));
  EXPECT_EQ(live.on_tick(kT0 + seconds(15)), Action::kDead);
}

TEST(Liveness, NewIntervalMovesTheDeadlines) {
  Liveness live(seconds(30));
  live.start(kT0);
  live.set_interval(seconds(10));
  EXPECT_EQ(live.interval(), seconds(10));
  EXPECT_EQ(live.next_deadline(), kT0 + seconds(10));
  EXPECT_EQ(live.on_tick(kT0 + seconds(10)), Action::kSendHeartbeat);
  EXPECT_EQ(live.on_tick(kT0 + seconds(20)), Action::kSendHeartbeat);
  EXPECT_EQ(live.on_tick(kT0 + seconds(30)), Action::kDead);  // 3 x 10 s
}

TEST(Liveness, SequenceNumbersIncrease) {
  Liveness live(seconds(30));
  EXPECT_EQ(live.next_seq(), 1u);
  EXPECT_EQ(live.next_seq(), 2u);
}

TEST(Liveness, ZeroIntervalDoesNotSpin) {
  Liveness live(milliseconds(0));
  live.start(kT0);
  EXPECT_EQ(live.on_tick(kT0), Action::kNone);
  EXPECT_GT(live.next_deadline(), kT0);
}

}  // namespace
}  // namespace helpline::wire
