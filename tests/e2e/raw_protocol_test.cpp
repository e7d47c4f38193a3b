// The relay's agent port against a hand-driven TLS client: what a link
// without a device certificate, an old TLS version, garbage and oversized
// frames get, and that only the offending link suffers.
#include <gmock/gmock.h>

#include "tests/e2e/relay_fixture.h"

namespace helpline::e2e {
namespace {

using helpline::testing::FrameRead;
using helpline::testing::json_field_bool;
using helpline::testing::TlsTestClient;

using RawProtocol = RelayFixture;

[[nodiscard]] bool has_hello_ack(const std::vector<v1::Frame>& frames) {
  for (const auto& frame : frames) {
    if (frame.has_hello_ack()) return true;
  }
  return false;
}

[[nodiscard]] const v1::Goodbye* goodbye_of(const std::vector<v1::Frame>& frames) {
  for (const auto& frame : frames) {
    if (frame.has_goodbye()) return &frame.goodbye();
  }
  return nullptr;
}

TEST_F(RawProtocol, ClientWithoutDeviceCertificateCannotTalk) {
  auto client = TlsTestClient::connect(raw_client_options());
  ASSERT_TRUE(client) << client.error().message;
  EXPECT_EQ(client->version(), TLS1_3_VERSION);

  ASSERT_TRUE(client->send_frame(hello_frame("dev_0123456789abcdef0123")));
  auto closed = client->read_until_closed(kOnlineTimeout);
  EXPECT_TRUE(closed.closed) << closed.detail;
  EXPECT_FALSE(has_hello_ack(closed.frames));
  if (const auto* goodbye = goodbye_of(closed.frames)) {
    EXPECT_EQ(goodbye->error().code(), "enrollment_required");
  }
  EXPECT_TRUE(relay_running());
}

TEST_F(RawProtocol, Tls12ClientIsRefused) {
  auto options = raw_client_options();
  options.max_version = TLS1_2_VERSION;
  auto client = TlsTestClient::connect(options);
  ASSERT_FALSE(client) << "a TLS 1.2 handshake succeeded";
  EXPECT_EQ(client.error().code, "handshake_failed") << client.error().message;

  // The same client with TLS 1.3 allowed gets through: the refusal was the
  // version, not something else.
  options.max_version = TLS1_3_VERSION;
  auto modern = TlsTestClient::connect(options);
  EXPECT_TRUE(modern) << modern.error().message;
  EXPECT_TRUE(relay_running());
}

// An idle link's heartbeat comes from the relay, on its once-a-second
// sweep, before the agent's own would be due: a client that only answers
// gets ping after ping and stays online past three intervals.
TEST_F(RawProtocol, RelaySendsTheHeartbeatOfAnIdleLink) {
  EnrolledAgent pc = enroll_agent("pc1");
  ASSERT_FALSE(pc.device_id.empty());
  auto client = TlsTestClient::connect(raw_client_options(&pc));
  ASSERT_TRUE(client) << client.error().message;
  v1::Frame hello = hello_frame(pc.device_id);
  hello.mutable_hello()->set_heartbeat_interval_ms(3000);
  ASSERT_TRUE(client->send_frame(hello));
  auto ack = next_frame(*client, [](const v1::Frame& f) { return f.has_hello_ack(); });
  ASSERT_TRUE(ack.has_value()) << "no HelloAck";
  EXPECT_EQ(ack->hello_ack().heartbeat_interval_ms(), 3000u);

  // Five pings span more than the 3 x 3 s + 2 s after which a silent link
  // is dropped: only the answers keep it.
  std::uint64_t last_seq = 0;
  for (int i = 0; i < 5; ++i) {
    auto ping = next_frame(*client, [](const v1::Frame& f) { return f.has_heartbeat(); }, 10s);
    ASSERT_TRUE(ping.has_value()) << "no Heartbeat from the relay (ping " << i + 1 << ")";
    EXPECT_GT(ping->heartbeat().seq(), last_seq);
    last_seq = ping->heartbeat().seq();
    v1::Frame answer;
    answer.mutable_heartbeat_ack()->set_seq(ping->heartbeat().seq());
    answer.mutable_heartbeat_ack()->set_sent_at_ms(ping->heartbeat().sent_at_ms());
    ASSERT_TRUE(client->send_frame(answer));
  }
  auto listed = device(pc.device_id);
  ASSERT_TRUE(listed.has_value());
  EXPECT_EQ(json_field_bool(*listed, "online"), true);
}

// Brings one agent online, then lets a raw client with a second device's
// certificate complete the hello and send `bad_bytes`. Only that link may
// close, with a Goodbye naming `expected_code`.
class BadFrames : public RelayFixture {
 protected:
  void expect_only_that_link_closes(const std::string& bad_bytes,
                                    const std::string& expected_code) {
    EnrolledAgent first = enroll_agent("pc1");
    ASSERT_FALSE(first.device_id.empty());
    ASSERT_NE(start_agent(first), nullptr);
    ASSERT_TRUE(wait_online(first.device_id, kOnlineTimeout));
    EnrolledAgent second = enroll_agent("pc2");  // enrolled, but its agent never runs
    ASSERT_FALSE(second.device_id.empty());

    auto client = TlsTestClient::connect(raw_client_options(&second));
    ASSERT_TRUE(client) << client.error().message;
    ASSERT_TRUE(client->send_frame(hello_frame(second.device_id)));
    FrameRead ack = client->read_frame(kOnlineTimeout);
    ASSERT_EQ(ack.kind, FrameRead::Kind::kFrame) << ack.detail;
    ASSERT_TRUE(ack.frame.has_hello_ack()) << "the second device's hello was not accepted";

    ASSERT_TRUE(client->send_raw(bad_bytes));
    auto closed = client->read_until_closed(kOnlineTimeout);
    EXPECT_TRUE(closed.closed) << closed.detail;
    const auto* goodbye = goodbye_of(closed.frames);
    ASSERT_NE(goodbye, nullptr) << "the link closed without a Goodbye";
    EXPECT_EQ(goodbye->error().code(), expected_code);

    EXPECT_TRUE(relay_running());
    EXPECT_TRUE(ping(first.device_id));
    auto listed = device(first.device_id);
    ASSERT_TRUE(listed.has_value());
    EXPECT_EQ(json_field_bool(*listed, "online"), true);
  }
};

TEST_F(BadFrames, GarbageFrameClosesOnlyThatLink) {
  // A length of 8, then 8 bytes that are no protobuf (an unterminated varint).
  std::string garbage("\x00\x00\x00\x08", 4);
  garbage.append(8, '\xff');
  expect_only_that_link_closes(garbage, "malformed_frame");
}

TEST_F(BadFrames, OversizedFrameClosesOnlyThatLink) {
  // The prefix alone announces 16 MiB: refused before any body is read.
  expect_only_that_link_closes(std::string("\x01\x00\x00\x00", 4), "frame_too_large");
}

}  // namespace
}  // namespace helpline::e2e
