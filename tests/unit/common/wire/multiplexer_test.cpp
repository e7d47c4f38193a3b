// Streams and control frames between an agent and a relay multiplexer.
#include "common/wire/multiplexer.h"

#include <gtest/gtest.h>

#include "tests/unit/common/wire/wire_test_support.h"

namespace helpline::wire {
namespace {

using Kind = MuxEvent::Kind;
using test::bytes_of;
using test::drain_events;
using test::MuxPair;

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return s;
}

// Collects data events of `channel`, consuming each, and notes a close.
struct Reader {
  std::uint32_t channel;
  std::string data;
  bool closed = false;
  void drain(Multiplexer& mux) {
    for (auto& event : drain_events(mux)) {
      if (event.channel != channel) continue;
      if (event.kind == Kind::kChannelData) {
        data += event.data;
        mux.consume(channel, event.data.size());
      } else if (event.kind == Kind::kChannelClosed) {
        closed = true;
      }
    }
  }
};

TEST(Multiplexer, AgentOpensOddIdsAndRelayEvenIds) {
  MuxPair pair;
  EXPECT_EQ(pair.agent.open_channel("shell").value(), 1u);
  EXPECT_EQ(pair.agent.open_channel("file").value(), 3u);
  EXPECT_EQ(pair.relay.open_channel("shell").value(), 2u);
  EXPECT_EQ(pair.relay.open_channel("file").value(), 4u);
  pair.pump();
  EXPECT_EQ(pair.agent.channel_count(), 4u);
  EXPECT_EQ(pair.relay.channel_count(), 4u);
}

TEST(Multiplexer, AgentOpensWritesAndClosesAStream) {
  MuxPair pair;
  auto id = pair.agent.open_channel("bundle", "meta", 42).value();
  const std::string hello = "hello relay";
  ASSERT_EQ(pair.agent.write(id, bytes_of(hello)).value(), hello.size());
  ASSERT_TRUE(pair.agent.close_channel(id).has_value());
  pair.pump();

  auto events = drain_events(pair.relay);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].kind, Kind::kChannelOpened);
  EXPECT_EQ(events[0].channel, id);
  EXPECT_EQ(events[0].open_kind, "bundle");
  EXPECT_EQ(events[0].metadata, "meta");
  EXPECT_EQ(events[0].request_id, 42u);
  EXPECT_EQ(events[1].kind, Kind::kChannelData);
  EXPECT_EQ(events[1].data, hello);
  EXPECT_EQ(events[2].kind, Kind::kChannelClosed);

  // Half closed: the relay may still answer, then close its side.
  const std::string reply = "thanks";
  ASSERT_EQ(pair.relay.write(id, bytes_of(reply)).value(), reply.size());
  ASSERT_TRUE(pair.relay.close_channel(id).has_value());
  pair.pump();
  auto back = drain_events(pair.agent);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].kind, Kind::kChannelData);
  EXPECT_EQ(back[0].data, reply);
  EXPECT_EQ(back[1].kind, Kind::kChannelClosed);
  EXPECT_FALSE(pair.agent.is_open(id));
  EXPECT_FALSE(pair.relay.is_open(id));
  EXPECT_FALSE(pair.agent.wants_write());
  EXPECT_FALSE(pair.relay.wants_write());
}

TEST(Multiplexer, RelayOpensAndAgentAnswersAtOnce) {
  MuxPair pair;
  auto id = pair.relay.open_channel("shell").value();
  ASSERT_TRUE(MuxPair::step(pair.relay, pair.agent, 64 * 1024));
  auto opened = drain_events(pair.agent);
  ASSERT_EQ(opened.size(), 1u);
  EXPECT_EQ(opened[0].kind, Kind::kChannelOpened);
  // The acceptor has the opener's window as credit from the open itself.
  EXPECT_EQ(pair.agent.send_credit(id), 256u * 1024);
  ASSERT_EQ(pair.agent.write(id, bytes_of(std::string("$ "))).value(), 2u);
  ASSERT_TRUE(pair.agent.close_channel(id).has_value());
  ASSERT_TRUE(pair.relay.close_channel(id).has_value());
  pair.pump();
  auto events = drain_events(pair.relay);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].data, "$ ");
  EXPECT_EQ(events[1].kind, Kind::kChannelClosed);
  EXPECT_EQ(pair.agent.channel_count(), 0u);
  EXPECT_EQ(pair.relay.channel_count(), 0u);
}

