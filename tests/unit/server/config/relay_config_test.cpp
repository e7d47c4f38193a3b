#include "server/config/relay_config.h"

#include <gtest/gtest.h>

namespace helpline::relay {
namespace {

TEST(RelayConfig, RoundTripsThroughToml) {
  RelayConfig config;
  config.agent_listen = {"127.0.0.1", 9443};
  config.heartbeat = std::chrono::seconds(45);
  config.names = {"relay.example.org", "10.0.0.1"};
  auto parsed = parse_relay_config(config.to_toml(), "relay.toml").value();
  EXPECT_EQ(parsed.agent_listen.to_string(), "127.0.0.1:9443");
  EXPECT_EQ(parsed.heartbeat.count(), 45);
  EXPECT_EQ(parsed.names, config.names);
  EXPECT_EQ(parsed.max_frame_size, config.max_frame_size);
}

TEST(RelayConfig, ErrorsNameTheFileAndField) {
  struct Case {
    const char* text;
    const char* field;
  };
  for (auto c : {Case{"[agent]\nlisten = 'nowhere'", "agent.listen"},
                 Case{"[agent]\nheartbeat = '5 parsecs'", "agent.heartbeat"},
                 Case{"[agent]\nmax_frame_size = 12", "agent.max_frame_size"},
                 Case{"[api]\nmax_body = 'big'", "api.max_body"},
                 Case{"[tls]\nnames = 'one'", "tls.names"},
                 Case{"[agent\nlisten=", "relay.toml"}}) {
    auto parsed = parse_relay_config(c.text, "relay.toml");
    ASSERT_FALSE(parsed.has_value()) << c.text;
    EXPECT_EQ(parsed.error().code, "bad_config");
    EXPECT_NE(parsed.error().message.find(c.field), std::string::npos) << parsed.error().message;
  }
}

TEST(RelayConfig, MissingFieldsKeepDefaults) {
  auto parsed = parse_relay_config("", "relay.toml").value();
  EXPECT_EQ(parsed.agent_listen.port, 8443);
  EXPECT_EQ(parsed.api_listen.to_string(), "127.0.0.1:8444");
}

}  // namespace
}  // namespace helpline::relay
