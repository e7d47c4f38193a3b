// What a faulty or hostile peer gets: stream faults reset one channel, link
// faults end the link with a Goodbye naming the error.
#include <gtest/gtest.h>

#include "common/wire/multiplexer.h"
#include "tests/unit/common/wire/wire_test_support.h"

namespace helpline::wire {
namespace {

using Kind = MuxEvent::Kind;
using test::bytes_of;
using test::drain_events;
using test::feed;
using test::take_frames;

Multiplexer relay_with(std::size_t max_channels = 256, std::size_t max_control_queue = 4096) {
  MuxConfig config = test::config_for(Role::kRelay);
  config.max_channels = max_channels;
  config.max_control_queue = max_control_queue;
  return Multiplexer(config);
}

// The link failed with `code`: receive said so, the only output is a
// Goodbye carrying it, and further input is refused.
void expect_link_failed(Multiplexer& mux, const Result<void>& result, const std::string& code) {
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, code);
  EXPECT_TRUE(mux.failed());
  auto frames = take_frames(mux);
  ASSERT_FALSE(frames.empty());
  const v1::Frame& last = frames.back();
  ASSERT_TRUE(last.has_goodbye());
  EXPECT_EQ(last.goodbye().error().code(), code);
  EXPECT_FALSE(last.goodbye().error().message().empty());
  auto again = mux.receive(bytes_of(test::encode({test::heartbeat_frame(1)})));
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, "closed");
  EXPECT_FALSE(mux.wants_write());
}

// The frames queued for the peer that reset `id`, with their reasons.
std::vector<std::string> resets_for(std::vector<v1::Frame> frames, std::uint32_t id) {
  std::vector<std::string> reasons;
  for (const auto& f : frames) {
    if (f.has_reset() && f.channel() == id) reasons.push_back(f.reset().reason());
  }
  return reasons;
}

TEST(MultiplexerFaults, WindowViolationResetsOnlyThatChannel) {
  Multiplexer relay = relay_with();
  ASSERT_TRUE(feed(relay, {test::open_frame(1, "a", 1024), test::open_frame(3, "b", 1024)}));
  (void)drain_events(relay);
  const std::string too_much(256u * 1024 + 1, 'v');
  ASSERT_TRUE(feed(relay, {test::data_frame(1, too_much), test::data_frame(3, "fine")}));
  auto events = drain_events(relay);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, Kind::kChannelReset);
  EXPECT_EQ(events[0].channel, 1u);
  EXPECT_EQ(events[0].reason, "window_violation");
  EXPECT_EQ(events[1].data, "fine");
  EXPECT_FALSE(relay.is_open(1));
  EXPECT_TRUE(relay.is_open(3));
  EXPECT_FALSE(relay.failed());
  EXPECT_EQ(resets_for(take_frames(relay), 1), std::vector<std::string>{"window_violation"});
}

TEST(MultiplexerFaults, UnknownChannelIsResetOnceAndNeverCrashes) {
  Multiplexer relay = relay_with();
  ASSERT_TRUE(
      feed(relay, {test::data_frame(5, "x"), test::data_frame(5, "y"), test::window_frame(7, 10),
                   test::close_frame(9), test::reset_frame(11, "whatever")}));
  EXPECT_TRUE(drain_events(relay).empty());
  auto frames = take_frames(relay);
  EXPECT_EQ(resets_for(frames, 5), std::vector<std::string>{"unknown_channel"});
  EXPECT_EQ(resets_for(frames, 7), std::vector<std::string>{"unknown_channel"});
  EXPECT_EQ(resets_for(frames, 9), std::vector<std::string>{"unknown_channel"});
  EXPECT_TRUE(resets_for(frames, 11).empty());  // a reset is never answered
  EXPECT_FALSE(relay.failed());
}

TEST(MultiplexerFaults, RecentlyClosedIdsAreIgnored) {
  Multiplexer relay = relay_with();
  ASSERT_TRUE(feed(relay, {test::open_frame(1, "shell", 1024)}));
  (void)drain_events(relay);
  relay.reset_channel(1, "cancelled");
  EXPECT_EQ(resets_for(take_frames(relay), 1), std::vector<std::string>{"cancelled"});
  // Frames the peer sent before it saw the reset.
  ASSERT_TRUE(
      feed(relay, {test::data_frame(1, "late"), test::window_frame(1, 5), test::close_frame(1)}));
  EXPECT_TRUE(drain_events(relay).empty());
  EXPECT_TRUE(take_frames(relay).empty());
  EXPECT_EQ(relay.write(1, bytes_of(std::string("x"))).error().code, "channel_state");
  EXPECT_EQ(relay.write(99, bytes_of(std::string("x"))).error().code, "unknown_channel");
}

TEST(MultiplexerFaults, PeerResetReachesTheApplication) {
  test::MuxPair pair;
  auto id = pair.agent.open_channel("shell").value();
  pair.pump();
  pair.relay.reset_channel(id, "technician left");
  pair.pump();
  auto events = drain_events(pair.agent);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::kChannelReset);
  EXPECT_EQ(events[0].reason, "technician left");
  EXPECT_FALSE(pair.agent.is_open(id));
  EXPECT_EQ(pair.agent.write(id, bytes_of(std::string("x"))).error().code, "channel_state");
}

TEST(MultiplexerFaults, DataAfterPeerCloseResetsTheChannel) {
  Multiplexer relay = relay_with();
  ASSERT_TRUE(feed(relay, {test::open_frame(1, "a", 1024), test::close_frame(1),
                           test::data_frame(1, "after close")}));
  auto events = drain_events(relay);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[2].kind, Kind::kChannelReset);
  EXPECT_EQ(events[2].reason, "channel_state");
}

