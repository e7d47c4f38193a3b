// agent.toml's required part, for tests of its optional tables
// ([collect], [sessions]): the smallest valid file, and that file with one
// table added.
#pragma once

#include <string>
#include <string_view>

#include "agent/state/agent_state.h"

namespace helpline::agent::config_tables {

inline const std::string kMinimalAgentToml = R"(relay = "relay.example.com:8443"
ca_pin = "SHA256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
device_id = "dev_3f9a"
enrolled_at = 2026-11-21T10:00:00Z
)";

// The minimal file with `[name]` holding `body`.
[[nodiscard]] inline Result<AgentConfig> parse_with_table(std::string_view name,
                                                          std::string_view body) {
  return parse_agent_config(kMinimalAgentToml + "\n[" + std::string(name) + "]\n" +
                            std::string(body));
}

}  // namespace helpline::agent::config_tables
