#include "common/tls/tls_session.h"

#include <gtest/gtest.h>

#include <ctime>
#include <vector>

#include "tests/unit/common/tls/tls_test_fixture.h"

namespace helpline::tls {
namespace {

using testing::bytes;
using testing::handshake;
using testing::ok;
using testing::pki;
using testing::PumpResult;
using State = TlsSession::State;

// A client with the device certificate against a kRequired server.
struct Connected {
  SslCtxPtr server_ctx = testing::server_context();
  SslCtxPtr client_ctx = testing::client_context(true, true, &pki().client);
  TlsSession client = ok(TlsSession::client(client_ctx.get(), "127.0.0.1"));
  TlsSession server = ok(TlsSession::server(server_ctx.get()));

  Connected() {
    const PumpResult result = handshake(client, server);
    EXPECT_FALSE(result.client_error) << result.client_error->to_string();
    EXPECT_FALSE(result.server_error) << result.server_error->to_string();
    EXPECT_EQ(client.state(), State::kOpen);
    EXPECT_EQ(server.state(), State::kOpen);
  }
};

// Handshake of a fresh client (built from `client_ctx`, expecting `host`)
// against a fresh server session.
struct Attempt {
  TlsSession client;
  TlsSession server;
  PumpResult result;
};
Attempt attempt(SSL_CTX* client_ctx, SSL_CTX* server_ctx, std::string_view host = "127.0.0.1") {
  Attempt a{ok(TlsSession::client(client_ctx, host)), ok(TlsSession::server(server_ctx)), {}};
  a.result = handshake(a.client, a.server);
  return a;
}

TEST(TlsSession, HandshakeCompletesWithTrustAnchor) {
  const SslCtxPtr server = testing::server_context();
  const SslCtxPtr client = testing::client_context(true, false, &pki().client);
  Attempt a = attempt(client.get(), server.get());
  EXPECT_FALSE(a.result.client_error);
  EXPECT_FALSE(a.result.server_error);
  EXPECT_EQ(a.client.state(), State::kOpen);
  EXPECT_EQ(a.server.state(), State::kOpen);
  EXPECT_EQ(SSL_version(a.client.native_handle()), TLS1_3_VERSION);
  EXPECT_EQ(peer_common_name(a.client.native_handle()), "relay");
}

TEST(TlsSession, HandshakeCompletesWithPinOnly) {
  const SslCtxPtr server = testing::server_context();
  const SslCtxPtr client = testing::client_context(false, true, &pki().client);
  Attempt a = attempt(client.get(), server.get());
  EXPECT_FALSE(a.result.client_error);
  EXPECT_FALSE(a.result.server_error);
  EXPECT_EQ(a.client.state(), State::kOpen);
  EXPECT_EQ(a.server.state(), State::kOpen);
  EXPECT_EQ(peer_common_name(a.client.native_handle()), "relay");
  // The chain the pin check verified is reported as the verified chain.
  STACK_OF(X509)* chain = SSL_get0_verified_chain(a.client.native_handle());
  ASSERT_NE(chain, nullptr);
  EXPECT_EQ(sk_X509_num(chain), 2);
}

TEST(TlsSession, HandshakeCompletesWithAnchorAndPin) {
  const SslCtxPtr server = testing::server_context();
  const SslCtxPtr client = testing::client_context(true, true, &pki().client);
  Attempt a = attempt(client.get(), server.get(), "localhost");
  EXPECT_FALSE(a.result.client_error);
  EXPECT_EQ(a.client.state(), State::kOpen);
  EXPECT_EQ(a.server.state(), State::kOpen);
}

TEST(TlsSession, PinMismatchFailsWithReason) {
  const SslCtxPtr server = testing::server_context();
  const SslCtxPtr client =
      ok(make_client_context(ClientConfig{"", "SHA256:" + std::string(64, '0'), &pki().client}));
  Attempt a = attempt(client.get(), server.get());
  ASSERT_TRUE(a.result.client_error);
  EXPECT_EQ(a.result.client_error->code, "tls_handshake");
  EXPECT_NE(a.result.client_error->message.find("does not match the pinned SHA256:0000"),
            std::string::npos)
      << a.result.client_error->message;
  EXPECT_NE(a.result.client_error->message.find(fingerprint(pki().ca_cert.get())),
            std::string::npos);
  EXPECT_EQ(a.client.state(), State::kFailed);
  EXPECT_NE(a.server.state(), State::kOpen);
  EXPECT_EQ(verify_failure_reason(a.client.native_handle()), a.result.client_error->message);
}

TEST(TlsSession, PinOfAnotherCaFailsEvenWhenTheChainIsValid) {
  // The server presents a chain that verifies against its own CA, but the
  // client pinned a different one.
  const SslCtxPtr server = testing::server_context();
  auto other = ok(certificates_from_pem(pki().other_ca_pem));
  const SslCtxPtr client =
      ok(make_client_context(ClientConfig{"", fingerprint(other[0].get()), &pki().client}));
  Attempt a = attempt(client.get(), server.get());
  ASSERT_TRUE(a.result.client_error);
  EXPECT_NE(a.result.client_error->message.find("does not match"), std::string::npos);
}

TEST(TlsSession, WrongHostFailsNamingTheHost) {
  const SslCtxPtr server = testing::server_context();
  for (const bool pin : {false, true}) {
    const SslCtxPtr client = testing::client_context(!pin, pin, &pki().client);
    for (const char* host : {"127.0.0.2", "relay.example.org"}) {
      Attempt a = attempt(client.get(), server.get(), host);
      ASSERT_TRUE(a.result.client_error) << host;
      EXPECT_EQ(a.result.client_error->code, "tls_handshake");
      EXPECT_EQ(a.result.client_error->message,
                std::string("server certificate is not valid for host ") + host);
      EXPECT_EQ(a.client.state(), State::kFailed);
    }
  }
}

TEST(TlsSession, ExpiredServerCertificateFailsWithReason) {
  const SslCtxPtr server = testing::server_context();
  for (const bool pin : {false, true}) {
    const SslCtxPtr client = testing::client_context(!pin, pin, &pki().client);
    // Two years from now, the one-year server certificate has expired.
    X509_VERIFY_PARAM_set_time(SSL_CTX_get0_param(client.get()),
                               std::time(nullptr) + 2L * 365 * 24 * 3600);
    Attempt a = attempt(client.get(), server.get());
    ASSERT_TRUE(a.result.client_error);
    EXPECT_NE(a.result.client_error->message.find("certificate has expired"), std::string::npos)
        << a.result.client_error->message;
  }
}

TEST(TlsSession, ServerWithUntrustedCaIsRefused) {
  const SslCtxPtr server = testing::server_context();
  const SslCtxPtr client = ok(make_client_context(ClientConfig{pki().other_ca_pem, "", nullptr}));
  Attempt a = attempt(client.get(), server.get());
  ASSERT_TRUE(a.result.client_error);
  EXPECT_NE(a.result.client_error->message.find("not issued by the trusted CA"), std::string::npos)
      << a.result.client_error->message;
}

TEST(TlsSession, RequiredClientCertRefusesClientWithoutOne) {
  const SslCtxPtr server = testing::server_context(ClientCertMode::kRequired);
  const SslCtxPtr client = testing::client_context(true, false, nullptr);
  Attempt a = attempt(client.get(), server.get());
  ASSERT_TRUE(a.result.server_error);
  EXPECT_EQ(a.result.server_error->code, "tls_handshake");
  EXPECT_EQ(a.server.state(), State::kFailed);
  // TLS 1.3: the client learns from the server's alert, after its own
  // handshake finished.
  ASSERT_TRUE(a.result.client_error);
  EXPECT_EQ(a.client.state(), State::kFailed);
}

TEST(TlsSession, OptionalClientCertAcceptsClientWithoutOne) {
  const SslCtxPtr server = testing::server_context(ClientCertMode::kOptional);
  const SslCtxPtr client = testing::client_context(false, true, nullptr);
  Attempt a = attempt(client.get(), server.get());
  EXPECT_FALSE(a.result.server_error);
  EXPECT_FALSE(a.result.client_error);
  EXPECT_EQ(a.server.state(), State::kOpen);
  EXPECT_EQ(SSL_get0_peer_certificate(a.server.native_handle()), nullptr);
  EXPECT_EQ(peer_common_name(a.server.native_handle()), "");
}

TEST(TlsSession, NotAskedModeSendsNoCertificateRequest) {
  const SslCtxPtr server =
      ok(make_server_context(ServerConfig{pki().server, "", ClientCertMode::kNotAsked}));
  const SslCtxPtr client = testing::client_context(true, false, &pki().client);
  Attempt a = attempt(client.get(), server.get());
  EXPECT_FALSE(a.result.server_error);
  EXPECT_FALSE(a.result.client_error);
  EXPECT_EQ(a.server.state(), State::kOpen);
  // The client had a certificate but was never asked for it.
  EXPECT_EQ(SSL_get0_peer_certificate(a.server.native_handle()), nullptr);
}

TEST(TlsSession, OptionalClientCertRefusesCertFromAnotherCa) {
  const SslCtxPtr server = testing::server_context(ClientCertMode::kOptional);
  const SslCtxPtr client = testing::client_context(false, true, &pki().foreign_client);
  Attempt a = attempt(client.get(), server.get());
  ASSERT_TRUE(a.result.server_error);
  EXPECT_EQ(a.result.server_error->code, "tls_handshake");
  EXPECT_NE(a.result.server_error->message.find("client certificate \"intruder\""),
            std::string::npos)
      << a.result.server_error->message;
  EXPECT_EQ(a.server.state(), State::kFailed);
}

TEST(TlsSession, ServerCertificateIsRefusedAsClientCertificate) {
  // serverAuth only: the purpose check refuses it for client authentication.
  const SslCtxPtr server = testing::server_context(ClientCertMode::kRequired);
  const SslCtxPtr client = testing::client_context(true, false, &pki().server);
  Attempt a = attempt(client.get(), server.get());
  ASSERT_TRUE(a.result.server_error);
  EXPECT_NE(a.result.server_error->message.find("extended key usage"), std::string::npos)
      << a.result.server_error->message;
}

TEST(TlsSession, ServerRefusesTls12Client) {
  const SslCtxPtr server = testing::server_context(ClientCertMode::kOptional);
  const SslCtxPtr old_client(SSL_CTX_new(TLS_client_method()));
  ASSERT_TRUE(old_client);
  ASSERT_EQ(SSL_CTX_set_max_proto_version(old_client.get(), TLS1_2_VERSION), 1);
  X509_STORE_add_cert(SSL_CTX_get_cert_store(old_client.get()), pki().ca_cert.get());
  SSL_CTX_set_verify(old_client.get(), SSL_VERIFY_PEER, nullptr);
  Attempt a = attempt(old_client.get(), server.get());
  ASSERT_TRUE(a.result.server_error);
  EXPECT_EQ(a.result.server_error->code, "tls_handshake");
  EXPECT_NE(a.result.server_error->message.find("unsupported protocol"), std::string::npos)
      << a.result.server_error->message;
  EXPECT_EQ(a.server.state(), State::kFailed);
  EXPECT_EQ(a.client.state(), State::kFailed);
}

TEST(TlsSession, DataRoundTripsBothWays) {
  Connected c;
  ASSERT_TRUE(c.client.send(bytes("hello relay")));
  PumpResult result;
  testing::pump(c.client, c.server, result);
  EXPECT_EQ(c.server.take_plaintext(), "hello relay");
  ASSERT_TRUE(c.server.send(bytes("hello agent")));
  testing::pump(c.client, c.server, result);
  EXPECT_EQ(c.client.plaintext_available(), 11U);
  EXPECT_EQ(c.client.take_plaintext(), "hello agent");
  EXPECT_EQ(c.client.plaintext_available(), 0U);
  EXPECT_FALSE(result.client_error);
  EXPECT_FALSE(result.server_error);
}

TEST(TlsSession, OneMebibyteArrivesIntactInChunks) {
  Connected c;
  std::string payload(1024 * 1024, '\0');
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>((i * 131) % 251);
  constexpr std::size_t kChunk = 20000;  // not a multiple of the record size
  for (std::size_t at = 0; at < payload.size(); at += kChunk) {
    ASSERT_TRUE(c.client.send(bytes(std::string_view(payload).substr(at, kChunk))));
  }
  // Deliver the ciphertext in odd-sized pieces too.
  std::string received;
  for (int round = 0; round < 10000 && c.client.wants_write(); ++round) {
    const auto pending = c.client.pending_output();
    const std::size_t n = std::min<std::size_t>(pending.size(), 7777);
    const std::vector<std::uint8_t> piece(pending.begin(), pending.begin() + static_cast<long>(n));
    c.client.consume_output(n);
    ASSERT_TRUE(c.server.receive(piece));
    received += c.server.take_plaintext();
  }
  EXPECT_EQ(received.size(), payload.size());
  EXPECT_TRUE(received == payload);

  ASSERT_TRUE(c.server.send(bytes(payload)));
  PumpResult result;
  testing::pump(c.client, c.server, result);
  EXPECT_TRUE(c.client.take_plaintext() == payload);
}

TEST(TlsSession, GarbageCiphertextFailsWithTlsError) {
  Connected c;
  const std::string garbage(64, '\x17');
  auto result = c.server.receive(bytes(garbage));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, "tls_error");
  EXPECT_EQ(c.server.state(), State::kFailed);
  EXPECT_FALSE(c.server.send(bytes("x")));
  EXPECT_EQ(c.server.receive(bytes("more")).error().code, "tls_state");
}

TEST(TlsSession, TamperedRecordFailsWithTlsError) {
  Connected c;
  ASSERT_TRUE(c.client.send(bytes("attack at dawn")));
  const auto pending = c.client.pending_output();
  std::vector<std::uint8_t> record(pending.begin(), pending.end());
  c.client.consume_output(record.size());
  record[record.size() / 2] ^= 0x01;
  auto result = c.server.receive(record);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, "tls_error");
  EXPECT_EQ(c.server.state(), State::kFailed);
  EXPECT_EQ(c.server.take_plaintext(), "");
}

