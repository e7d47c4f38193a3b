// TlsSession with AfterHandshake::kOwnRecordLayer: a server whose records a
// RecordLayer protects once the handshake is over, against an unchanged
// OpenSSL client (the agent's side), all in memory.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/tls/tls_session.h"
#include "tests/unit/common/tls/tls_test_fixture.h"

namespace helpline::tls {
namespace {

using testing::bytes;
using testing::distinct_bytes;
using testing::kKeyUpdateRecord;
using testing::kSuites;
using testing::ok;
using testing::pki;
using testing::PumpResult;
using testing::same_bytes;
using testing::SuiteCase;
using State = TlsSession::State;
constexpr auto kOwn = TlsSession::AfterHandshake::kOwnRecordLayer;
constexpr std::size_t kAll = std::numeric_limits<std::size_t>::max();

// Moves what `from` has pending into `to`, `piece` bytes per receive().
Result<void> deliver(TlsSession& from, TlsSession& to, std::size_t piece = kAll) {
  const auto pending = from.pending_output();
  const std::vector<std::uint8_t> all(pending.begin(), pending.end());
  from.consume_output(all.size());
  for (std::size_t at = 0; at < all.size(); at += std::min(piece, all.size() - at)) {
    const std::size_t n = std::min(piece, all.size() - at);
    if (auto r = to.receive(std::span(all).subspan(at, n)); !r) return r;
  }
  return {};
}

// Sends `data` from `from`, delivers it in `piece`-byte receive() calls and
// returns what `to` decrypted.
Result<std::string> transfer(TlsSession& from, TlsSession& to, std::string_view data,
                             std::size_t piece = kAll) {
  if (auto sent = from.send(bytes(data)); !sent) return fail(sent.error());
  if (auto delivered = deliver(from, to, piece); !delivered) return fail(delivered.error());
  return to.take_plaintext();
}

// The outer header fields of each record in `wire`; fails the test unless
// `wire` is whole records.
struct RecordHeader {
  std::uint8_t type;
  std::uint16_t version;
  std::size_t length;
};
std::vector<RecordHeader> split_records(std::span<const std::uint8_t> wire) {
  std::vector<RecordHeader> records;
  while (wire.size() >= 5) {
    const RecordHeader h{wire[0], static_cast<std::uint16_t>((wire[1] << 8) | wire[2]),
                         (std::size_t{wire[3]} << 8) | wire[4]};
    if (wire.size() < 5 + h.length) break;
    records.push_back(h);
    wire = wire.subspan(5 + h.length);
  }
  EXPECT_TRUE(wire.empty()) << wire.size() << " bytes are not a whole record";
  return records;
}

// An OpenSSL client (with the device certificate) and a server made for its
// own record layer, handshake done.
struct OwnLink {
  SslCtxPtr server_ctx;
  SslCtxPtr client_ctx;
  TlsSession client;
  TlsSession server;

