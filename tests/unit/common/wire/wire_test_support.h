// Helpers for common/wire tests: frame builders, encoding, and a pair of
// multiplexers (agent and relay) wired back to back in memory.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/wire/wire.h"

namespace helpline::wire::test {

inline std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

inline std::string encode(const std::vector<v1::Frame>& frames,
                          std::uint32_t max = kDefaultMaxFrameSize) {
  std::string out;
  for (const auto& frame : frames) {
    auto ok = encode_frame(frame, max, out);
    EXPECT_TRUE(ok.has_value()) << ok.error().to_string();
  }
  return out;
}

// Decodes a complete byte string; fails the test on a decode error.
inline std::vector<v1::Frame> decode_all(std::span<const std::uint8_t> bytes) {
  FrameDecoder decoder;
  auto ok = decoder.receive(bytes);
  EXPECT_TRUE(ok.has_value()) << ok.error().to_string();
  EXPECT_EQ(decoder.buffered(), 0u);
  std::vector<v1::Frame> frames;
  while (auto frame = decoder.next()) frames.push_back(std::move(*frame));
  return frames;
}

inline v1::Frame open_frame(std::uint32_t id, const std::string& kind, std::uint32_t window) {
  v1::Frame f;
  f.set_channel(id);
  f.mutable_open()->set_kind(kind);
  f.mutable_open()->set_initial_window(window);
  return f;
}

inline v1::Frame data_frame(std::uint32_t id, const std::string& data) {
  v1::Frame f;
  f.set_channel(id);
  f.mutable_data()->set_data(data);
  return f;
}

inline v1::Frame window_frame(std::uint32_t id, std::uint32_t increment) {
  v1::Frame f;
  f.set_channel(id);
  f.mutable_window_update()->set_increment(increment);
  return f;
}

inline v1::Frame close_frame(std::uint32_t id) {
  v1::Frame f;
  f.set_channel(id);
  f.mutable_close();
  return f;
}

inline v1::Frame reset_frame(std::uint32_t id, const std::string& reason) {
  v1::Frame f;
  f.set_channel(id);
  f.mutable_reset()->set_reason(reason);
  return f;
}

inline v1::Frame heartbeat_frame(std::uint64_t seq, std::uint32_t channel = 0) {
  v1::Frame f;
  f.set_channel(channel);
  f.mutable_heartbeat()->set_seq(seq);
  return f;
}

inline std::vector<MuxEvent> drain_events(Multiplexer& mux) {
  std::vector<MuxEvent> events;
  while (auto event = mux.poll_event()) events.push_back(std::move(*event));
  return events;
}

// Takes (and consumes) what `mux` has to send, as decoded frames.
inline std::vector<v1::Frame> take_frames(Multiplexer& mux, std::size_t budget = 64u * 1024) {
  auto out = mux.pending_output(budget);
  auto frames = decode_all(out);
  mux.consume_output(out.size());
  return frames;
}

// Feeds frames to `mux` as the peer would send them.
inline Result<void> feed(Multiplexer& mux, const std::vector<v1::Frame>& frames) {
  const std::string bytes = encode(frames);
  return mux.receive(bytes_of(bytes));
}

inline MuxConfig config_for(Role role) {
  MuxConfig config;
  config.role = role;
  return config;
}

// Agent and relay back to back. pump() shuttles output both ways until
// neither has anything left to send (events are left for the test).
struct MuxPair {
  explicit MuxPair(MuxConfig agent_config = config_for(Role::kAgent),
                   MuxConfig relay_config = config_for(Role::kRelay))
      : agent(agent_config), relay(relay_config) {}

  // Moves one pending_output of `from` into `to`; false if nothing moved.
  static bool step(Multiplexer& from, Multiplexer& to, std::size_t budget) {
    auto out = from.pending_output(budget);
    if (out.empty()) return false;
    auto ok = to.receive(out);
    EXPECT_TRUE(ok.has_value()) << ok.error().to_string();
    from.consume_output(out.size());
    return true;
  }

  void pump(std::size_t budget = 64u * 1024) {
    for (int round = 0; round < 100000; ++round) {
      const bool a = step(agent, relay, budget);
      const bool r = step(relay, agent, budget);
      if (!a && !r) return;
    }
    ADD_FAILURE() << "pump did not settle";
  }

  Multiplexer agent;
  Multiplexer relay;
};

}  // namespace helpline::wire::test