TEST(TlsSession, TruncatedRecordWaitsThenGarbageFails) {
  Connected c;
  ASSERT_TRUE(c.client.send(bytes("partial")));
  const auto pending = c.client.pending_output();
  std::vector<std::uint8_t> record(pending.begin(), pending.end());
  c.client.consume_output(record.size());
  const std::size_t half = record.size() / 2;
  ASSERT_TRUE(c.server.receive(std::span(record).first(half)));
  EXPECT_EQ(c.server.state(), State::kOpen);
  EXPECT_EQ(c.server.plaintext_available(), 0U);
  // The rest of the record never comes; something else does.
  std::vector<std::uint8_t> junk(record.size() - half + 40, 0xAB);
  auto result = c.server.receive(junk);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, "tls_error");
  EXPECT_EQ(c.server.state(), State::kFailed);
}

TEST(TlsSession, GarbageDuringHandshakeFailsCleanly) {
  const SslCtxPtr server_ctx = testing::server_context();
  TlsSession server = ok(TlsSession::server(server_ctx.get()));
  auto result = server.receive(bytes("GET / HTTP/1.1\r\nHost: relay\r\n\r\n"));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, "tls_handshake");
  EXPECT_EQ(server.state(), State::kFailed);
}

TEST(TlsSession, ShutdownClosesThePeer) {
  Connected c;
  ASSERT_TRUE(c.client.send(bytes("bye")));
  c.client.shutdown();
  EXPECT_EQ(c.client.state(), State::kClosed);
  PumpResult result;
  testing::pump(c.client, c.server, result);
  EXPECT_FALSE(result.server_error);
  EXPECT_EQ(c.server.take_plaintext(), "bye");
  EXPECT_EQ(c.server.state(), State::kClosed);
  EXPECT_EQ(c.client.send(bytes("x")).error().code, "tls_state");
  EXPECT_EQ(c.server.send(bytes("x")).error().code, "tls_state");
}