  explicit OwnLink(SslCtxPtr client_context = testing::client_context(true, true, &pki().client),
                   SslCtxPtr server_context = testing::server_context(),
                   TlsSession::AfterHandshake after = kOwn)
      : server_ctx(std::move(server_context)),
        client_ctx(std::move(client_context)),
        client(ok(TlsSession::client(client_ctx.get(), "127.0.0.1"))),
        server(ok(TlsSession::server(server_ctx.get(), after))) {
    const PumpResult result = testing::handshake(client, server);
    EXPECT_FALSE(result.client_error) << result.client_error->to_string();
    EXPECT_FALSE(result.server_error) << result.server_error->to_string();
    EXPECT_EQ(client.state(), State::kOpen);
    EXPECT_EQ(server.state(), State::kOpen);
  }
};

// Small messages both ways, one at a time and several per delivery.
void expect_small_messages_both_ways(TlsSession& client, TlsSession& server) {
  EXPECT_EQ(ok(transfer(client, server, "hello relay")), "hello relay");
  EXPECT_EQ(ok(transfer(server, client, "hello agent")), "hello agent");
  EXPECT_EQ(ok(transfer(client, server, "x")), "x");
  ASSERT_TRUE(server.send(bytes("one ")));
  ASSERT_TRUE(server.send(bytes("two ")));
  ASSERT_TRUE(server.send(bytes("three")));
  ASSERT_TRUE(deliver(server, client));
  EXPECT_EQ(client.take_plaintext(), "one two three");
  ASSERT_TRUE(client.send(bytes("four ")));
  ASSERT_TRUE(client.send(bytes("five")));
  ASSERT_TRUE(deliver(client, server));
  EXPECT_EQ(server.take_plaintext(), "four five");
}

TEST(OwnRecordLayer, ServerSwitchesAfterTheHandshakeAndCanDropOpenSsl) {
  OwnLink link;
  EXPECT_TRUE(link.server.uses_own_record_layer());
  // The owner still reads the peer certificate before letting OpenSSL go.
  ASSERT_NE(link.server.native_handle(), nullptr);
  EXPECT_EQ(peer_common_name(link.server.native_handle()), "device-1");
  ASSERT_TRUE(link.server.release_openssl());
  EXPECT_EQ(link.server.native_handle(), nullptr);
  EXPECT_TRUE(link.server.uses_own_record_layer());
  EXPECT_FALSE(link.client.uses_own_record_layer());
  expect_small_messages_both_ways(link.client, link.server);
}

TEST(OwnRecordLayer, ReleaseBeforeTheHandshakeEndsIsRefused) {
  const SslCtxPtr server_ctx = testing::server_context();
  const SslCtxPtr client_ctx = testing::client_context(true, true, &pki().client);
  TlsSession client = ok(TlsSession::client(client_ctx.get(), "127.0.0.1"));
  TlsSession server = ok(TlsSession::server(server_ctx.get(), kOwn));
  ASSERT_TRUE(client.advance());
  ASSERT_TRUE(deliver(client, server));  // ClientHello only
  ASSERT_EQ(server.state(), State::kHandshaking);
  const auto released = server.release_openssl();
  ASSERT_FALSE(released);
  EXPECT_EQ(released.error().code, "tls_state");
  EXPECT_NE(server.native_handle(), nullptr);
  EXPECT_FALSE(server.uses_own_record_layer());
}

TEST(OwnRecordLayer, OneMebibyteEachWayArrivesByteExact) {
  OwnLink link;
  ASSERT_TRUE(link.server.release_openssl());
  const std::string up = distinct_bytes(1 << 20, 1);
  const std::string down = distinct_bytes(1 << 20, 2);

  // OpenSSL's 64 records reach the record layer in one receive() call.
  ASSERT_TRUE(link.client.send(bytes(up)));
  EXPECT_EQ(split_records(link.client.pending_output()).size(), 64U);
  ASSERT_TRUE(deliver(link.client, link.server));
  EXPECT_TRUE(same_bytes(link.server.take_plaintext(), up));

  ASSERT_TRUE(link.server.send(bytes(down)));
  // Full records: 16 KiB of data, its content type and the 16-byte tag.
  const std::vector<RecordHeader> records = split_records(link.server.pending_output());
  ASSERT_EQ(records.size(), 64U);
  for (const RecordHeader& r : records) {
    EXPECT_EQ(r.type, 23);
    EXPECT_EQ(r.version, 0x0303);
    EXPECT_EQ(r.length, RecordLayer::kMaxPlaintext + 1 + 16);
  }
  ASSERT_TRUE(deliver(link.server, link.client));
  EXPECT_TRUE(same_bytes(link.client.take_plaintext(), down));

  // Then small messages still follow on the same sequence numbers.
  expect_small_messages_both_ways(link.client, link.server);
}

TEST(OwnRecordLayer, LastRecordShorterThanFullOnesIsSealedToItsSize) {
  OwnLink link;
  const std::string data = distinct_bytes(2 * RecordLayer::kMaxPlaintext + 5, 3);
  ASSERT_TRUE(link.server.send(bytes(data)));
  const std::vector<RecordHeader> records = split_records(link.server.pending_output());
  ASSERT_EQ(records.size(), 3U);
  EXPECT_EQ(records[2].length, 5U + 1 + 16);
  ASSERT_TRUE(deliver(link.server, link.client));
  EXPECT_TRUE(same_bytes(link.client.take_plaintext(), data));
}

// Client to server ciphertext cut into pieces of every awkward size: inside
// the 5-byte header, at it, and around a full record's 16406 bytes.
class OwnRecordLayerPieces : public ::testing::TestWithParam<std::size_t> {};

TEST_P(OwnRecordLayerPieces, CiphertextInPiecesDecryptsByteExact) {
  OwnLink link;
  ASSERT_TRUE(link.server.release_openssl());
  const std::string first = "a short message before the long one";
  const std::string data = distinct_bytes(100 * 1024 + 3, 4);  // seven records
  ASSERT_TRUE(link.client.send(bytes(first)));
  ASSERT_TRUE(link.client.send(bytes(data)));
  ASSERT_TRUE(link.client.send(bytes("z")));
  ASSERT_TRUE(deliver(link.client, link.server, GetParam()));
  EXPECT_EQ(link.server.state(), State::kOpen);
  EXPECT_TRUE(same_bytes(link.server.take_plaintext(), first + data + "z"));
  // Nothing was left half-read: the next record decrypts on its own.
  EXPECT_EQ(ok(transfer(link.client, link.server, "after")), "after");
  EXPECT_EQ(ok(transfer(link.server, link.client, "reply")), "reply");
}

INSTANTIATE_TEST_SUITE_P(Sizes, OwnRecordLayerPieces,
                         ::testing::Values(1, 2, 4, 5, 6, 7, 22, 4096, 16405, 16406, 16407, 40000));

TEST(OwnRecordLayer, FirstDataInTheSameReceiveAsTheClientFinishedIsDecrypted) {
  const std::string payload = distinct_bytes(40000, 5);  // three records behind Finished
  for (const std::size_t piece : {kAll, std::size_t{7}, std::size_t{1000}}) {
    SCOPED_TRACE(piece);
    const SslCtxPtr server_ctx = testing::server_context();
    const SslCtxPtr client_ctx = testing::client_context(true, true, &pki().client);
    TlsSession client = ok(TlsSession::client(client_ctx.get(), "127.0.0.1"));
    TlsSession server = ok(TlsSession::server(server_ctx.get(), kOwn));
    ASSERT_TRUE(client.advance());
    ASSERT_TRUE(deliver(client, server));  // ClientHello
    ASSERT_TRUE(deliver(server, client));  // the server's flight
    ASSERT_EQ(client.state(), State::kOpen);
    ASSERT_EQ(server.state(), State::kHandshaking);
    // Queued behind the client's Certificate, CertificateVerify, Finished.
    ASSERT_TRUE(client.send(bytes("first words")));
    ASSERT_TRUE(client.send(bytes(payload)));
    ASSERT_TRUE(deliver(client, server, piece));
    EXPECT_EQ(server.state(), State::kOpen);
    EXPECT_TRUE(server.uses_own_record_layer());
    EXPECT_TRUE(same_bytes(server.take_plaintext(), "first words" + payload));
    // Had OpenSSL read any of those records, the layer's sequence numbers
    // would now be behind and this would fail.
    ASSERT_TRUE(server.release_openssl());
    EXPECT_EQ(ok(transfer(client, server, "more")), "more");
    EXPECT_EQ(ok(transfer(server, client, "answer")), "answer");
  }
}

TEST(OwnRecordLayer, ClientKeyUpdateWithoutRequestIsFollowedAndNotAnswered) {
  OwnLink link;
  ASSERT_TRUE(link.server.release_openssl());
  // Three in a row: each moves one generation further.
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(link.client.update_keys(false));
    ASSERT_EQ(link.client.pending_output().size(), kKeyUpdateRecord);
    ASSERT_TRUE(deliver(link.client, link.server));
    EXPECT_FALSE(link.server.wants_write());
  }
  expect_small_messages_both_ways(link.client, link.server);
  EXPECT_EQ(link.server.state(), State::kOpen);
  EXPECT_EQ(link.client.state(), State::kOpen);
}

TEST(OwnRecordLayer, ClientKeyUpdateWithRequestIsAnsweredByTheServer) {
  OwnLink link;
  ASSERT_TRUE(link.server.release_openssl());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(link.client.update_keys(true));
    ASSERT_TRUE(deliver(link.client, link.server));
    // The answer: one KeyUpdate, sent before any data.
    const std::vector<RecordHeader> answer = split_records(link.server.pending_output());
    ASSERT_EQ(answer.size(), 1U);
    EXPECT_EQ(answer[0].length + 5, kKeyUpdateRecord);
    ASSERT_TRUE(deliver(link.server, link.client));
    EXPECT_EQ(link.client.state(), State::kOpen);
    // The client reads what the server sealed under its new key.
    EXPECT_EQ(ok(transfer(link.server, link.client, "after the answer")), "after the answer");
  }
  expect_small_messages_both_ways(link.client, link.server);
}

