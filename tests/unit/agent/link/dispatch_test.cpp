#include "agent/link/dispatch.h"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

namespace helpline::agent {
namespace {

std::vector<v1::Response> dispatch(const RequestDispatcher& dispatcher,
                                   const v1::Request& request) {
  std::vector<v1::Response> replies;
  dispatcher.dispatch(request, [&](v1::Response r) { replies.push_back(std::move(r)); });
  return replies;
}

TEST(RequestDispatcher, PingIsAnsweredWithPongEchoingThePayload) {
  RequestDispatcher dispatcher;
  add_builtin_handlers(dispatcher);
  v1::Request request;
  request.set_id(42);
  request.mutable_ping()->set_payload(std::string("\x00\x01payload", 9));
  auto replies = dispatch(dispatcher, request);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].id(), 42u);
  EXPECT_FALSE(replies[0].has_error());
  ASSERT_TRUE(replies[0].has_pong());
  EXPECT_EQ(replies[0].pong().payload(), std::string("\x00\x01payload", 9));
}

TEST(RequestDispatcher, UnknownKindIsAnsweredUnsupported) {
  RequestDispatcher dispatcher;  // no handlers at all
  v1::Request request;
  request.set_id(7);
  request.mutable_ping();
  auto replies = dispatch(dispatcher, request);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].id(), 7u);
  EXPECT_EQ(replies[0].error().code(), "unsupported");
  EXPECT_NE(replies[0].error().message().find("does not handle request kind"), std::string::npos);
}

TEST(RequestDispatcher, RequestWithoutKindIsAnsweredUnsupported) {
  RequestDispatcher dispatcher;
  add_builtin_handlers(dispatcher);
  v1::Request request;
  request.set_id(8);
  auto replies = dispatch(dispatcher, request);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].id(), 8u);
  EXPECT_EQ(replies[0].error().code(), "unsupported");
}

TEST(RequestDispatcher, HandlersMayReplyLaterAndTheIdIsFilledIn) {
  RequestDispatcher dispatcher;
  Reply saved;
  dispatcher.add(v1::Request::kPing,
                 [&](const v1::Request&, Reply reply) { saved = std::move(reply); });
  v1::Request request;
  request.set_id(99);
  request.mutable_ping();
  std::vector<v1::Response> replies;
  dispatcher.dispatch(request, [&](v1::Response r) { replies.push_back(std::move(r)); });
  EXPECT_TRUE(replies.empty());
  ASSERT_TRUE(saved);
  saved(v1::Response{});  // the handler did not set the id
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].id(), 99u);
}

TEST(RequestDispatcher, LaterRegistrationReplacesEarlier) {
  RequestDispatcher dispatcher;
  add_builtin_handlers(dispatcher);
  dispatcher.add(v1::Request::kPing, [](const v1::Request& r, Reply reply) {
    reply(error_response(r.id(), "busy", "try later"));
  });
  v1::Request request;
  request.set_id(1);
  request.mutable_ping();
  auto replies = dispatch(dispatcher, request);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].error().code(), "busy");
}

// Stream routing, driven through a real relay/agent multiplexer pair with
// no sockets: the relay side opens channels, bytes are moved by hand.
class ChannelRegistryTest : public ::testing::Test {
 protected:
  ChannelRegistryTest()
      : agent_(wire::MuxConfig{wire::Role::kAgent}), relay_(wire::MuxConfig{wire::Role::kRelay}) {}

  // Moves queued output both ways and routes the agent's events.
  void shuttle(ChannelRegistry& registry) {
    for (int round = 0; round < 32; ++round) {
      bool moved = move(relay_, agent_) | move(agent_, relay_);
      while (auto event = agent_.poll_event()) registry.route(*event, agent_);
      while (auto event = relay_.poll_event()) relay_events_.push_back(std::move(*event));
      if (!moved && !agent_.wants_write() && !relay_.wants_write()) return;
    }
    FAIL() << "multiplexers still talking after 32 rounds";
  }

  static bool move(wire::Multiplexer& from, wire::Multiplexer& to) {
    auto out = from.pending_output();
    if (out.empty()) return false;
    std::vector<std::uint8_t> bytes(out.begin(), out.end());
    from.consume_output(bytes.size());
    EXPECT_TRUE(to.receive(bytes).has_value());
    return true;
  }

  std::optional<wire::MuxEvent> relay_event(wire::MuxEvent::Kind kind) {
    for (auto& event : relay_events_) {
      if (event.kind == kind) return event;
    }
    return std::nullopt;
  }

  wire::Multiplexer agent_;
  wire::Multiplexer relay_;
  std::vector<wire::MuxEvent> relay_events_;
};

TEST_F(ChannelRegistryTest, UnknownKindIsResetAsUnsupported) {
  ChannelRegistry registry;
  auto channel = relay_.open_channel("shell");
  ASSERT_TRUE(channel.has_value());
  shuttle(registry);
  auto reset = relay_event(wire::MuxEvent::Kind::kChannelReset);
  ASSERT_TRUE(reset.has_value());
  EXPECT_EQ(reset->channel, *channel);
  EXPECT_EQ(reset->reason, kUnsupportedChannelKind);
  EXPECT_EQ(registry.active(), 0u);
}

// Echoes what it receives and records what happens to it.
struct EchoHandler : ChannelHandler {
  EchoHandler(ChannelStream stream, std::vector<std::string>* log)
      : stream_(std::move(stream)), log_(log) {}
  void on_data(std::string_view data) override {
    log_->push_back("data:" + std::string(data));
    auto written = stream_.write({reinterpret_cast<const std::uint8_t*>(data.data()), data.size()});
    EXPECT_TRUE(written.has_value());
    stream_.consume(data.size());
  }
  void on_peer_closed() override { log_->push_back("closed"); }
  void on_reset(std::string_view reason) override {
    log_->push_back("reset:" + std::string(reason));
  }
  ChannelStream stream_;
  std::vector<std::string>* log_;
};

