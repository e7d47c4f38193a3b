// Store-and-forward with the real relay, agent and CLI: what a person sends
// from the workstation while the relay is down waits in the agent's spool,
// survives an agent restart, and reaches the relay exactly once after it is
// back; deliveries the relay cannot take are refused with a clear error.
#include <gmock/gmock.h>

#include "tests/e2e/relay_fixture.h"

namespace helpline::e2e {
namespace {

using helpline::testing::FrameRead;
using helpline::testing::json_field_bool;
using helpline::testing::json_field_string;
using helpline::testing::parse_json_array;
using helpline::testing::parse_json_object;
using helpline::testing::TlsTestClient;
using helpline::testing::wait_until;
using ::testing::HasSubstr;

constexpr std::chrono::milliseconds kPoll = 100ms;

class Spool : public RelayFixture {
 protected:
  // `helpline-agent spool --json`, parsed (empty on failure, recorded).
  std::optional<Struct> spool_of(const EnrolledAgent& agent) {
    RunResult shown = agent_local(agent, {"spool", "--json"});
    if (shown.exit_code != 0) {
      ADD_FAILURE() << "spool --json: " << shown.describe();
      return std::nullopt;
    }
    auto parsed = parse_json_object(shown.out);
    if (!parsed) {
      ADD_FAILURE() << parsed.error().message << ": " << shown.out;
      return std::nullopt;
    }
    return std::move(*parsed);
  }

  std::size_t spooled_items(const EnrolledAgent& agent) {
    auto spool = spool_of(agent);
    return spool ? helpline::testing::json_field_objects(*spool, "items").size() : 0;
  }