class OwnRecordLayerServerUpdate : public ::testing::TestWithParam<bool> {};

TEST_P(OwnRecordLayerServerUpdate, ServerKeyUpdateKeepsDataFlowingBothWays) {
  const bool request = GetParam();
  OwnLink link;
  ASSERT_TRUE(link.server.release_openssl());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(link.server.update_keys(request));
    ASSERT_EQ(link.server.pending_output().size(), kKeyUpdateRecord);
    ASSERT_TRUE(deliver(link.server, link.client));
    EXPECT_EQ(link.client.state(), State::kOpen);
    EXPECT_EQ(ok(transfer(link.server, link.client, "down")), "down");
    // OpenSSL answers a request with its next write: its own KeyUpdate, then
    // the data under its next key, which the server must follow.
    ASSERT_TRUE(link.client.send(bytes("up")));
    const std::vector<RecordHeader> records = split_records(link.client.pending_output());
    ASSERT_EQ(records.size(), request ? 2U : 1U);
    EXPECT_EQ(records[0].length + 5, request ? kKeyUpdateRecord : 5 + 2 + 1 + 16);
    ASSERT_TRUE(deliver(link.client, link.server));
    EXPECT_EQ(link.server.take_plaintext(), "up");
  }
  expect_small_messages_both_ways(link.client, link.server);
}

