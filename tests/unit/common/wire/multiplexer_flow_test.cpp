// Credit-based flow control, send buffer limits and fairness.
#include <gtest/gtest.h>

#include "common/wire/multiplexer.h"
#include "tests/unit/common/wire/wire_test_support.h"

namespace helpline::wire {
namespace {

using Kind = MuxEvent::Kind;
using test::bytes_of;
using test::drain_events;
using test::MuxPair;

constexpr std::uint32_t kWindow = 64u * 1024;

MuxPair small_window_pair() {
  MuxConfig agent = test::config_for(Role::kAgent);
  MuxConfig relay = test::config_for(Role::kRelay);
  agent.initial_window = kWindow;
  relay.initial_window = kWindow;
  return MuxPair(agent, relay);
}

// Data received on `channel` (not consumed).
std::string received(std::vector<MuxEvent> events, std::uint32_t channel) {
  std::string data;
  for (auto& event : events) {
    if (event.kind == Kind::kChannelData && event.channel == channel) data += event.data;
  }
  return data;
}

TEST(MultiplexerFlow, SenderStopsAtCreditAndResumesAfterConsume) {
  MuxPair pair = small_window_pair();
  auto id = pair.agent.open_channel("bundle").value();
  const std::string payload(200u * 1024, 'p');
  ASSERT_EQ(pair.agent.write(id, bytes_of(payload)).value(), payload.size());
  pair.pump();

  std::string got = received(drain_events(pair.relay), id);
  EXPECT_EQ(got.size(), kWindow);  // exactly the credit, not a byte more
  EXPECT_EQ(pair.agent.send_credit(id), 0u);
  EXPECT_EQ(pair.agent.queued(id), payload.size() - kWindow);
  EXPECT_FALSE(pair.agent.wants_write());

  pair.relay.consume(id, kWindow / 2);
  pair.pump();
  std::string more = received(drain_events(pair.relay), id);
  EXPECT_EQ(more.size(), kWindow / 2);
  got += more;

  for (int round = 0; round < 100 && got.size() < payload.size(); ++round) {
    pair.relay.consume(id, kWindow);
    pair.pump();
    got += received(drain_events(pair.relay), id);
  }
  EXPECT_EQ(got, payload);
}

TEST(MultiplexerFlow, GrantsCreditBackOnlyPerHalfWindow) {
  MuxPair pair = small_window_pair();
  auto id = pair.agent.open_channel("shell").value();
  ASSERT_EQ(pair.agent.write(id, bytes_of(std::string(kWindow, 'k'))).value(), kWindow);
  pair.pump();
  (void)drain_events(pair.relay);
  for (std::size_t i = 1; i < kWindow / 2; ++i) {
    pair.relay.consume(id, 1);
    ASSERT_FALSE(pair.relay.wants_write()) << "update after " << i << " bytes";
  }
  pair.relay.consume(id, 1);
  EXPECT_TRUE(pair.relay.wants_write());
  auto frames = test::take_frames(pair.relay);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].window_update().increment(), kWindow / 2);
}

TEST(MultiplexerFlow, ConsumeNeverGrantsMoreThanWasDelivered) {
  MuxPair pair = small_window_pair();
  auto id = pair.agent.open_channel("shell").value();
  ASSERT_EQ(pair.agent.write(id, bytes_of(std::string(100, 'k'))).value(), 100u);
  pair.pump();
  (void)drain_events(pair.relay);
  pair.relay.consume(id, 1u << 30);        // a confused caller
  pair.relay.consume(12345, 10);           // unknown channel: ignored
  EXPECT_FALSE(pair.relay.wants_write());  // 100 bytes are below half a window
}

TEST(MultiplexerFlow, WriteTakesWhatFitsAndSignalsWritableAfterDraining) {
  MuxConfig agent = test::config_for(Role::kAgent);
  agent.max_send_buffer = 64u * 1024;
  MuxPair pair(agent);
  auto id = pair.agent.open_channel("file").value();
  const std::string big(100u * 1024, 'w');
  EXPECT_EQ(pair.agent.write(id, bytes_of(big)).value(), 64u * 1024);
  EXPECT_EQ(pair.agent.write(id, bytes_of(big)).value(), 0u);
  EXPECT_TRUE(drain_events(pair.agent).empty());
  pair.pump();
  auto events = drain_events(pair.agent);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::kChannelWritable);
  EXPECT_EQ(events[0].channel, id);
  EXPECT_EQ(pair.agent.write(id, bytes_of(big)).value(), 64u * 1024);
}

TEST(MultiplexerFlow, ChannelsShareOutputRoundRobin) {
  MuxPair pair;
  auto a = pair.agent.open_channel("a").value();
  auto b = pair.agent.open_channel("b").value();
  pair.pump();
  const std::string chunk(64u * 1024, 'r');
  ASSERT_EQ(pair.agent.write(a, bytes_of(chunk)).value(), chunk.size());
  ASSERT_EQ(pair.agent.write(b, bytes_of(chunk)).value(), chunk.size());
  std::vector<std::uint32_t> order;
  for (int i = 0; i < 6; ++i) {
    auto frames = test::take_frames(pair.agent, 1);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].data().data().size(), 16u * 1024);  // max_data_chunk
    order.push_back(frames[0].channel());
  }
  EXPECT_EQ(order, (std::vector<std::uint32_t>{a, b, a, b, a, b}));
}

TEST(MultiplexerFlow, CloseFollowsTheLastQueuedByte) {
  MuxPair pair = small_window_pair();
  auto id = pair.agent.open_channel("bundle").value();
  ASSERT_EQ(pair.agent.write(id, bytes_of(std::string(kWindow + 10, 'c'))).value(), kWindow + 10);
  ASSERT_TRUE(pair.agent.close_channel(id).has_value());
  EXPECT_EQ(pair.agent.write(id, bytes_of(std::string("late"))).error().code, "channel_state");
  EXPECT_EQ(pair.agent.close_channel(id).error().code, "channel_state");
  pair.pump();
  auto events = drain_events(pair.relay);
  for (const auto& event : events) EXPECT_NE(event.kind, Kind::kChannelClosed);
  pair.relay.consume(id, kWindow);
  pair.pump();
  events = drain_events(pair.relay);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].data.size(), 10u);
  EXPECT_EQ(events[1].kind, Kind::kChannelClosed);
}

TEST(MultiplexerFlow, DataChunksFitANegotiatedSmallerFrameSize) {
  MuxPair pair;
  pair.agent.set_max_frame_size(100);  // raised to the 1 KiB floor
  pair.relay.set_max_frame_size(kMinMaxFrameSize);
  auto id = pair.agent.open_channel("bundle").value();
  pair.pump();
  const std::string payload(10000, 'f');
  ASSERT_EQ(pair.agent.write(id, bytes_of(payload)).value(), payload.size());
  pair.pump();
  EXPECT_EQ(received(drain_events(pair.relay), id), payload);
  EXPECT_FALSE(pair.relay.failed());
}

}  // namespace
}  // namespace helpline::wire
