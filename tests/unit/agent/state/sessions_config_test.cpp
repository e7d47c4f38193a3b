// agent.toml's optional [sessions] table: the pinned consent policy and the
// limits of remote sessions; refusals name the key; rendering reads back.
#include <gtest/gtest.h>

#include "agent/state/agent_state.h"
#include "tests/unit/agent/state/config_tables.h"

namespace helpline::agent {
namespace {

using config_tables::kMinimalAgentToml;

Result<AgentConfig> parse_with(std::string_view table) {
  return config_tables::parse_with_table("sessions", table);
}

TEST(SessionsConfig, AbsentTableMeansPromptAndDefaults) {
  auto config = parse_agent_config(kMinimalAgentToml);
  ASSERT_TRUE(config) << config.error().to_string();
  EXPECT_EQ(config->sessions, SessionsConfig{});
  EXPECT_EQ(config->sessions.consent_policy, ::helpline::session::Policy::kPrompt);
  EXPECT_FALSE(config->sessions.allow_root_shell);
  EXPECT_FALSE(config->sessions.test_seat_user.has_value());
  EXPECT_EQ(render_agent_config(*config).find("[sessions]"), std::string::npos);
}

TEST(SessionsConfig, ParsesEveryKeyAndRendersThemBack) {
  auto config = parse_with(R"(consent_policy = "unattended"
allow_root_shell = true
file_roots = ["/srv/share", "/tmp"]
max_file_bytes = 1048576
forward_ports = [5900]
idle_timeout = "5m"
shell = "/bin/bash"
test_seat_user = ""
)");
  ASSERT_TRUE(config) << config.error().to_string();
  const SessionsConfig& s = config->sessions;
  EXPECT_EQ(s.consent_policy, ::helpline::session::Policy::kUnattended);
  EXPECT_TRUE(s.allow_root_shell);
  EXPECT_EQ(s.file_roots, (std::vector<std::string>{"/srv/share", "/tmp"}));
  EXPECT_EQ(s.max_file_bytes, 1048576u);
  EXPECT_EQ(s.forward_ports, (std::vector<std::uint32_t>{5900}));
  EXPECT_EQ(s.idle_timeout, std::chrono::seconds(300));
  EXPECT_EQ(s.shell, "/bin/bash");
  EXPECT_EQ(s.test_seat_user, "");
  auto again = parse_agent_config(render_agent_config(*config));
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_EQ(again->sessions, s);
}

TEST(SessionsConfig, RefusalsNameTheKey) {
  struct Case {
    const char* table;
    const char* field;
  };
  for (const Case& c : {Case{"consent_policy = \"sometimes\"\n", "sessions.consent_policy"},
                        Case{"allow_root_shell = \"yes\"\n", "sessions.allow_root_shell"},
                        Case{"file_roots = [\"relative\"]\n", "sessions.file_roots[0]"},
                        Case{"file_roots = [\"/home/../etc\"]\n", "sessions.file_roots[0]"},
                        Case{"forward_ports = [70000]\n", "sessions.forward_ports[0]"},
                        Case{"idle_timeout = \"forever\"\n", "sessions.idle_timeout"},
                        Case{"shell = \"sh\"\n", "sessions.shell"},
                        Case{"max_file_bytes = 0\n", "sessions.max_file_bytes"},
                        Case{"teleport = true\n", "sessions.teleport"}}) {
    auto config = parse_with(c.table);
    ASSERT_FALSE(config) << c.table;
    EXPECT_EQ(config.error().code, "bad_config");
    EXPECT_NE(config.error().message.find(c.field), std::string::npos)
        << c.table << " -> " << config.error().message;
  }
}

}  // namespace
}  // namespace helpline::agent