INSTANTIATE_TEST_SUITE_P(Request, OwnRecordLayerServerUpdate, ::testing::Bool());

TEST(OwnRecordLayer, KeyUpdatesRequestedByBothSidesAtOnceCross) {
  OwnLink link;
  ASSERT_TRUE(link.server.release_openssl());
  ASSERT_TRUE(link.client.update_keys(true));
  ASSERT_TRUE(link.server.update_keys(true));
  ASSERT_TRUE(link.client.send(bytes("up")));
  ASSERT_TRUE(link.server.send(bytes("down")));
  PumpResult result;
  testing::pump(link.client, link.server, result);
  EXPECT_FALSE(result.client_error) << result.client_error->to_string();
  EXPECT_FALSE(result.server_error) << result.server_error->to_string();
  EXPECT_EQ(link.server.take_plaintext(), "up");
  EXPECT_EQ(link.client.take_plaintext(), "down");
  expect_small_messages_both_ways(link.client, link.server);
}

TEST(OwnRecordLayer, KeyUpdateCutIntoOneBytePiecesIsFollowed) {
  OwnLink link;
  ASSERT_TRUE(link.server.release_openssl());
  ASSERT_TRUE(link.client.send(bytes("before")));
  ASSERT_TRUE(link.client.update_keys(true));
  ASSERT_TRUE(link.client.send(bytes(" after")));
  ASSERT_TRUE(deliver(link.client, link.server, 1));
  EXPECT_EQ(link.server.take_plaintext(), "before after");
  ASSERT_TRUE(deliver(link.server, link.client, 1));
  EXPECT_EQ(ok(transfer(link.server, link.client, "down", 1)), "down");
}

TEST(OwnRecordLayer, TwoLinksTakingTurnsOnOneThreadStayApart) {
  // The layers share per-thread cipher contexts; OpenSSL on the other end
  // notices if one link's record is sealed or opened with the other's key.
  OwnLink a;
  OwnLink b;
  ASSERT_TRUE(a.server.release_openssl());
  ASSERT_TRUE(b.server.release_openssl());
  for (int i = 0; i < 3; ++i) {
    for (OwnLink* link : {&a, &b}) {
      EXPECT_EQ(ok(transfer(link->client, link->server, "up")), "up");
      EXPECT_EQ(ok(transfer(link->server, link->client, "down")), "down");
    }
  }
  ASSERT_TRUE(a.server.update_keys(true));
  ASSERT_TRUE(deliver(a.server, a.client));
  for (OwnLink* link : {&b, &a, &b}) {
    EXPECT_EQ(ok(transfer(link->client, link->server, "up")), "up");
    EXPECT_EQ(ok(transfer(link->server, link->client, "down")), "down");
  }
}

