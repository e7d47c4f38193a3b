#include "agent/state/agent_state.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <map>

#include "common/core/files.h"
#include "tests/unit/agent/agent_test_support.h"

namespace helpline::agent {
namespace {

using testing::make_state;
using testing::TempDir;

unsigned mode_of(const std::filesystem::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return static_cast<unsigned>(st.st_mode & 07777);
}

// Every file in `dir` with its content, to show nothing changed.
std::map<std::string, std::string> snapshot(const std::filesystem::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    out[entry.path().filename().string()] = files::read(entry.path()).value();
  }
  return out;
}

const char* kGoodToml = R"(relay = "relay.example.com:8443"
ca_pin = "SHA256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
device_id = "dev_3f9a"
group = "lab"
enrolled_at = 2026-11-21T10:00:00Z
heartbeat = "45s"
)";

std::string with_line(std::string_view key, std::string_view line) {
  std::string out;
  std::string_view text = kGoodToml;
  while (!text.empty()) {
    auto end = text.find('\n');
    std::string_view current = text.substr(0, end);
    text.remove_prefix(end + 1);
    if (current.substr(0, key.size() + 1) == std::string(key) + " ") continue;
    out += std::string(current) + "\n";
  }
  if (!line.empty()) out += std::string(line) + "\n";
  return out;
}

TEST(AgentState, SaveThenLoadRoundTrips) {
  TempDir tmp;
  auto dir = tmp.path() / "state";
  AgentState state = make_state(dir);
  state.config.heartbeat = std::chrono::seconds(90);
  state.config.proxy = "http://proxy.corp:3128";
  ASSERT_TRUE(save_state(state).has_value());

  auto loaded = load_state(dir);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().to_string();
  EXPECT_EQ(loaded->config.relay, state.config.relay);
  EXPECT_EQ(loaded->config.ca_pin, state.config.ca_pin);
  EXPECT_EQ(loaded->config.device_id, state.config.device_id);
  EXPECT_EQ(loaded->config.group, "lab");
  EXPECT_EQ(loaded->config.enrolled_at, state.config.enrolled_at);
  EXPECT_EQ(loaded->config.heartbeat, std::chrono::seconds(90));
  EXPECT_EQ(loaded->config.proxy, std::optional<std::string>("http://proxy.corp:3128"));
  EXPECT_EQ(loaded->key_pem, state.key_pem);
  EXPECT_EQ(loaded->cert_pem, state.cert_pem);
  EXPECT_EQ(loaded->ca_pem, state.ca_pem);
}

TEST(AgentState, WritesKeyAndDirectoryPrivate) {
  TempDir tmp;
  auto dir = tmp.path() / "state";
  ASSERT_TRUE(save_state(make_state(dir)).has_value());
  EXPECT_EQ(mode_of(dir), 0700u);
  EXPECT_EQ(mode_of(dir / kKeyFile), 0600u);
  EXPECT_EQ(mode_of(dir / kConfigFile), 0600u);
  EXPECT_EQ(mode_of(dir / kCertFile), 0644u);
}

TEST(AgentState, MissingConfigSaysNotEnrolled) {
  TempDir tmp;
  auto loaded = load_state(tmp.path());
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().code, "not_enrolled");
  EXPECT_NE(loaded.error().message.find("helpline-agent enroll"), std::string::npos);
  EXPECT_FALSE(has_enrollment(tmp.path()));
}

TEST(AgentState, CorruptConfigNamesTheFieldAndChangesNothing) {
  TempDir tmp;
  auto dir = tmp.path() / "state";
  ASSERT_TRUE(save_state(make_state(dir)).has_value());
  std::string broken = with_line("relay", "relay = \"no-port-here\"");
  ASSERT_TRUE(files::write_atomic(dir / kConfigFile, broken).has_value());
  auto before = snapshot(dir);

  auto loaded = load_state(dir);
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().code, "bad_config");
  EXPECT_EQ(loaded.error().message.rfind("agent.toml: relay: ", 0), 0u) << loaded.error().message;
  EXPECT_EQ(snapshot(dir), before);
}

