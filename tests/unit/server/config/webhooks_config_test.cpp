// The [webhooks] part of relay.toml and helpdesk.max_attachment: defaults,
// every key read, secrets from a file, errors naming the file and the key.
#include "server/config/webhooks_config.h"

#include <gmock/gmock.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "server/config/relay_config.h"

namespace helpline::relay {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

TEST(WebhooksConfig, DefaultsWithoutATable) {
  auto config = parse_relay_config("", "relay.toml").value();
  EXPECT_TRUE(config.webhooks.targets.empty());
  EXPECT_EQ(config.webhooks.settings.max_attempts, 10);
  EXPECT_EQ(config.webhooks.settings.retry_base, 10s);
  EXPECT_EQ(config.webhooks.settings.retry_max, 3600s);
  EXPECT_EQ(config.helpdesk.max_attachment, 10u << 20);
}

TEST(WebhooksConfig, ReadsSettingsAndTargets) {
  const auto secret_file = std::filesystem::temp_directory_path() /
                           ("helpline-webhook-secret-" + std::to_string(::getpid()));
  std::ofstream(secret_file) << "from-a-file-0123456789\n";
  const std::string text = R"toml(
[helpdesk]
max_attachment = 2048

[webhooks]
max_attempts = 5
retry_base = "2s"
retry_max = "10m"
timeout = "3s"
keep = "30d"

[[webhooks.target]]
id = "glpi"
url = "https://glpi.example.org/hook"
secret = "inline-secret-0123456789"
events = ["ticket.created", "ticket.sla_breach"]

[[webhooks.target]]
id = "zammad"
url = "http://127.0.0.1:9000/"
enabled = false
secret_file = ")toml" + secret_file.string() +
                           "\"\n";
  auto config = parse_relay_config(text, "relay.toml");
  std::filesystem::remove(secret_file);
  ASSERT_TRUE(config) << config.error().to_string();
  EXPECT_EQ(config->helpdesk.max_attachment, 2048u);
  const auto& s = config->webhooks.settings;
  EXPECT_EQ(s.max_attempts, 5);
  EXPECT_EQ(s.retry_base, 2s);
  EXPECT_EQ(s.retry_max, 600s);
  EXPECT_EQ(s.timeout, 3s);
  EXPECT_EQ(s.keep, std::chrono::hours(24 * 30));
  ASSERT_EQ(config->webhooks.targets.size(), 2u);
  EXPECT_EQ(config->webhooks.targets[0].id, "glpi");
  EXPECT_THAT(config->webhooks.targets[0].events,
              ElementsAre("ticket.created", "ticket.sla_breach"));
  EXPECT_TRUE(config->webhooks.targets[0].enabled);
  EXPECT_EQ(config->webhooks.targets[1].secret, "from-a-file-0123456789") << "newline trimmed";
  EXPECT_FALSE(config->webhooks.targets[1].enabled);
}

TEST(WebhooksConfig, ErrorsNameTheFileAndTheKey) {
  struct Case {
    const char* text;
    const char* expected;
  };
  for (const Case& c : std::vector<Case>{
           {"[webhooks]\nmax_attempts = 0\n", "relay.toml: webhooks.max_attempts:"},
           {"[webhooks]\nretry_base = \"0\"\n", "webhooks.retry_base:"},
           {"[webhooks]\nretry_base = \"1h\"\nretry_max = \"1m\"\n", "webhooks.retry_max:"},
           {"[webhooks]\ncolour = 1\n", "webhooks.colour: unknown key"},
           {"[[webhooks.target]]\nid = \"a\"\nurl = \"ftp://x\"\nsecret = \"0123456789abcdef\"\n",
            "webhooks.target[0].url:"},
           {"[[webhooks.target]]\nid = \"a\"\nurl = \"http://x/\"\n", "webhooks.target[0].secret:"},
           {"[[webhooks.target]]\nid = \"a\"\nurl = \"http://x/\"\nsecret_file = "
            "\"/nonexistent\"\n",
            "webhooks.target[0].secret_file:"},
           {"[[webhooks.target]]\nid = \"a\"\nurl = \"http://x/\"\nsecret = \"0123456789abcdef\"\n"
            "events = [\"ticket.gone\"]\n",
            "webhooks.target[0].events[0]:"},
           {"[[webhooks.target]]\nid = \"a\"\nurl = \"http://x/\"\nsecret = \"0123456789abcdef\"\n"
            "[[webhooks.target]]\nid = \"a\"\nurl = \"http://y/\"\nsecret = \"0123456789abcdef\"\n",
            "webhooks.target[1].id: 'a' is used twice"},
           {"[helpdesk]\nmax_attachment = 10\n", "helpdesk.max_attachment:"},
       }) {
    auto refused = parse_relay_config(c.text, "relay.toml");
    ASSERT_FALSE(refused) << c.text;
    EXPECT_EQ(refused.error().code, "bad_config");
    EXPECT_THAT(refused.error().message, HasSubstr(c.expected)) << c.text;
  }
}

}  // namespace
}  // namespace helpline::relay