TEST(MultiplexerFaults, WindowAbove32BitsResetsTheChannel) {
  Multiplexer relay = relay_with();
  ASSERT_TRUE(feed(relay, {test::open_frame(1, "a", 0xffffff00u), test::window_frame(1, 0x100)}));
  auto events = drain_events(relay);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].reason, "window_violation");
}

TEST(MultiplexerFaults, LocalOpenBeyondChannelLimitFails) {
  MuxConfig config = test::config_for(Role::kAgent);
  config.max_channels = 2;
  Multiplexer agent(config);
  ASSERT_TRUE(agent.open_channel("a").has_value());
  ASSERT_TRUE(agent.open_channel("b").has_value());
  auto r = agent.open_channel("c");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "channel_limit");
}

TEST(MultiplexerFaults, PeerOpenBeyondChannelLimitIsRefusedWithAReset) {
  Multiplexer relay = relay_with(1);
  ASSERT_TRUE(feed(relay, {test::open_frame(1, "a", 1024), test::open_frame(3, "b", 1024),
                           test::data_frame(3, "ignored")}));
  auto events = drain_events(relay);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].channel, 1u);
  EXPECT_EQ(resets_for(take_frames(relay), 3), std::vector<std::string>{"channel_limit"});
  EXPECT_FALSE(relay.failed());
}

TEST(MultiplexerFaults, OpenWithOurParityFailsTheLink) {
  Multiplexer relay = relay_with();
  expect_link_failed(relay, feed(relay, {test::open_frame(2, "a", 1024)}), "channel_state");
}

TEST(MultiplexerFaults, OpenOfAnIdInUseFailsTheLink) {
  Multiplexer relay = relay_with();
  expect_link_failed(relay,
                     feed(relay, {test::open_frame(1, "a", 1024), test::open_frame(1, "a", 1024)}),
                     "channel_state");
}

TEST(MultiplexerFaults, ControlBodyOnAStreamChannelFailsTheLink) {
  Multiplexer relay = relay_with();
  expect_link_failed(relay, feed(relay, {test::heartbeat_frame(1, 3)}), "unexpected_frame");
}

TEST(MultiplexerFaults, StreamBodyOnChannelZeroFailsTheLink) {
  Multiplexer relay = relay_with();
  expect_link_failed(relay, feed(relay, {test::data_frame(0, "x")}), "unexpected_frame");
}

TEST(MultiplexerFaults, MalformedBytesFailTheLink) {
  Multiplexer relay = relay_with();
  const std::string garbage("\x00\x00\x00\x03\xff\xff\xff", 7);
  expect_link_failed(relay, relay.receive(bytes_of(garbage)), "malformed_frame");
}

TEST(MultiplexerFaults, OversizedFrameFailsTheLink) {
  Multiplexer relay = relay_with();
  const std::string prefix("\x7f\x00\x00\x00", 4);
  expect_link_failed(relay, relay.receive(bytes_of(prefix)), "frame_too_large");
}

TEST(MultiplexerFaults, PeerThatProvokesRepliesButNeverReadsFailsTheLink) {
  Multiplexer relay = relay_with(256, 4);
  std::vector<v1::Frame> frames;
  for (std::uint32_t id = 101; id < 121; id += 2) frames.push_back(test::data_frame(id, "x"));
  expect_link_failed(relay, feed(relay, frames), "buffer_limit");
}

TEST(MultiplexerFaults, UnpolledEventsAreBounded) {
  Multiplexer relay = relay_with(256, 2);
  std::vector<v1::Frame> frames;
  for (std::uint64_t seq = 0; seq < 9; ++seq) frames.push_back(test::heartbeat_frame(seq));
  auto r = feed(relay, frames);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "buffer_limit");
  EXPECT_EQ(drain_events(relay).size(), 8u);  // what came before stays pollable
}

TEST(MultiplexerFaults, SendControlRefusesWhatItCannotSend) {
  MuxConfig config = test::config_for(Role::kAgent);
  config.max_control_queue = 1;
  Multiplexer agent(config);
  EXPECT_EQ(agent.send_control(v1::Frame{}).error().code, "malformed_frame");
  EXPECT_EQ(agent.send_control(test::data_frame(1, "x")).error().code, "unexpected_frame");
  v1::Frame huge;
  huge.mutable_request()->mutable_ping()->set_payload(std::string(2u << 20, 'h'));
  EXPECT_EQ(agent.send_control(huge).error().code, "frame_too_large");
  ASSERT_TRUE(agent.send_control(test::heartbeat_frame(1)).has_value());
  EXPECT_EQ(agent.send_control(test::heartbeat_frame(2)).error().code, "buffer_limit");
  EXPECT_FALSE(agent.failed());
}

TEST(MultiplexerFaults, GoodbyeAfterLinkErrorFollowsQueuedControlFrames) {
  test::MuxPair pair;
  ASSERT_TRUE(pair.relay.send_control(test::heartbeat_frame(5)).has_value());
  auto r = feed(pair.relay, {test::heartbeat_frame(1, 7)});
  ASSERT_FALSE(r.has_value());
  auto frames = take_frames(pair.relay);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_TRUE(frames[0].has_heartbeat());
  EXPECT_EQ(frames[1].goodbye().reason(), "protocol_error");
  EXPECT_EQ(frames[1].goodbye().error().code(), "unexpected_frame");
  // The agent learns why.
  ASSERT_TRUE(feed(pair.agent, frames).has_value());
  auto events = drain_events(pair.agent);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].control.goodbye().error().code(), "unexpected_frame");
}

}  // namespace
}  // namespace helpline::wire
