// agent.toml's optional [collect] table: parsing, refusals naming the key,
// and rendering that reads back the same.
#include <gtest/gtest.h>

#include "agent/state/agent_state.h"
#include "tests/unit/agent/state/config_tables.h"

namespace helpline::agent {
namespace {

using config_tables::kMinimalAgentToml;

Result<AgentConfig> parse_with(std::string_view collect_table) {
  return config_tables::parse_with_table("collect", collect_table);
}

TEST(CollectConfig, AbsentTableMeansDefaults) {
  auto config = parse_agent_config(kMinimalAgentToml);
  ASSERT_TRUE(config) << config.error().to_string();
  EXPECT_EQ(config->collect, CollectConfig{});
  EXPECT_EQ(render_agent_config(*config).find("[collect]"), std::string::npos);
}

TEST(CollectConfig, ParsesEveryKey) {
  auto config = parse_with(R"(redact_patterns = ['EMP-\d{6}', 'bindpw\s+(\S+)']
log_files = ["/var/log/app.log", "/opt/app/logs/error.log"]
max_log_entries = 2000
top_processes = 25
)");
  ASSERT_TRUE(config) << config.error().to_string();
  EXPECT_EQ(config->collect.redact_patterns,
            (std::vector<std::string>{R"(EMP-\d{6})", R"(bindpw\s+(\S+))"}));
  EXPECT_EQ(config->collect.log_files,
            (std::vector<std::string>{"/var/log/app.log", "/opt/app/logs/error.log"}));
  EXPECT_EQ(config->collect.max_log_entries, 2000u);
  EXPECT_EQ(config->collect.top_processes, 25u);
}

TEST(CollectConfig, RenderReadsBackTheSame) {
  auto config = parse_with(R"(redact_patterns = ['EMP-\d{6}', '"quoted"\t(x)']
log_files = ["/var/log/app.log"]
top_processes = 5
)");
  ASSERT_TRUE(config) << config.error().to_string();
  std::string text = render_agent_config(*config);
  auto again = parse_agent_config(text);
  ASSERT_TRUE(again) << again.error().to_string() << "\n" << text;
  EXPECT_EQ(again->collect, config->collect);
  EXPECT_FALSE(again->collect.max_log_entries.has_value());
}

TEST(CollectConfig, RejectsEachBadValueByKey) {
  const std::pair<const char*, const char*> cases[] = {
      {"redact_patterns = 'EMP'", "agent.toml: collect.redact_patterns: expected an array"},
      {"redact_patterns = ['ok', 3]", "agent.toml: collect.redact_patterns[1]: expected a string"},
      {"redact_patterns = ['']", "agent.toml: collect.redact_patterns[0]: expected 1 to 4096"},
      {"redact_patterns = ['card=([0-9]+']",
       "agent.toml: collect.redact_patterns: redact pattern custom_1"},
      {"log_files = ['var/log/x.log']",
       "agent.toml: collect.log_files[0]: expected an absolute path"},
      {"max_log_entries = 0", "agent.toml: collect.max_log_entries: must be between 1 and"},
      {"max_log_entries = 'many'", "agent.toml: collect.max_log_entries: expected a number"},
      {"top_processes = 100000", "agent.toml: collect.top_processes: must be between 1 and 1000"},
      {"top_procs = 3", "agent.toml: collect.top_procs: unknown key"},
  };
  for (const auto& [line, message] : cases) {
    auto config = parse_with(std::string(line) + "\n");
    ASSERT_FALSE(config) << line;
    EXPECT_EQ(config.error().code, "bad_config") << line;
    EXPECT_EQ(config.error().message.rfind(message, 0), 0u)
        << line << " -> " << config.error().message;
  }
}

TEST(CollectConfig, CollectMustBeATable) {
  auto config = parse_agent_config(kMinimalAgentToml + "collect = 3\n");
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().message, "agent.toml: collect: expected a table: [collect]");
}

}  // namespace
}  // namespace helpline::agent