TEST(OwnRecordLayer, ClientCloseNotifyClosesTheServer) {
  OwnLink link;
  ASSERT_TRUE(link.server.release_openssl());
  ASSERT_TRUE(link.client.send(bytes("bye")));
  link.client.shutdown();
  std::string wire = link.client.take_output();
  wire += "bytes after close_notify are not read";
  ASSERT_TRUE(link.server.receive(bytes(wire)));
  EXPECT_EQ(link.server.take_plaintext(), "bye");
  EXPECT_EQ(link.server.state(), State::kClosed);
  EXPECT_FALSE(link.server.wants_write());
  EXPECT_EQ(link.server.send(bytes("x")).error().code, "tls_state");
  EXPECT_EQ(link.server.update_keys(false).error().code, "tls_state");
}

TEST(OwnRecordLayer, ServerCloseNotifyClosesTheClient) {
  OwnLink link;
  ASSERT_TRUE(link.server.release_openssl());
  ASSERT_TRUE(link.server.send(bytes("goodbye")));
  link.server.shutdown();
  EXPECT_EQ(link.server.state(), State::kClosed);
  EXPECT_EQ(link.server.send(bytes("x")).error().code, "tls_state");
  ASSERT_TRUE(deliver(link.server, link.client));
  EXPECT_EQ(link.client.take_plaintext(), "goodbye");
  EXPECT_EQ(link.client.state(), State::kClosed);
  // A second shutdown queues nothing more.
  link.server.shutdown();
  EXPECT_FALSE(link.server.wants_write());
}

// Flips a bit in the client's second record, at its first encrypted byte
// (where 0), its middle (1) or the last byte of its tag (2), and delivers
// the records to the server `piece` bytes at a time.
void expect_tampered_record_fails(int where, std::size_t piece) {
  OwnLink link;
  ASSERT_TRUE(link.server.release_openssl());
  ASSERT_TRUE(link.client.send(bytes("good")));
  ASSERT_TRUE(link.client.send(bytes("attack at dawn")));
  std::string wire = link.client.take_output();
  const std::vector<RecordHeader> records = split_records(bytes(wire));
  ASSERT_EQ(records.size(), 2U);
  const std::size_t second = 5 + records[0].length;
  const std::size_t offsets[] = {second + 5, second + 5 + records[1].length / 2,
                                 second + 5 + records[1].length - 1};
  wire[offsets[where]] = static_cast<char>(wire[offsets[where]] ^ 0x10);

  Result<void> received;
  for (std::size_t at = 0; at < wire.size() && received; at += piece) {
    received = link.server.receive(bytes(std::string_view(wire).substr(at, piece)));
  }
  ASSERT_FALSE(received);
  EXPECT_EQ(received.error().code, "tls_error");
  EXPECT_EQ(link.server.state(), State::kFailed);
  // What came before the bad record is kept, nothing of the bad one.
  EXPECT_EQ(link.server.take_plaintext(), "good");
  EXPECT_EQ(link.server.send(bytes("x")).error().code, "tls_state");
  EXPECT_EQ(link.server.receive(bytes("more")).error().code, "tls_state");

  // The alert the server queued is one the client understands.
  ASSERT_TRUE(link.server.wants_write());
  EXPECT_EQ(split_records(link.server.pending_output()).size(), 1U);
  const auto alerted = deliver(link.server, link.client);
  ASSERT_FALSE(alerted);
  EXPECT_NE(alerted.error().message.find("bad record mac"), std::string::npos)
      << alerted.error().to_string();
  EXPECT_EQ(link.client.state(), State::kFailed);
}

class OwnRecordLayerTampered : public ::testing::TestWithParam<int> {};

TEST_P(OwnRecordLayerTampered, FlippedBitFailsTheServerWithBadRecordMac) {
  // Whole, and in pieces so that the bad record is opened from the layer's
  // buffer of partial records.
  for (const std::size_t piece : {kAll, std::size_t{7}}) {
    SCOPED_TRACE(piece);
    expect_tampered_record_fails(GetParam(), piece);
  }
}

INSTANTIATE_TEST_SUITE_P(Offsets, OwnRecordLayerTampered, ::testing::Values(0, 1, 2));

