#include "agent/link/proxy.h"

#include <gtest/gtest.h>

namespace helpline::agent {
namespace {

const Endpoint kRelay{"relay.corp.example", 8443};

std::span<const std::uint8_t> bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

TEST(ProxyUrl, AcceptsHttpAndBareHostPort) {
  EXPECT_EQ(parse_proxy_url("http://proxy.corp:3128").value(), (Endpoint{"proxy.corp", 3128}));
  EXPECT_EQ(parse_proxy_url("HTTP://proxy.corp:3128/").value(), (Endpoint{"proxy.corp", 3128}));
  EXPECT_EQ(parse_proxy_url("http://proxy.corp").value(), (Endpoint{"proxy.corp", 80}));
  EXPECT_EQ(parse_proxy_url("proxy.corp:8080").value(), (Endpoint{"proxy.corp", 8080}));
  EXPECT_EQ(parse_proxy_url("http://[2001:db8::1]:3128").value(), (Endpoint{"2001:db8::1", 3128}));
}

TEST(ProxyUrl, RefusesWhatItCannotDo) {
  struct Case {
    const char* url;
    const char* why;
  };
  for (const Case& c : {Case{"https://proxy:3128", "TLS to the proxy is not supported"},
                        Case{"socks5://proxy:1080", "unsupported scheme 'socks5'"},
                        Case{"http://user:pw@proxy:3128", "credentials are not supported"},
                        Case{"http://proxy:3128/path", "no path"},
                        Case{"proxy", "expected host:port"}, Case{"http://", "empty host"}}) {
    auto parsed = parse_proxy_url(c.url);
    ASSERT_FALSE(parsed.has_value()) << c.url;
    EXPECT_EQ(parsed.error().code, "bad_proxy");
    EXPECT_NE(parsed.error().message.find(c.why), std::string::npos) << parsed.error().message;
  }
}

TEST(NoProxy, MatchesExactHostsAndDomainSuffixes) {
  EXPECT_TRUE(no_proxy_matches("relay.corp.example", "relay.corp.example", 8443));
  EXPECT_TRUE(no_proxy_matches("corp.example", "relay.corp.example", 8443));
  EXPECT_TRUE(no_proxy_matches(".corp.example", "relay.corp.example", 8443));
  EXPECT_TRUE(no_proxy_matches("*.corp.example", "relay.corp.example", 8443));
  EXPECT_TRUE(no_proxy_matches("CORP.Example.", "relay.corp.example", 8443));
  EXPECT_TRUE(no_proxy_matches("localhost, 10.0.0.5 ,corp.example", "relay.corp.example", 8443));
  EXPECT_TRUE(no_proxy_matches("*", "anything", 1));
  EXPECT_TRUE(no_proxy_matches("corp.example:8443", "relay.corp.example", 8443));
  EXPECT_TRUE(no_proxy_matches("[::1]:8443", "::1", 8443));
  EXPECT_TRUE(no_proxy_matches("10.0.0.5", "10.0.0.5", 8443));
}

TEST(NoProxy, DoesNotMatchLookalikes) {
  EXPECT_FALSE(no_proxy_matches("", "relay.corp.example", 8443));
  EXPECT_FALSE(no_proxy_matches("corp.example", "relay.evilcorp.example", 8443));
  EXPECT_FALSE(no_proxy_matches("example", "relay.corp.examples", 8443));
  EXPECT_FALSE(no_proxy_matches(".corp.example", "corp.example", 8443));
  EXPECT_FALSE(no_proxy_matches("corp.example:443", "relay.corp.example", 8443));
  EXPECT_FALSE(no_proxy_matches("10.0.0.5", "10.0.0.50", 8443));
  EXPECT_FALSE(no_proxy_matches("0.0.5", "10.0.0.5", 8443));  // IPs match exactly
  EXPECT_FALSE(no_proxy_matches(".0.5", "10.0.0.5", 8443));
}

TEST(ChooseProxy, UsesTheEnvironmentUnlessNoProxyExempts) {
  ProxyEnv env{"http://proxy.corp:3128", ""};
  EXPECT_EQ(choose_proxy(env, std::nullopt, kRelay).value(),
            std::optional<Endpoint>(Endpoint{"proxy.corp", 3128}));
  env.no_proxy = "corp.example";
  EXPECT_EQ(choose_proxy(env, std::nullopt, kRelay).value(), std::nullopt);
  EXPECT_EQ(choose_proxy(ProxyEnv{}, std::nullopt, kRelay).value(), std::nullopt);
}

TEST(ChooseProxy, ConfigOverridesTheEnvironment) {
  ProxyEnv env{"http://proxy.corp:3128", "corp.example"};
  EXPECT_EQ(choose_proxy(env, std::string("http://other:8080"), kRelay).value(),
            std::optional<Endpoint>(Endpoint{"other", 8080}));
  EXPECT_EQ(choose_proxy(env, std::string("none"), kRelay).value(), std::nullopt);
}

TEST(ChooseProxy, NamesTheSourceOfABadProxy) {
  auto from_env = choose_proxy(ProxyEnv{"https://p:1", ""}, std::nullopt, kRelay);
  ASSERT_FALSE(from_env.has_value());
  EXPECT_EQ(from_env.error().message.rfind("https_proxy: ", 0), 0u);
  auto from_config = choose_proxy(ProxyEnv{}, std::string("ftp://p:1"), kRelay);
  ASSERT_FALSE(from_config.has_value());
  EXPECT_EQ(from_config.error().message.rfind("agent.toml: proxy: ", 0), 0u);
}

TEST(ConnectRequest, NamesTheTargetTwice) {
  std::string request = make_connect_request(Endpoint{"2001:db8::1", 8443});
  EXPECT_EQ(request.rfind("CONNECT [2001:db8::1]:8443 HTTP/1.1\r\nHost: [2001:db8::1]:8443\r\n", 0),
            0u);
  EXPECT_EQ(request.substr(request.size() - 4), "\r\n\r\n");
}

// Feeds `text` in pieces of `step` bytes (the last split carries the tail);
// returns the parser's final result and how many bytes it used.
struct Fed {
  Result<void> result;
  std::size_t used = 0;
};

Fed feed(ConnectResponseParser& parser, std::string_view text, std::size_t split) {
  Fed out{{}, 0};
  std::vector<std::string_view> parts = {text.substr(0, split), text.substr(split)};
  for (auto part : parts) {
    auto used = parser.put(bytes(part));
    if (!used) {
      out.result = fail(used.error());
      return out;
    }
    out.used += *used;
  }
  return out;
}

TEST(ConnectResponseParser, AcceptsTwoHundredAtEverySplit) {
  const std::string header = "HTTP/1.1 200 Connection established\r\nProxy-Agent: test\r\n\r\n";
  const std::string tunnel = "\x16\x03\x03 tls bytes";
  const std::string all = header + tunnel;
  for (std::size_t split = 0; split <= all.size(); ++split) {
    ConnectResponseParser parser;
    Fed fed = feed(parser, all, split);
    ASSERT_TRUE(fed.result.has_value()) << split << ": " << fed.result.error().to_string();
    ASSERT_TRUE(parser.done()) << split;
    EXPECT_EQ(parser.status(), 200);
    // Exactly the header was used; the tunnel bytes are left for TLS.
    EXPECT_EQ(fed.used, header.size()) << split;
  }
}

TEST(ConnectResponseParser, AcceptsOneByteAtATimeAndBareNewlines) {
  const std::string header = "HTTP/1.0 200 OK\n\n";
  ConnectResponseParser parser;
  for (std::size_t i = 0; i < header.size(); ++i) {
    ASSERT_FALSE(parser.done());
    auto used = parser.put(bytes(std::string_view(header).substr(i, 1)));
    ASSERT_TRUE(used.has_value()) << used.error().to_string();
    EXPECT_EQ(*used, 1u);
  }
  EXPECT_TRUE(parser.done());
}

TEST(ConnectResponseParser, ExplainsRefusals) {
  struct Case {
    const char* response;
    const char* code;
    const char* says;
  };
  for (const Case& c :
       {Case{"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n", "proxy_refused",
             "407 Proxy Authentication Required (proxy authentication is not supported"},
        Case{"HTTP/1.1 403 Forbidden\r\nX: y\r\n\r\n", "proxy_refused", "403 Forbidden"},
        Case{"HTTP/1.1 502\r\n\r\n", "proxy_refused", "tunnel to the relay: 502"},
        Case{"SSH-2.0-OpenSSH\r\n\r\n", "proxy_error", "not HTTP/1.x"},
        Case{"HTTP/1.1 2OO OK\r\n\r\n", "proxy_error", "bad status line"}}) {
    const std::string text = c.response;
    for (std::size_t split = 0; split <= text.size(); ++split) {
      ConnectResponseParser parser;
      Fed fed = feed(parser, text, split);
      ASSERT_FALSE(fed.result.has_value()) << c.response << " split " << split;
      EXPECT_EQ(fed.result.error().code, c.code);
      EXPECT_NE(fed.result.error().message.find(c.says), std::string::npos)
          << fed.result.error().message;
      // The error sticks.
      EXPECT_FALSE(parser.put(bytes("x")).has_value());
    }
  }
}

TEST(ConnectResponseParser, RefusesOversizedHeaders) {
  std::string header = "HTTP/1.1 200 OK\r\n";
  while (header.size() <= kMaxProxyResponseHeader) header += "X-Filler: aaaaaaaaaaaaaaaa\r\n";
  header += "\r\n";
  for (std::size_t split : {std::size_t{0}, std::size_t{100}, kMaxProxyResponseHeader}) {
    ConnectResponseParser parser;
    Fed fed = feed(parser, header, split);
    ASSERT_FALSE(fed.result.has_value()) << split;
    EXPECT_EQ(fed.result.error().code, "proxy_error");
    EXPECT_NE(fed.result.error().message.find("larger than 8192 bytes"), std::string::npos);
  }
}

TEST(ConnectResponseParser, AcceptsAHeaderOfExactlyTheLimit) {
  std::string header = "HTTP/1.1 200 OK\r\nX: ";
  header += std::string(kMaxProxyResponseHeader - header.size() - 4, 'a');
  header += "\r\n\r\n";
  ASSERT_EQ(header.size(), kMaxProxyResponseHeader);
  ConnectResponseParser parser;
  auto used = parser.put(bytes(header + "tail"));
  ASSERT_TRUE(used.has_value()) << used.error().to_string();
  EXPECT_EQ(*used, header.size());
  EXPECT_TRUE(parser.done());
}

}  // namespace
}  // namespace helpline::agent
