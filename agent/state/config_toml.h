// Internal to agent/state: what agent_config.cpp and collect_config.cpp
// share to read and write agent.toml. toml++ throws on syntax errors only;
// these helpers never throw.
#pragma once

#include <toml++/toml.h>

#include <string>
#include <string_view>

#include "agent/state/agent_state.h"

namespace helpline::agent::detail {

// "bad_config" with "agent.toml: <field>: <why>".
[[nodiscard]] tl::unexpected<Error> bad_field(std::string_view field, std::string_view why);

// A TOML basic string with the escapes the spec requires.
[[nodiscard]] std::string toml_string(std::string_view text);

// The [collect] table. Errors: "bad_config" naming "collect.<key>".
[[nodiscard]] Result<CollectConfig> parse_collect_table(const toml::node& node);
// "[collect]\n..." or "" when `config` holds only defaults.
[[nodiscard]] std::string render_collect_table(const CollectConfig& config);

// The [sessions] table. Errors: "bad_config" naming "sessions.<key>".
[[nodiscard]] Result<SessionsConfig> parse_sessions_table(const toml::node& node);
// "[sessions]\n..." with the keys that differ from the defaults, or "".
[[nodiscard]] std::string render_sessions_table(const SessionsConfig& config);

}  // namespace helpline::agent::detail