TEST(OwnRecordLayer, AlertFromTheClientFailsTheServerWithoutAnAnswer) {
  OwnLink link;
  ASSERT_TRUE(link.server.release_openssl());
  // A garbled record makes OpenSSL send its own fatal bad_record_mac.
  ASSERT_TRUE(link.server.send(bytes("garbled")));
  std::string record = link.server.take_output();
  record[8] = static_cast<char>(record[8] ^ 1);
  ASSERT_FALSE(link.client.receive(bytes(record)));
  ASSERT_TRUE(link.client.wants_write());
  const auto received = deliver(link.client, link.server);
  ASSERT_FALSE(received);
  EXPECT_EQ(received.error().code, "tls_error");
  EXPECT_NE(received.error().message.find("bad record mac"), std::string::npos)
      << received.error().message;
  EXPECT_EQ(link.server.state(), State::kFailed);
  // An alert is never answered with another.
  EXPECT_FALSE(link.server.wants_write());
}

// A record written by hand and what the OpenSSL client must report when it
// reads the server's alert in answer.
struct BadRecord {
  const char* name;
  std::vector<std::uint8_t> wire;
  const char* alert;
};

std::vector<std::uint8_t> record_with(std::uint8_t type, std::uint8_t major, std::uint8_t minor,
                                      std::size_t length, std::size_t body) {
  std::vector<std::uint8_t> wire{type, major, minor, static_cast<std::uint8_t>(length >> 8),
                                 static_cast<std::uint8_t>(length & 0xff)};
  wire.resize(5 + body, 0x5a);
  return wire;
}

// Names the case in test listings (gtest would print the struct's bytes).
void PrintTo(const BadRecord& bad, std::ostream* out) { *out << bad.name; }

class OwnRecordLayerBadRecord : public ::testing::TestWithParam<BadRecord> {};

TEST_P(OwnRecordLayerBadRecord, IsRefusedWithAnAlert) {
  OwnLink link;
  ASSERT_TRUE(link.server.release_openssl());
  const BadRecord& bad = GetParam();
  const auto received = link.server.receive(bad.wire);
  ASSERT_FALSE(received);
  EXPECT_EQ(received.error().code, "tls_error");
  EXPECT_EQ(link.server.state(), State::kFailed);
  EXPECT_EQ(link.server.take_plaintext(), "");
  ASSERT_TRUE(link.server.wants_write());
  const auto alerted = deliver(link.server, link.client);
  ASSERT_FALSE(alerted);
  EXPECT_NE(alerted.error().message.find(bad.alert), std::string::npos) << alerted.error().message;
}

TEST_P(OwnRecordLayerBadRecord, IsRefusedWhenItArrivesOneByteAtATime) {
  OwnLink link;
  ASSERT_TRUE(link.server.release_openssl());
  const std::vector<std::uint8_t>& wire = GetParam().wire;
  std::optional<std::size_t> failed_at;
  for (std::size_t i = 0; i < wire.size() && !failed_at; ++i) {
    if (!link.server.receive(std::span(wire).subspan(i, 1))) failed_at = i;
  }
  // Every one of these is refused on its header, before its body.
  ASSERT_TRUE(failed_at);
  EXPECT_EQ(*failed_at, 4U);
  EXPECT_EQ(link.server.state(), State::kFailed);
}

INSTANTIATE_TEST_SUITE_P(
    Records, OwnRecordLayerBadRecord,
    ::testing::Values(
        BadRecord{"ChangeCipherSpec", {20, 3, 3, 0, 1, 1}, "unexpected message"},
        BadRecord{"UnprotectedHandshake", record_with(22, 3, 3, 5, 5), "unexpected message"},
        BadRecord{"UnprotectedAlert", {21, 3, 3, 0, 2, 1, 0}, "unexpected message"},
        BadRecord{"UnknownOuterType", record_with(99, 3, 3, 20, 20), "unexpected message"},
        BadRecord{"Version0301", record_with(23, 3, 1, 20, 20), "protocol version"},
        BadRecord{"Version0304", record_with(23, 3, 4, 20, 20), "protocol version"},
        BadRecord{"Version0203", record_with(23, 2, 3, 20, 20), "protocol version"},
        // Only the header: the layer must not wait for a body it will refuse.
        BadRecord{"LengthOneAboveLimit", record_with(23, 3, 3, 16384 + 256 + 1, 0),
                  "record overflow"},
        BadRecord{"LengthFFFF", record_with(23, 3, 3, 0xffff, 0), "record overflow"},
        BadRecord{"Length16", record_with(23, 3, 3, 16, 16), "decode error"},
        BadRecord{"Length0", record_with(23, 3, 3, 0, 0), "decode error"}),
    [](const auto& param) { return std::string(param.param.name); });