TEST(Multiplexer, OpenerWaitsForTheAcceptorsWindowUpdate) {
  MuxPair pair;
  auto id = pair.agent.open_channel("bundle").value();
  ASSERT_EQ(pair.agent.write(id, bytes_of(std::string("data"))).value(), 4u);
  EXPECT_EQ(pair.agent.send_credit(id), 0u);
  auto first = test::take_frames(pair.agent);
  ASSERT_EQ(first.size(), 1u);  // the open only: no credit yet
  EXPECT_TRUE(first[0].has_open());
  EXPECT_EQ(first[0].open().initial_window(), 256u * 1024);
  ASSERT_TRUE(test::feed(pair.relay, first).has_value());
  auto grant = test::take_frames(pair.relay);
  ASSERT_EQ(grant.size(), 1u);
  ASSERT_TRUE(grant[0].has_window_update());
  EXPECT_EQ(grant[0].window_update().increment(), 256u * 1024);
  ASSERT_TRUE(test::feed(pair.agent, grant).has_value());
  EXPECT_EQ(pair.agent.send_credit(id), 256u * 1024);
  auto data = test::take_frames(pair.agent);
  ASSERT_EQ(data.size(), 1u);
  EXPECT_EQ(data[0].data().data(), "data");
}

TEST(Multiplexer, ControlFramesReachThePeerAsEvents) {
  MuxPair pair;
  ASSERT_TRUE(pair.agent.send_control(test::heartbeat_frame(9, 7)).has_value());
  v1::Frame goodbye;
  goodbye.mutable_goodbye()->set_reason("restarting");
  ASSERT_TRUE(pair.agent.send_control(goodbye).has_value());
  pair.pump();
  auto events = drain_events(pair.relay);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, Kind::kControl);
  EXPECT_EQ(events[0].control.channel(), 0u);  // forced to channel 0
  EXPECT_EQ(events[0].control.heartbeat().seq(), 9u);
  EXPECT_EQ(events[1].kind, Kind::kControl);
  EXPECT_EQ(events[1].control.goodbye().reason(), "restarting");
}

TEST(Multiplexer, HeartbeatOvertakesAQueuedBulkTransfer) {
  MuxConfig agent_config = test::config_for(Role::kAgent);
  agent_config.max_send_buffer = 16u << 20;
  MuxPair pair(agent_config);
  auto id = pair.agent.open_channel("bundle").value();
  pair.pump();
  const std::string bulk = pattern(10u << 20);
  ASSERT_EQ(pair.agent.write(id, bytes_of(bulk)).value(), bulk.size());
  ASSERT_TRUE(MuxPair::step(pair.agent, pair.relay, 64 * 1024));  // bulk is flowing

  ASSERT_TRUE(pair.agent.send_control(test::heartbeat_frame(1)).has_value());
  auto next = test::take_frames(pair.agent);
  ASSERT_FALSE(next.empty());
  EXPECT_TRUE(next[0].has_heartbeat());
  ASSERT_TRUE(test::feed(pair.relay, next).has_value());

  Reader reader{id, {}, false};
  for (int round = 0; round < 10000 && reader.data.size() < bulk.size(); ++round) {
    reader.drain(pair.relay);
    pair.pump();
  }
  reader.drain(pair.relay);
  EXPECT_TRUE(reader.data == bulk) << "received " << reader.data.size() << " bytes";
}

TEST(Multiplexer, PendingOutputFramesAtLeastOneFrameWithinBudget) {
  MuxPair pair;
  ASSERT_TRUE(pair.agent.send_control(test::heartbeat_frame(1)).has_value());
  ASSERT_TRUE(pair.agent.send_control(test::heartbeat_frame(2)).has_value());
  EXPECT_EQ(test::take_frames(pair.agent, 1).size(), 1u);
  EXPECT_EQ(test::take_frames(pair.agent, 1).size(), 1u);
  EXPECT_TRUE(pair.agent.pending_output(1).empty());
}