TEST(AgentState, TomlSyntaxErrorNamesTheLine) {
  auto parsed = parse_agent_config("relay = \"a:1\"\nca_pin = [\n");
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().message.rfind("agent.toml: line ", 0), 0u) << parsed.error().message;
}

TEST(AgentConfig, ParsesEveryField) {
  auto parsed = parse_agent_config(kGoodToml);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().to_string();
  EXPECT_EQ(parsed->relay.host, "relay.example.com");
  EXPECT_EQ(parsed->relay.port, 8443);
  EXPECT_EQ(parsed->device_id, "dev_3f9a");
  EXPECT_EQ(parsed->heartbeat, std::chrono::seconds(45));
  EXPECT_EQ(format_rfc3339(parsed->enrolled_at), "2026-11-21T10:00:00Z");
  EXPECT_FALSE(parsed->proxy.has_value());
}

TEST(AgentConfig, RejectsEachBadFieldByName) {
  struct Case {
    const char* key;
    const char* line;
    const char* expected_prefix;
  };
  const Case cases[] = {
      {"relay", "", "agent.toml: relay: missing"},
      {"relay", "relay = 8443", "agent.toml: relay: expected a string"},
      {"relay", "relay = \"host:99999\"", "agent.toml: relay: "},
      {"ca_pin", "ca_pin = \"SHA1:abcd\"", "agent.toml: ca_pin: expected SHA256:"},
      {"device_id", "device_id = \"dev 3f\"", "agent.toml: device_id: "},
      {"enrolled_at", "enrolled_at = \"yesterday\"", "agent.toml: enrolled_at: "},
      {"heartbeat", "heartbeat = \"0s\"", "agent.toml: heartbeat: "},
      {"heartbeat", "heartbeat = \"2h\"", "agent.toml: heartbeat: must be between 1s and 1h"},
      {"heartbeat", "heartbeat = true", "agent.toml: heartbeat: expected a duration"},
      {"proxy", "proxy = \"\"", "agent.toml: proxy: "},
      {"colour", "colour = \"blue\"", "agent.toml: colour: unknown key"},
  };
  for (const auto& c : cases) {
    auto parsed = parse_agent_config(with_line(c.key, c.line));
    ASSERT_FALSE(parsed.has_value()) << c.line;
    EXPECT_EQ(parsed.error().code, "bad_config");
    EXPECT_EQ(parsed.error().message.rfind(c.expected_prefix, 0), 0u)
        << c.line << " -> " << parsed.error().message;
  }
}

TEST(AgentConfig, HeartbeatMayBeSecondsAsInteger) {
  auto parsed = parse_agent_config(with_line("heartbeat", "heartbeat = 10"));
  ASSERT_TRUE(parsed.has_value()) << parsed.error().to_string();
  EXPECT_EQ(parsed->heartbeat, std::chrono::seconds(10));
}

TEST(AgentConfig, RenderEscapesStrings) {
  auto config = parse_agent_config(kGoodToml).value();
  config.group = "quote \" and \\ back";
  auto again = parse_agent_config(render_agent_config(config));
  ASSERT_TRUE(again.has_value()) << again.error().to_string();
  EXPECT_EQ(again->group, config.group);
}

TEST(AgentState, RefusesAKeyOthersCanRead) {
  TempDir tmp;
  auto dir = tmp.path() / "state";
  ASSERT_TRUE(save_state(make_state(dir)).has_value());
  ASSERT_EQ(::chmod((dir / kKeyFile).c_str(), 0644), 0);
  auto loaded = load_state(dir);
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().code, "bad_state");
  EXPECT_NE(loaded.error().message.find("key.pem: readable by group or others (mode 0644)"),
            std::string::npos)
      << loaded.error().message;
}