TEST(OwnRecordLayer, LengthsAtTheLimitsAreAccepted) {
  OwnLink link;
  ASSERT_TRUE(link.server.release_openssl());
  // 2^14 + 256 is allowed: the layer waits for the body.
  ASSERT_TRUE(link.server.receive(record_with(23, 3, 3, 16384 + 256, 0)));
  EXPECT_EQ(link.server.state(), State::kOpen);
  EXPECT_FALSE(link.server.wants_write());

  // 17 bytes (a type and a tag) is long enough to be opened, and fails only
  // as a forgery.
  OwnLink other;
  ASSERT_TRUE(other.server.release_openssl());
  const auto received = other.server.receive(record_with(23, 3, 3, 17, 17));
  ASSERT_FALSE(received);
  const auto alerted = deliver(other.server, other.client);
  ASSERT_FALSE(alerted);
  EXPECT_NE(alerted.error().message.find("bad record mac"), std::string::npos)
      << alerted.error().message;
}

TEST(OwnRecordLayer, DefaultServerKeepsOpenSslAndRefusesToRelease) {
  OwnLink link(testing::client_context(true, true, &pki().client), testing::server_context(),
               TlsSession::AfterHandshake::kOpenSsl);
  EXPECT_FALSE(link.server.uses_own_record_layer());
  const auto released = link.server.release_openssl();
  ASSERT_FALSE(released);
  EXPECT_EQ(released.error().code, "tls_state");
  ASSERT_NE(link.server.native_handle(), nullptr);
  EXPECT_EQ(peer_common_name(link.server.native_handle()), "device-1");
  expect_small_messages_both_ways(link.client, link.server);
  // KeyUpdate through OpenSSL works too, both ways.
  ASSERT_TRUE(link.server.update_keys(true));
  ASSERT_TRUE(link.client.update_keys(true));
  PumpResult result;
  testing::pump(link.client, link.server, result);
  EXPECT_FALSE(result.client_error);
  EXPECT_FALSE(result.server_error);
  expect_small_messages_both_ways(link.client, link.server);
}

TEST(OwnRecordLayer, ContextWithoutSecretCaptureStaysWithOpenSslAndSaysWhy) {
  SslCtxPtr server_ctx = testing::server_context();
  SSL_CTX_set_keylog_callback(server_ctx.get(), nullptr);
  OwnLink link(testing::client_context(true, true, &pki().client), std::move(server_ctx));
  EXPECT_FALSE(link.server.uses_own_record_layer());
  const auto released = link.server.release_openssl();
  ASSERT_FALSE(released);
  EXPECT_EQ(released.error().code, "tls_config");
  EXPECT_NE(released.error().message.find("traffic secrets"), std::string::npos)
      << released.error().message;
  EXPECT_NE(link.server.native_handle(), nullptr);
  expect_small_messages_both_ways(link.client, link.server);
}

TEST(OwnRecordLayer, SuiteTheLayerLacksStaysWithOpenSslAndIsNamed) {
  SslCtxPtr server_ctx = testing::server_context();
  SslCtxPtr client_ctx = testing::client_context(true, true, &pki().client);
  ASSERT_EQ(SSL_CTX_set_ciphersuites(server_ctx.get(), "TLS_AES_128_CCM_SHA256"), 1);
  ASSERT_EQ(SSL_CTX_set_ciphersuites(client_ctx.get(), "TLS_AES_128_CCM_SHA256"), 1);
  OwnLink link(std::move(client_ctx), std::move(server_ctx));
  EXPECT_FALSE(link.server.uses_own_record_layer());
  const auto released = link.server.release_openssl();
  ASSERT_FALSE(released);
  EXPECT_EQ(released.error().code, "tls_config");
  EXPECT_NE(released.error().message.find("TLS_AES_128_CCM_SHA256"), std::string::npos)
      << released.error().message;
  EXPECT_NE(link.server.native_handle(), nullptr);
  expect_small_messages_both_ways(link.client, link.server);
}

TEST(OwnRecordLayer, RelayContextSwitchesForEnrolledAndEnrollingAgents) {
  // As the relay's agent listener makes it: client certificates optional,
  // OpenSSL's buffers released between records.
  for (const Identity* identity : {&pki().client, static_cast<const Identity*>(nullptr)}) {
    SCOPED_TRACE(identity == nullptr ? "enrolling" : "enrolled");
    SslCtxPtr server_ctx = testing::server_context(ClientCertMode::kOptional);
    release_buffers_when_idle(server_ctx.get());
    OwnLink link(testing::client_context(false, true, identity), std::move(server_ctx));
    EXPECT_EQ(peer_common_name(link.server.native_handle()), identity == nullptr ? "" : "device-1");
    ASSERT_TRUE(link.server.release_openssl());
    expect_small_messages_both_ways(link.client, link.server);
  }
}