TEST(Multiplexer, PartlyConsumedOutputIsKeptInOrder) {
  MuxPair pair;
  ASSERT_TRUE(pair.agent.send_control(test::heartbeat_frame(1)).has_value());
  auto out = pair.agent.pending_output();
  const std::string first(reinterpret_cast<const char*>(out.data()), out.size());
  pair.agent.consume_output(3);
  ASSERT_TRUE(pair.agent.send_control(test::heartbeat_frame(2)).has_value());
  auto rest = pair.agent.pending_output();
  const std::string all =
      first.substr(0, 3) + std::string(reinterpret_cast<const char*>(rest.data()), rest.size());
  auto frames = test::decode_all(bytes_of(all));
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].heartbeat().seq(), 1u);
  EXPECT_EQ(frames[1].heartbeat().seq(), 2u);
}

TEST(Multiplexer, ReceivesTheSameEventsWhateverTheSplit) {
  const std::string bytes =
      test::encode({test::open_frame(1, "shell", 1024), test::data_frame(1, "ls -l\n"),
                    test::heartbeat_frame(3), test::window_frame(1, 10), test::close_frame(1)});
  for (std::size_t split = 0; split <= bytes.size(); ++split) {
    Multiplexer relay(test::config_for(Role::kRelay));
    ASSERT_TRUE(relay.receive(bytes_of(bytes).first(split)).has_value());
    ASSERT_TRUE(relay.receive(bytes_of(bytes).subspan(split)).has_value());
    auto events = drain_events(relay);
    ASSERT_EQ(events.size(), 4u) << split;
    EXPECT_EQ(events[0].kind, Kind::kChannelOpened);
    EXPECT_EQ(events[1].data, "ls -l\n");
    EXPECT_EQ(events[2].kind, Kind::kControl);
    EXPECT_EQ(events[3].kind, Kind::kChannelClosed);
    EXPECT_EQ(relay.send_credit(1), 1034u);
  }
}

TEST(Multiplexer, MergesSmallDataOfAChannelButDeliversFullFramesApart) {
  const std::size_t full = MuxConfig{}.max_data_chunk;
  const std::string big_a = pattern(full);
  const std::string big_b = pattern(full).substr(1) + "!";
  Multiplexer relay(test::config_for(Role::kRelay));
  ASSERT_TRUE(relay
                  .receive(bytes_of(test::encode(
                      {test::open_frame(1, "shell", 4 * full), test::data_frame(1, "l"),
                       test::data_frame(1, "s"), test::data_frame(1, "\n"),
                       test::data_frame(1, big_a), test::data_frame(1, big_b),
                       test::data_frame(1, "x"), test::data_frame(1, "y")})))
                  .has_value());
  auto events = drain_events(relay);
  // Keystrokes become one event; each full frame is an event of its own
  // (moved, not copied into its neighbour); small data after a full frame
  // starts a new event.
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[0].kind, Kind::kChannelOpened);
  EXPECT_EQ(events[1].data, "ls\n");
  EXPECT_EQ(events[2].data, big_a);
  EXPECT_EQ(events[3].data, big_b);
  EXPECT_EQ(events[4].data, "xy");
}

TEST(Multiplexer, ShutdownQueuesGoodbyeAndRefusesInput) {
  MuxPair pair;
  auto id = pair.agent.open_channel("shell").value();
  pair.pump();
  pair.agent.shutdown("agent stopping");
  pair.agent.shutdown("twice");  // ignored
  auto frames = test::take_frames(pair.agent);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].goodbye().reason(), "agent stopping");
  EXPECT_FALSE(frames[0].goodbye().has_error());
  EXPECT_FALSE(pair.agent.is_open(id));
  auto r = pair.agent.receive(bytes_of(test::encode({test::heartbeat_frame(1)})));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "closed");
  EXPECT_EQ(pair.agent.open_channel("x").error().code, "closed");
  EXPECT_EQ(pair.agent.send_control(test::heartbeat_frame(1)).error().code, "closed");
  EXPECT_FALSE(pair.agent.failed());
}

}  // namespace
}  // namespace helpline::wire