TEST(AgentState, RefusesFilesThatDoNotBelongTogether) {
  TempDir tmp;
  auto dir = tmp.path() / "state";
  AgentState state = make_state(dir);
  state.config.device_id = "dev_other";
  ASSERT_TRUE(save_state(state).has_value());
  auto loaded = load_state(dir);
  ASSERT_FALSE(loaded.has_value());
  EXPECT_NE(loaded.error().message.find("cert.pem: certificate is for 'dev_0123abcd'"),
            std::string::npos)
      << loaded.error().message;

  state = make_state(dir);
  state.config.ca_pin = "SHA256:" + std::string(64, 'a');
  ASSERT_TRUE(save_state(state).has_value());
  loaded = load_state(dir);
  ASSERT_FALSE(loaded.has_value());
  EXPECT_NE(loaded.error().message.find("ca.pem: fingerprint"), std::string::npos)
      << loaded.error().message;

  state = make_state(dir);
  state.key_pem = "not a key";
  ASSERT_TRUE(save_state(state).has_value());
  loaded = load_state(dir);
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().message, "key.pem: not a PEM private key");
}

TEST(Endpoint, ParsesHostPortForms) {
  EXPECT_EQ(parse_endpoint("relay.example.com:8443").value(),
            (Endpoint{"relay.example.com", 8443}));
  EXPECT_EQ(parse_endpoint("10.0.0.5:1").value(), (Endpoint{"10.0.0.5", 1}));
  auto v6 = parse_endpoint("[2001:db8::1]:8443").value();
  EXPECT_EQ(v6.host, "2001:db8::1");
  EXPECT_EQ(v6.to_string(), "[2001:db8::1]:8443");
  for (const char* bad : {"", "host", "host:", ":80", "host:0", "host:65536", "host:80x",
                          "2001:db8::1:80", "[::1]", "[::1]80", "bad host:80", "a\r\nb:80"}) {
    auto parsed = parse_endpoint(bad);
    EXPECT_FALSE(parsed.has_value()) << bad;
    if (!parsed) {
      EXPECT_EQ(parsed.error().code, "bad_endpoint");
    }
  }
}

TEST(AgentStatus, RoundTripsThroughJson) {
  AgentStatus status;
  status.connected = true;
  status.connected_since = 1'795'000'000'000;
  status.last_error = "connect_failed: \"quoted\"\nsecond line";
  status.last_error_at = 1'795'000'100'000;
  status.pid = 4242;
  status.relay = "relay.example.com:8443";
  auto parsed = parse_status(render_status(status));
  ASSERT_TRUE(parsed.has_value()) << parsed.error().to_string();
  EXPECT_TRUE(parsed->connected);
  EXPECT_EQ(parsed->connected_since, status.connected_since);
  EXPECT_EQ(parsed->last_error, status.last_error);
  EXPECT_EQ(parsed->last_error_at, status.last_error_at);
  EXPECT_EQ(parsed->pid, 4242);
  EXPECT_EQ(parsed->relay, status.relay);
}

TEST(AgentStatus, CorruptJsonIsAnErrorNamingTheFile) {
  for (const char* bad : {"", "{", "{\"connected\": maybe}", "{\"pid\": \"x\"}", "[1]",
                          "{\"connected\": true} trailing", "{\"relay\": \"unterminated}"}) {
    auto parsed = parse_status(bad);
    ASSERT_FALSE(parsed.has_value()) << bad;
    EXPECT_EQ(parsed.error().message.rfind("status.json: ", 0), 0u) << parsed.error().message;
  }
}

TEST(AgentStatus, ReadReportsAMissingFileAsNeverRan) {
  TempDir tmp;
  auto status = read_status(tmp.path());
  ASSERT_TRUE(status.has_value());
  EXPECT_FALSE(status->has_value());
}

}  // namespace
}  // namespace helpline::agent
