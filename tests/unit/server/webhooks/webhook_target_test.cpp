// What a webhook target may be, the signature receivers check, the backoff.
#include "server/webhooks/webhook_target.h"

#include <gmock/gmock.h>

#include <filesystem>
#include <fstream>

namespace helpline::relay::webhooks {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

TEST(WebhookUrl, ParsesSchemeHostPortAndTarget) {
  auto url = parse_url("https://glpi.example.org/api/hook?x=1");
  ASSERT_TRUE(url) << url.error().to_string();
  EXPECT_TRUE(url->tls);
  EXPECT_EQ(url->host, "glpi.example.org");
  EXPECT_EQ(url->port, 443);
  EXPECT_EQ(url->target, "/api/hook?x=1");
  EXPECT_EQ(url->host_header(), "glpi.example.org");
  url = parse_url("http://127.0.0.1:8080");
  ASSERT_TRUE(url);
  EXPECT_FALSE(url->tls);
  EXPECT_EQ(url->port, 8080);
  EXPECT_EQ(url->target, "/");
  EXPECT_EQ(url->host_header(), "127.0.0.1:8080");
  url = parse_url("http://[::1]:9000/h");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->host_header(), "[::1]:9000");
  EXPECT_EQ(parse_url("http://h?q")->target, "/?q");
}

TEST(WebhookUrl, RefusesWhatIsNotAPlainHttpUrl) {
  for (const char* bad : {"ftp://h/", "glpi.example.org/hook", "https://", "https://:443/",
                          "https://user:pw@h/", "https://h:0/", "https://h:70000/", "https://h/a b",
                          "https://h/#frag", "https://[::1/", "https://h:x/"}) {
    auto refused = parse_url(bad);
    ASSERT_FALSE(refused) << bad;
    EXPECT_THAT(refused.error().message, HasSubstr("url:")) << bad;
  }
  EXPECT_FALSE(parse_url("https://h/" + std::string(2100, 'a')));
}

TEST(WebhookTarget, ChecksEveryFieldNamingIt) {
  Target good{"glpi", "https://glpi.example.org/hook", "0123456789abcdef", {"ticket.created"}, ""};
  EXPECT_TRUE(check_target(good));
  struct Case {
    void (*change)(Target&);
    const char* field;
  };
  for (const Case& c : std::vector<Case>{
           {[](Target& t) { t.id = "GLPI"; }, "id:"},
           {[](Target& t) { t.id = ""; }, "id:"},
           {[](Target& t) { t.url = "glpi"; }, "url:"},
           {[](Target& t) { t.secret = "short"; }, "secret:"},
           {[](Target& t) { t.secret = "0123456789abcdef with space"; }, "secret:"},
           {[](Target& t) { t.events = {"ticket.deleted"}; }, "events[0]:"},
           {[](Target& t) { t.ca_file = "relative.pem"; }, "ca_file:"},
           {[](Target& t) { t.ca_file = "/nonexistent/ca.pem"; }, "ca_file:"},
           {[](Target& t) {
              t.url = "http://h/";
              t.ca_file = "/etc/hostname";
            },
            "ca_file:"},
       }) {
    Target t = good;
    c.change(t);
    auto refused = check_target(t, "webhooks.target[2].");
    ASSERT_FALSE(refused) << c.field;
    EXPECT_EQ(refused.error().code, "bad_value");
    EXPECT_THAT(refused.error().message, HasSubstr(std::string("webhooks.target[2].") + c.field));
  }
}

TEST(WebhookSignature, IsHmacSha256OverTimestampDotBody) {
  // printf '1700000000.{}' | openssl dgst -sha256 -hmac key
  EXPECT_EQ(signature("key", "1700000000", "{}"),
            "sha256=9d713ed406bb7076d4123f0dc2c39d2df5c654ed4b0cd56b52c8b4c940bd63ae");
  const std::string sig = signature("key", "1700000000", "{\"a\":1}");
  EXPECT_NE(sig, signature("key", "1700000001", "{\"a\":1}")) << "the timestamp is signed";
  EXPECT_NE(sig, signature("key", "1700000000", "{\"a\":2}"));
  EXPECT_NE(sig, signature("kex", "1700000000", "{\"a\":1}"));
}

TEST(WebhookBackoff, DoublesFromTheBaseUpToTheCap) {
  Settings s;
  s.retry_base = 10s;
  s.retry_max = 60s;
  EXPECT_EQ(retry_delay(s, 1), 10s);
  EXPECT_EQ(retry_delay(s, 2), 20s);
  EXPECT_EQ(retry_delay(s, 3), 40s);
  EXPECT_EQ(retry_delay(s, 4), 60s);
  EXPECT_EQ(retry_delay(s, 1000), 60s);
}

TEST(WebhookSecret, GeneratedSecretsPassTheCheck) {
  Target t{"x", "http://h/", generate_secret(), {}, ""};
  EXPECT_TRUE(check_target(t));
  EXPECT_NE(t.secret, generate_secret());
}

}  // namespace
}  // namespace helpline::relay::webhooks
