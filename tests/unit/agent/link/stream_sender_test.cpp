// StreamSender through a real agent/relay multiplexer pair (no sockets):
// content far larger than one window and the send buffer arrives whole, in
// order, with the outcome after the last byte; a relay reset or a lost link
// ends it once with an error.
#include "agent/link/stream_sender.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <vector>

namespace helpline::agent {
namespace {

class StreamSenderTest : public ::testing::Test {
 protected:
  StreamSenderTest()
      : agent_(wire::MuxConfig{wire::Role::kAgent}), relay_(wire::MuxConfig{wire::Role::kRelay}) {
    registry_.set_mux([this] { return &agent_; });
  }

  // Moves bytes both ways until both sides are quiet; the relay consumes
  // what it receives, like the real one as it writes to disk.
  void shuttle() {
    for (int round = 0; round < 10'000; ++round) {
      bool moved = move(agent_, relay_) | move(relay_, agent_);
      while (auto event = agent_.poll_event()) registry_.route(*event, agent_);
      while (auto event = relay_.poll_event()) {
        if (event->kind == wire::MuxEvent::Kind::kChannelData) {
          received_ += event->data;
          relay_.consume(event->channel, event->data.size());
        }
        relay_events_.push_back(std::move(*event));
      }
      if (!moved && !agent_.wants_write() && !relay_.wants_write()) return;
    }
    FAIL() << "still talking after 10000 rounds";
  }

  static bool move(wire::Multiplexer& from, wire::Multiplexer& to) {
    auto out = from.pending_output();
    if (out.empty()) return false;
    std::vector<std::uint8_t> bytes(out.begin(), out.end());
    from.consume_output(bytes.size());
    EXPECT_TRUE(to.receive(bytes).has_value());
    return true;
  }

  [[nodiscard]] bool relay_saw(wire::MuxEvent::Kind kind) const {
    for (const auto& e : relay_events_) {
      if (e.kind == kind) return true;
    }
    return false;
  }

  Result<std::uint32_t> start(std::string data) {
    return registry_.open(
        registry_.epoch(), "bundle", "sha256:claimed", 9, [&](ChannelStream stream) {
          return std::make_unique<StreamSender>(
              std::move(stream), std::make_shared<const std::string>(std::move(data)),
              "bundle sha256:claimed", [this](Result<void> r) { outcomes_.push_back(std::move(r)); });
        });
  }

  wire::Multiplexer agent_;
  wire::Multiplexer relay_;
  ChannelRegistry registry_;
  std::vector<wire::MuxEvent> relay_events_;
  std::string received_;
  std::vector<Result<void>> outcomes_;
};

TEST_F(StreamSenderTest, LargeBundleArrivesWholeWithFlowControl) {
  std::string data(3u * 1024 * 1024 + 12345, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i * 131) % 251);
  auto opened = start(data);
  ASSERT_TRUE(opened) << opened.error().to_string();
  // More than the send buffer (1 MiB): not everything was accepted at once.
  EXPECT_TRUE(outcomes_.empty());
  shuttle();
  ASSERT_EQ(received_.size(), data.size());
  EXPECT_TRUE(received_ == data);
  EXPECT_TRUE(relay_saw(wire::MuxEvent::Kind::kChannelClosed));
  ASSERT_EQ(outcomes_.size(), 1u);
  EXPECT_TRUE(outcomes_[0].has_value());

  ASSERT_TRUE(relay_.close_channel(*opened).has_value());
  shuttle();
  EXPECT_EQ(registry_.active(), 0u);
  EXPECT_EQ(outcomes_.size(), 1u);
}

TEST_F(StreamSenderTest, RelayResetIsAnsweredWithAnError) {
  std::string data(2u * 1024 * 1024, 'x');
  auto opened = start(data);
  ASSERT_TRUE(opened);
  // The relay sees the open and refuses before granting any credit.
  ASSERT_TRUE(move(agent_, relay_));
  while (relay_.poll_event()) {
  }
  ASSERT_TRUE(relay_.is_open(*opened));
  relay_.reset_channel(*opened, "too_large: the bundle is larger than 10 bytes");
  shuttle();
  ASSERT_EQ(outcomes_.size(), 1u);
  ASSERT_FALSE(outcomes_[0].has_value());
  EXPECT_EQ(outcomes_[0].error().code, "stream_reset");
  EXPECT_NE(outcomes_[0].error().message.find("too_large"), std::string::npos);
  EXPECT_EQ(registry_.active(), 0u);
}

TEST_F(StreamSenderTest, LostLinkFinishesTheSenderOnce) {
  auto opened = start(std::string(4u * 1024 * 1024, 'y'));
  ASSERT_TRUE(opened);
  registry_.drop_all("link lost");
  ASSERT_EQ(outcomes_.size(), 1u);
  ASSERT_FALSE(outcomes_[0].has_value());
  EXPECT_EQ(outcomes_[0].error().code, "stream_reset");
  EXPECT_NE(outcomes_[0].error().message.find("link lost"), std::string::npos);
}

}  // namespace
}  // namespace helpline::agent