TEST(TlsSession, ServerSeesClientCommonName) {
  Connected c;
  EXPECT_EQ(peer_common_name(c.server.native_handle()), "device-1");
  EXPECT_EQ(peer_common_name(c.client.native_handle()), "relay");
}

TEST(TlsSession, SendBeforeHandshakeIsRefused) {
  const SslCtxPtr ctx = testing::client_context(true, false, nullptr);
  TlsSession client = ok(TlsSession::client(ctx.get(), "127.0.0.1"));
  auto result = client.send(bytes("early"));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, "tls_state");
  EXPECT_EQ(client.state(), State::kHandshaking);
}

TEST(TlsSession, ClientRefusesUnusableHost) {
  const SslCtxPtr ctx = testing::client_context(true, false, nullptr);
  auto client = TlsSession::client(ctx.get(), "not a host");
  ASSERT_FALSE(client);
  EXPECT_EQ(client.error().code, "tls_config");
}

TEST(TlsSession, MovedSessionKeepsWorking) {
  Connected c;
  TlsSession moved = std::move(c.client);
  TlsSession target = ok(TlsSession::server(c.server_ctx.get()));
  target = std::move(moved);
  ASSERT_TRUE(target.send(bytes("still here")));
  PumpResult result;
  testing::pump(target, c.server, result);
  EXPECT_EQ(c.server.take_plaintext(), "still here");
}