  // The bundles the relay recorded for `device`.
  std::vector<Struct> bundles_of(const std::string& device) {
    RunResult listed = cli({"diag", "list", "--device", device, "--json"});
    if (listed.exit_code != 0) {
      ADD_FAILURE() << "diag list: " << listed.describe();
      return {};
    }
    auto parsed = parse_json_array(listed.out);
    if (!parsed) {
      ADD_FAILURE() << parsed.error().message << ": " << listed.out;
      return {};
    }
    return std::move(*parsed);
  }
};

TEST_F(Spool, BundleSentWhileTheRelayIsDownArrivesOnceAfterItReturnsAcrossAnAgentRestart) {
  EnrolledAgent pc = enroll_agent("pc1");
  ASSERT_FALSE(pc.device_id.empty());
  helpline::testing::Process* agent = start_agent(pc);
  ASSERT_NE(agent, nullptr);
  ASSERT_TRUE(wait_online(pc.device_id, kOnlineTimeout));

  ASSERT_NO_FATAL_FAILURE(stop_relay());
  // The agent notices (the link closes with the relay's Goodbye).
  ASSERT_TRUE(wait_until(
      [&] {
        auto spool = spool_of(pc);
        return spool && json_field_bool(*spool, "connected") == false;
      },
      kReconnectTimeout, kPoll));

  RunResult sent =
      agent_local(pc, {"send-bundle", "--sections", "system", "--wait", "0", "--json"});
  ASSERT_EQ(sent.exit_code, 0) << sent.describe();
  auto queued = parse_json_object(sent.out);
  ASSERT_TRUE(queued) << sent.out;
  EXPECT_EQ(json_field_bool(*queued, "delivered"), false);
  const std::string item = json_field_string(*queued, "queued_id");
  ASSERT_EQ(item.size(), 32u) << sent.out;
  EXPECT_EQ(spooled_items(pc), 1u);

  // The agent stops and starts again while the relay is still down: the
  // item is on disk, not in memory.
  bool killed = false;
  EXPECT_EQ(agent->terminate(kStopGrace, &killed), 0);
  EXPECT_FALSE(killed);
  agent = start_agent(pc);
  ASSERT_NE(agent, nullptr);
  ASSERT_TRUE(wait_until([&] { return agent_local(pc, {"spool", "--json"}).exit_code == 0; },
                         kOnlineTimeout, kPoll));
  auto waiting = spool_of(pc);
  ASSERT_TRUE(waiting);
  EXPECT_THAT(waiting->DebugString(), HasSubstr(item));

  ASSERT_NO_FATAL_FAILURE(start_relay_again());
  ASSERT_TRUE(wait_online(pc.device_id, kReconnectTimeout));
  ASSERT_TRUE(wait_until([&] { return spooled_items(pc) == 0; }, kReconnectTimeout, kPoll))
      << "the spooled bundle was not delivered";
  std::vector<Struct> bundles = bundles_of(pc.device_id);
  ASSERT_EQ(bundles.size(), 1u);
  EXPECT_EQ(json_field_string(bundles[0], "device_id"), pc.device_id);
  EXPECT_FALSE(json_field_string(bundles[0], "requested_by").empty());

  // Another restart of the agent sends nothing again.
  EXPECT_EQ(agent->terminate(kStopGrace, &killed), 0);
  agent = start_agent(pc);
  ASSERT_NE(agent, nullptr);
  ASSERT_TRUE(wait_online(pc.device_id, kOnlineTimeout));
  EXPECT_EQ(spooled_items(pc), 0u);
  EXPECT_EQ(bundles_of(pc.device_id).size(), 1u);
}

TEST_F(Spool, SendBundleToATicketAttachesIt) {
  EnrolledAgent pc = enroll_agent("pc1");
  ASSERT_FALSE(pc.device_id.empty());
  ASSERT_NE(start_agent(pc), nullptr);
  ASSERT_TRUE(wait_online(pc.device_id, kOnlineTimeout));
  RunResult created = cli({"ticket", "create", "--title", "Printer jams", "--impact", "4",
                           "--urgency", "4", "--device", pc.device_id, "--json"});
  ASSERT_EQ(created.exit_code, 0) << created.describe();
  auto ticket = parse_json_object(created.out);
  ASSERT_TRUE(ticket);
  const std::string ticket_id = json_field_string(*ticket, "id");

  RunResult sent = agent_local(pc, {"send-bundle", "--sections", "system", "--ticket", ticket_id,
                                    "--wait", "30s", "--json"});
  ASSERT_EQ(sent.exit_code, 0) << sent.describe();
  auto result = parse_json_object(sent.out);
  ASSERT_TRUE(result) << sent.out;
  EXPECT_EQ(json_field_bool(*result, "delivered"), true) << sent.out;
  const std::string bundle_id = json_field_string(*result, "bundle_id");
  EXPECT_EQ(bundle_id.rfind("sha256:", 0), 0u) << sent.out;

  RunResult shown = cli({"ticket", "show", ticket_id, "--json"});
  ASSERT_EQ(shown.exit_code, 0) << shown.describe();
  EXPECT_THAT(shown.out, HasSubstr(bundle_id));
}

TEST_F(Spool, UnknownSectionIsRefusedBeforeAnythingIsQueued) {
  EnrolledAgent pc = enroll_agent("pc1");
  ASSERT_FALSE(pc.device_id.empty());
  ASSERT_NE(start_agent(pc), nullptr);
  ASSERT_TRUE(wait_online(pc.device_id, kOnlineTimeout));
  RunResult sent = agent_local(pc, {"send-bundle", "--sections", "system,nonsense"});
  EXPECT_NE(sent.exit_code, 0);
  EXPECT_THAT(sent.err, HasSubstr("nonsense"));
  EXPECT_EQ(spooled_items(pc), 0u);
}

// A device that sends malformed deliveries straight onto the tunnel gets a
// clear refusal for each, and its link stays up.
TEST_F(Spool, MalformedDeliveriesAreRefusedNamingTheField) {
  EnrolledAgent pc = enroll_agent("pc1");  // enrolled; its agent never runs
  ASSERT_FALSE(pc.device_id.empty());
  auto client = TlsTestClient::connect(raw_client_options(&pc));
  ASSERT_TRUE(client) << client.error().message;
  ASSERT_TRUE(client->send_frame(hello_frame(pc.device_id)));
  FrameRead ack = client->read_frame(kOnlineTimeout);
  ASSERT_EQ(ack.kind, FrameRead::Kind::kFrame) << ack.detail;
  ASSERT_TRUE(ack.frame.has_hello_ack());

  struct Case {
    std::string field;
    std::function<void(v1::DeliverRequest&)> spoil;
  };
  const std::string good_hash(64, 'a');
  std::vector<Case> cases{
      {"idempotency_id", [](v1::DeliverRequest& d) { d.set_idempotency_id("../../etc"); }},
      {"kind", [](v1::DeliverRequest& d) { d.set_kind("shell"); }},
      {"size", [](v1::DeliverRequest& d) { d.set_size(std::uint64_t{1} << 40); }},
      {"size", [](v1::DeliverRequest& d) { d.set_size(0); }},
      {"sha256", [](v1::DeliverRequest& d) { d.set_sha256("xyz"); }},
  };
  std::uint64_t id = 100;
  for (const Case& c : cases) {
    v1::Frame frame;
    v1::Request* request = frame.mutable_request();
    request->set_id(++id);
    v1::DeliverRequest* deliver = request->mutable_deliver();
    deliver->set_idempotency_id(std::string(32, 'f'));
    deliver->set_kind("bundle");
    deliver->set_size(100);
    deliver->set_sha256(good_hash);
    c.spoil(*deliver);
    ASSERT_TRUE(client->send_frame(frame));
    std::optional<v1::Response> answer;
    for (int frames = 0; frames < 20 && !answer; ++frames) {
      FrameRead read = client->read_frame(kCommandTimeout);
      ASSERT_EQ(read.kind, FrameRead::Kind::kFrame) << read.detail;
      if (read.frame.has_response() && read.frame.response().id() == id) {
        answer = read.frame.response();
      }
    }
    ASSERT_TRUE(answer.has_value()) << "no answer for the bad " << c.field;
    EXPECT_EQ(answer->error().code(), "bad_value") << c.field;
    EXPECT_THAT(answer->error().message(), HasSubstr(c.field));
  }
  EXPECT_TRUE(relay_running());
  EXPECT_TRUE(bundles_of(pc.device_id).empty());
}

}  // namespace
}  // namespace helpline::e2e