TEST(OwnRecordLayer, ReadAheadPastTheFinishedKeepsOpenSslAndLosesNothing) {
  // With read-ahead OpenSSL takes the records after the client's Finished
  // into its own buffer; the layer must then not start behind it.
  SslCtxPtr server_ctx = testing::server_context();
  SSL_CTX_set_read_ahead(server_ctx.get(), 1);
  const SslCtxPtr client_ctx = testing::client_context(true, true, &pki().client);
  TlsSession client = ok(TlsSession::client(client_ctx.get(), "127.0.0.1"));
  TlsSession server = ok(TlsSession::server(server_ctx.get(), kOwn));
  ASSERT_TRUE(client.advance());
  ASSERT_TRUE(deliver(client, server));
  ASSERT_TRUE(deliver(server, client));
  ASSERT_TRUE(client.send(bytes("behind the Finished")));
  ASSERT_TRUE(deliver(client, server));
  EXPECT_EQ(server.state(), State::kOpen);
  EXPECT_EQ(server.take_plaintext(), "behind the Finished");
  EXPECT_FALSE(server.uses_own_record_layer());
  const auto released = server.release_openssl();
  ASSERT_FALSE(released);
  EXPECT_EQ(released.error().code, "tls_state");
  EXPECT_NE(server.native_handle(), nullptr);
  expect_small_messages_both_ways(client, server);
}

TEST(OwnRecordLayer, FailedHandshakeLeavesNothingToRelease) {
  const SslCtxPtr server_ctx = testing::server_context(ClientCertMode::kRequired);
  const SslCtxPtr client_ctx = testing::client_context(true, false, nullptr);
  TlsSession client = ok(TlsSession::client(client_ctx.get(), "127.0.0.1"));
  TlsSession server = ok(TlsSession::server(server_ctx.get(), kOwn));
  const PumpResult result = testing::handshake(client, server);
  ASSERT_TRUE(result.server_error);
  EXPECT_EQ(server.state(), State::kFailed);
  EXPECT_FALSE(server.uses_own_record_layer());
  const auto released = server.release_openssl();
  ASSERT_FALSE(released);
  EXPECT_EQ(released.error().code, "tls_state");
  EXPECT_NE(server.native_handle(), nullptr);
}

class OwnRecordLayerSuites : public ::testing::TestWithParam<SuiteCase> {};

TEST_P(OwnRecordLayerSuites, ServerSwitchesAndDataFlowsBothWays) {
  SslCtxPtr client_ctx = testing::client_context(true, true, &pki().client);
  ASSERT_EQ(SSL_CTX_set_ciphersuites(client_ctx.get(), GetParam().name), 1);
  OwnLink link(std::move(client_ctx));
  ASSERT_NE(link.server.native_handle(), nullptr);
  EXPECT_STREQ(SSL_get_cipher_name(link.server.native_handle()), GetParam().name);
  EXPECT_TRUE(link.server.uses_own_record_layer());
  ASSERT_TRUE(link.server.release_openssl());
  expect_small_messages_both_ways(link.client, link.server);
  const std::string up = distinct_bytes(50000, 6);
  const std::string down = distinct_bytes(50000, 7);
  EXPECT_TRUE(same_bytes(ok(transfer(link.client, link.server, up, 7)), up));
  EXPECT_TRUE(same_bytes(ok(transfer(link.server, link.client, down)), down));
  // KeyUpdate derives the next secret with the suite's own hash.
  ASSERT_TRUE(link.client.update_keys(true));
  ASSERT_TRUE(link.server.update_keys(false));
  PumpResult result;
  testing::pump(link.client, link.server, result);
  EXPECT_FALSE(result.client_error);
  EXPECT_FALSE(result.server_error);
  expect_small_messages_both_ways(link.client, link.server);
}

INSTANTIATE_TEST_SUITE_P(Tls13, OwnRecordLayerSuites, ::testing::ValuesIn(kSuites),
                         testing::suite_test_name);

}  // namespace
}  // namespace helpline::tls