TEST(TlsSession, ConsumeOutputInPiecesKeepsOrder) {
  Connected c;
  ASSERT_TRUE(c.client.send(bytes(std::string(50000, 'z'))));
  std::vector<std::uint8_t> all;
  for (int round = 0; round < 1000 && c.client.wants_write(); ++round) {
    const auto pending = c.client.pending_output();
    const std::size_t n = std::min<std::size_t>(pending.size(), 1000);
    all.insert(all.end(), pending.begin(), pending.begin() + static_cast<long>(n));
    c.client.consume_output(n);
  }
  c.client.consume_output(10);  // nothing left: a no-op
  ASSERT_TRUE(c.server.receive(all));
  EXPECT_EQ(c.server.take_plaintext(), std::string(50000, 'z'));
}

// Moves what `from` has pending into `to`, `piece` bytes per receive().
Result<void> deliver_in_pieces(TlsSession& from, TlsSession& to, std::size_t piece) {
  const auto pending = from.pending_output();
  const std::vector<std::uint8_t> all(pending.begin(), pending.end());
  from.consume_output(all.size());
  for (std::size_t at = 0; at < all.size(); at += piece) {
    const std::size_t n = std::min(piece, all.size() - at);
    if (auto r = to.receive(std::span(all).subspan(at, n)); !r) return r;
  }
  return {};
}