TEST_F(ChannelRegistryTest, RegisteredKindGetsItsHandlerUntilTheLinkDrops) {
  std::vector<std::string> log;
  ChannelRegistry registry;
  std::optional<ChannelOpenInfo> opened;
  registry.add("echo", [&](const ChannelOpenInfo& info, ChannelStream stream) {
    opened = info;
    return std::make_unique<EchoHandler>(std::move(stream), &log);
  });
  auto channel = relay_.open_channel("echo", "meta", 5);
  ASSERT_TRUE(channel.has_value());
  const std::string hello = "hello";
  ASSERT_EQ(
      relay_.write(*channel, {reinterpret_cast<const std::uint8_t*>(hello.data()), hello.size()})
          .value(),
      hello.size());
  shuttle(registry);
  ASSERT_TRUE(opened.has_value());
  EXPECT_EQ(opened->kind, "echo");
  EXPECT_EQ(opened->metadata, "meta");
  EXPECT_EQ(opened->request_id, 5u);
  EXPECT_EQ(registry.active(), 1u);
  auto echoed = relay_event(wire::MuxEvent::Kind::kChannelData);
  ASSERT_TRUE(echoed.has_value());
  EXPECT_EQ(echoed->data, "hello");

  registry.drop_all("link lost");
  EXPECT_EQ(registry.active(), 0u);
  EXPECT_EQ(log, (std::vector<std::string>{"data:hello", "reset:link lost"}));
}

TEST_F(ChannelRegistryTest, FactoryReturningNullRefusesTheStream) {
  ChannelRegistry registry;
  registry.add("file", [](const ChannelOpenInfo&, ChannelStream) {
    return std::unique_ptr<ChannelHandler>();
  });
  ASSERT_TRUE(relay_.open_channel("file").has_value());
  shuttle(registry);
  auto reset = relay_event(wire::MuxEvent::Kind::kChannelReset);
  ASSERT_TRUE(reset.has_value());
  EXPECT_EQ(reset->reason, "refused");
}

// Writes a greeting as soon as the stream is writable, then closes.
class GreetingHandler : public ChannelHandler {
 public:
  GreetingHandler(ChannelStream stream, std::vector<std::string>* log)
      : stream_(std::move(stream)), log_(log) {}
  void on_data(std::string_view data) override { stream_.consume(data.size()); }
  void on_writable() override {
    if (sent_) return;
    sent_ = true;
    const std::string text = "greetings";
    auto written = stream_.write({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
    log_->push_back("wrote:" + std::to_string(written.value_or(0)));
    (void)stream_.close();
  }
  void on_peer_closed() override { log_->push_back("peer closed"); }
  void on_reset(std::string_view reason) override { log_->push_back("reset:" + std::string(reason)); }

 private:
  ChannelStream stream_;
  std::vector<std::string>* log_;
  bool sent_ = false;
};

TEST_F(ChannelRegistryTest, AgentOpenedStreamAnswersARequestAndIsReleasedWhenBothClose) {
  ChannelRegistry registry;
  registry.set_mux([this] { return &agent_; });
  std::vector<std::string> log;
  auto opened = registry.open(registry.epoch(), "bundle", "sha256:id", 77, [&](ChannelStream s) {
    return std::make_unique<GreetingHandler>(std::move(s), &log);
  });
  ASSERT_TRUE(opened) << opened.error().to_string();
  EXPECT_EQ(registry.active(), 1u);
  EXPECT_EQ(log, (std::vector<std::string>{"wrote:9"}));  // started at once
  shuttle(registry);
  auto open = relay_event(wire::MuxEvent::Kind::kChannelOpened);
  ASSERT_TRUE(open.has_value());
  EXPECT_EQ(open->channel, *opened);
  EXPECT_EQ(open->open_kind, "bundle");
  EXPECT_EQ(open->metadata, "sha256:id");
  EXPECT_EQ(open->request_id, 77u);
  auto data = relay_event(wire::MuxEvent::Kind::kChannelData);
  ASSERT_TRUE(data.has_value());
  EXPECT_EQ(data->data, "greetings");
  ASSERT_TRUE(relay_event(wire::MuxEvent::Kind::kChannelClosed).has_value());

  ASSERT_TRUE(relay_.close_channel(*opened).has_value());
  shuttle(registry);
  EXPECT_EQ(log, (std::vector<std::string>{"wrote:9", "peer closed"}));
  EXPECT_FALSE(agent_.is_open(*opened));
  EXPECT_EQ(registry.active(), 0u);  // released, so its handler is gone
}

TEST_F(ChannelRegistryTest, OpenRefusesWithoutALinkOrOnAnotherLink) {
  ChannelRegistry registry;
  auto make = [](ChannelStream s) {
    static std::vector<std::string> log;
    return std::make_unique<GreetingHandler>(std::move(s), &log);
  };
  auto offline = registry.open(registry.epoch(), "bundle", "", 1, make);
  ASSERT_FALSE(offline);
  EXPECT_EQ(offline.error().code, "link_lost");

  registry.set_mux([this] { return &agent_; });
  std::uint64_t before = registry.epoch();
  registry.drop_all("link lost");
  EXPECT_NE(registry.epoch(), before);
  auto stale = registry.open(before, "bundle", "", 1, make);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, "link_lost");
  EXPECT_EQ(agent_.channel_count(), 0u);
}

}  // namespace
}  // namespace helpline::agent
