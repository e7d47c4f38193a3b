#include "common/tls/tls_policy.h"

#include <gtest/gtest.h>

#include "tests/unit/common/tls/tls_test_fixture.h"

namespace helpline::tls {
namespace {

using testing::ok;
using testing::pki;

TEST(TlsPolicy, ContextsAllowTls13Only) {
  const SslCtxPtr server = testing::server_context();
  const SslCtxPtr client = testing::client_context(true, false, nullptr);
  for (SSL_CTX* ctx : {server.get(), client.get()}) {
    EXPECT_EQ(SSL_CTX_get_min_proto_version(ctx), TLS1_3_VERSION);
    EXPECT_EQ(SSL_CTX_get_max_proto_version(ctx), TLS1_3_VERSION);
    EXPECT_NE(SSL_CTX_get_verify_mode(ctx) & SSL_VERIFY_PEER, 0);
  }
}

TEST(TlsPolicy, ServerIssuesNoSessionTickets) {
  const SslCtxPtr server = testing::server_context();
  EXPECT_EQ(SSL_CTX_get_num_tickets(server.get()), 0U);
  EXPECT_NE(SSL_CTX_get_options(server.get()) & SSL_OP_NO_TICKET, 0U);
}

TEST(TlsPolicy, ClientCertModeSetsVerifyFlags) {
  const SslCtxPtr required = testing::server_context(ClientCertMode::kRequired);
  EXPECT_EQ(SSL_CTX_get_verify_mode(required.get()),
            SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT);
  const SslCtxPtr optional = testing::server_context(ClientCertMode::kOptional);
  EXPECT_EQ(SSL_CTX_get_verify_mode(optional.get()), SSL_VERIFY_PEER);
  const SslCtxPtr not_asked = testing::server_context(ClientCertMode::kNotAsked);
  EXPECT_EQ(SSL_CTX_get_verify_mode(not_asked.get()), SSL_VERIFY_NONE);
}

TEST(TlsPolicy, ReleaseBuffersWhenIdleSetsTheMode) {
  const SslCtxPtr ctx = testing::server_context();
  EXPECT_EQ(SSL_CTX_get_mode(ctx.get()) & SSL_MODE_RELEASE_BUFFERS, 0U);
  release_buffers_when_idle(ctx.get());
  EXPECT_NE(SSL_CTX_get_mode(ctx.get()) & SSL_MODE_RELEASE_BUFFERS, 0U);
}

TEST(TlsPolicy, ClientContextNeedsAnchorOrPin) {
  auto ctx = make_client_context(ClientConfig{});
  ASSERT_FALSE(ctx);
  EXPECT_EQ(ctx.error().code, "tls_config");
  EXPECT_NE(ctx.error().message.find("neither ca_pem nor ca_pin"), std::string::npos);
}

TEST(TlsPolicy, ClientContextRefusesMalformedPin) {
  auto ctx = make_client_context(ClientConfig{"", "SHA256:1234", nullptr});
  ASSERT_FALSE(ctx);
  EXPECT_EQ(ctx.error().code, "tls_config");
  EXPECT_NE(ctx.error().message.find("SHA256:<64 hex digits>"), std::string::npos);
}

TEST(TlsPolicy, ClientContextRefusesAnchorThatDoesNotMatchPin) {
  ClientConfig config{pki().other_ca_pem, fingerprint(pki().ca_cert.get()), nullptr};
  auto ctx = make_client_context(config);
  ASSERT_FALSE(ctx);
  EXPECT_EQ(ctx.error().code, "tls_config");
  EXPECT_NE(ctx.error().message.find("does not match the pin"), std::string::npos);
}

TEST(TlsPolicy, ClientContextRefusesBadAnchorPem) {
  auto ctx = make_client_context(ClientConfig{"not pem", "", nullptr});
  ASSERT_FALSE(ctx);
  EXPECT_EQ(ctx.error().code, "tls_config");
  EXPECT_NE(ctx.error().message.find("CA certificate"), std::string::npos);
}

TEST(TlsPolicy, ServerContextRefusesKeyThatDoesNotMatchCertificate) {
  ServerConfig config{pki().server, pki().ca_pem, ClientCertMode::kRequired};
  config.identity.private_key_pem = pki().client.private_key_pem;
  auto ctx = make_server_context(config);
  ASSERT_FALSE(ctx);
  EXPECT_EQ(ctx.error().code, "tls_config");
  EXPECT_NE(ctx.error().message.find("does not match"), std::string::npos);
}

TEST(TlsPolicy, ServerContextNamesTheBrokenPart) {
  ServerConfig bad_chain{Identity{"x", pki().server.private_key_pem}, pki().ca_pem};
  auto chain = make_server_context(bad_chain);
  ASSERT_FALSE(chain);
  EXPECT_NE(chain.error().message.find("certificate chain"), std::string::npos);

  ServerConfig bad_key{Identity{pki().server.certificate_chain_pem, "x"}, pki().ca_pem};
  auto key = make_server_context(bad_key);
  ASSERT_FALSE(key);
  EXPECT_NE(key.error().message.find("private key"), std::string::npos);

  ServerConfig no_ca{pki().server, ""};
  auto ca = make_server_context(no_ca);
  ASSERT_FALSE(ca);
  EXPECT_NE(ca.error().message.find("client_ca_pem"), std::string::npos);
  EXPECT_EQ(openssl_errors(), "");
}

TEST(TlsPolicy, SetExpectedHostRefusesJunk) {
  const SslCtxPtr ctx = testing::client_context(true, false, nullptr);
  const SslPtr ssl(SSL_new(ctx.get()));
  for (const std::string& bad :
       {std::string(), std::string("bad host"), std::string("a..b"), std::string("host\0name", 9),
        std::string("x/y"), std::string("[")}) {
    auto result = set_expected_host(ssl.get(), bad);
    ASSERT_FALSE(result) << bad;
    EXPECT_EQ(result.error().code, "tls_config");
  }
}

TEST(TlsPolicy, SetExpectedHostSendsSniForNamesOnly) {
  const SslCtxPtr ctx = testing::client_context(true, false, nullptr);
  const SslPtr named(SSL_new(ctx.get()));
  ASSERT_TRUE(set_expected_host(named.get(), "relay.example.org"));
  EXPECT_STREQ(SSL_get_servername(named.get(), TLSEXT_NAMETYPE_host_name), "relay.example.org");
  const SslPtr address(SSL_new(ctx.get()));
  ASSERT_TRUE(set_expected_host(address.get(), "[::1]"));
  EXPECT_EQ(SSL_get_servername(address.get(), TLSEXT_NAMETYPE_host_name), nullptr);
}

TEST(TlsPolicy, NothingToReportBeforeAHandshake) {
  const SslCtxPtr ctx = testing::client_context(true, false, nullptr);
  const SslPtr ssl(SSL_new(ctx.get()));
  EXPECT_EQ(verify_failure_reason(ssl.get()), "");
  EXPECT_EQ(peer_common_name(ssl.get()), "");
  EXPECT_EQ(verify_failure_reason(nullptr), "");
}

}  // namespace
}  // namespace helpline::tls