TEST(TlsSession, HandshakeAndDataSurviveOneByteReads) {
  const SslCtxPtr server_ctx = testing::server_context();
  const SslCtxPtr client_ctx = testing::client_context(true, true, &pki().client);
  TlsSession client = ok(TlsSession::client(client_ctx.get(), "127.0.0.1"));
  TlsSession server = ok(TlsSession::server(server_ctx.get()));
  ASSERT_TRUE(client.advance());
  for (int round = 0; round < 20 && (client.wants_write() || server.wants_write()); ++round) {
    ASSERT_TRUE(deliver_in_pieces(client, server, 1));
    ASSERT_TRUE(deliver_in_pieces(server, client, 1));
  }
  ASSERT_EQ(client.state(), State::kOpen);
  ASSERT_EQ(server.state(), State::kOpen);
  ASSERT_TRUE(client.send(bytes("one byte at a time")));
  ASSERT_TRUE(deliver_in_pieces(client, server, 1));
  EXPECT_EQ(server.take_plaintext(), "one byte at a time");
}

TEST(TlsSession, ClientFinishedAndFirstDataInOneReadAreBothUsed) {
  // The client's last handshake flight and its first record arrive in one
  // TCP read: the server must finish the handshake and decrypt the data.
  const SslCtxPtr server_ctx = testing::server_context();
  const SslCtxPtr client_ctx = testing::client_context(true, true, &pki().client);
  TlsSession client = ok(TlsSession::client(client_ctx.get(), "127.0.0.1"));
  TlsSession server = ok(TlsSession::server(server_ctx.get()));
  ASSERT_TRUE(client.advance());
  ASSERT_TRUE(deliver_in_pieces(client, server, 1u << 20));  // ClientHello
  ASSERT_TRUE(deliver_in_pieces(server, client, 1u << 20));  // the server's flight
  ASSERT_EQ(client.state(), State::kOpen);
  ASSERT_TRUE(client.send(bytes("hello")));                   // queued behind Finished
  ASSERT_TRUE(deliver_in_pieces(client, server, 1u << 20));
  EXPECT_EQ(server.state(), State::kOpen);
  EXPECT_EQ(server.take_plaintext(), "hello");
}

TEST(TlsSession, TakeOutputHandsOverWhatIsPending) {
  Connected c;
  ASSERT_TRUE(c.client.send(bytes("first")));
  const auto pending = c.client.pending_output();
  const std::string expected(reinterpret_cast<const char*>(pending.data()), pending.size());
  c.client.consume_output(3);
  std::string taken = c.client.take_output();
  EXPECT_EQ(taken, expected.substr(3));
  EXPECT_FALSE(c.client.wants_write());
  EXPECT_TRUE(c.client.pending_output().empty());
  EXPECT_TRUE(c.client.take_output().empty());
  // The pieces taken both ways make up the record.
  ASSERT_TRUE(c.server.receive(bytes(expected.substr(0, 3))));
  ASSERT_TRUE(c.server.receive(bytes(taken)));
  EXPECT_EQ(c.server.take_plaintext(), "first");
}

TEST(TlsSession, BytesAfterCloseNotifyAreIgnored) {
  Connected c;
  ASSERT_TRUE(c.client.send(bytes("last words")));
  c.client.shutdown();
  std::string wire = c.client.take_output();
  wire += "trailing garbage after close_notify";
  ASSERT_TRUE(c.server.receive(bytes(wire)));
  EXPECT_EQ(c.server.take_plaintext(), "last words");
  EXPECT_EQ(c.server.state(), State::kClosed);
  EXPECT_TRUE(c.server.receive(bytes("more")));
}

}  // namespace
}  // namespace helpline::tls
