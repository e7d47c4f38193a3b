// A tiny blocking TLS client for raw-protocol end-to-end tests, built on
// OpenSSL directly (not on common/tls, so it checks the relay with code it
// does not share). It verifies the relay against a CA file and the name
// 127.0.0.1, can present a client certificate, can cap the TLS version, and
// sends raw bytes or whole frames (4-byte big-endian length + Frame).
//
// Every read is bounded by a socket receive timeout. Connecting ignores
// SIGPIPE for the whole test process once, so that writing to a link the
// relay closed is an error return rather than the test's death.
//
// Thread: one owner; not thread-safe.
#pragma once

#include <openssl/ssl.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/result.h"
#include "helpline/v1/tunnel.pb.h"

namespace helpline::testing {

struct TlsClientOptions {
  std::uint16_t port = 0;                   // on 127.0.0.1
  std::filesystem::path ca_pem;             // trust anchor for the server certificate
  std::filesystem::path cert_pem;           // client certificate; empty: none
  std::filesystem::path key_pem;            // its key
  int max_version = TLS1_3_VERSION;         // e.g. TLS1_2_VERSION to test refusal
  std::chrono::milliseconds timeout{5000};  // connect + handshake
};

// What one read_frame() call saw.
struct FrameRead {
  enum class Kind {
    kFrame,    // `frame` holds the next frame
    kClosed,   // the peer closed (close_notify, EOF, reset or a TLS alert)
    kTimeout,  // nothing complete arrived in time
    kError,    // bytes arrived that are not a frame (see `detail`)
  };
  Kind kind = Kind::kTimeout;
  v1::Frame frame;
  std::string detail;
};

// What read_until_closed() saw.
struct CloseWait {
  bool closed = false;            // false: still open at the deadline
  std::vector<v1::Frame> frames;  // everything received before
  std::string detail;             // how it ended
};

class TlsTestClient {
 public:
  // Connects and completes the TLS handshake. Errors: "connect_failed",
  // "tls_config" (unreadable CA/cert/key), "handshake_failed" with
  // OpenSSL's reason.
  [[nodiscard]] static Result<TlsTestClient> connect(const TlsClientOptions& options);

  TlsTestClient(TlsTestClient&&) noexcept;
  TlsTestClient& operator=(TlsTestClient&&) noexcept;
  ~TlsTestClient();

  // The negotiated protocol version, e.g. TLS1_3_VERSION.
  [[nodiscard]] int version() const;

  // Errors: "write_failed" (e.g. the relay already closed).
  [[nodiscard]] Result<void> send_raw(std::string_view bytes);
  [[nodiscard]] Result<void> send_frame(const v1::Frame& frame);

  [[nodiscard]] FrameRead read_frame(std::chrono::milliseconds timeout);
  // Reads frames until the peer closes or `timeout` passes.
  [[nodiscard]] CloseWait read_until_closed(std::chrono::milliseconds timeout);

 private:
  struct Impl;
  explicit TlsTestClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A 4-byte big-endian length followed by the serialized frame.
[[nodiscard]] std::string encode_frame(const v1::Frame& frame);

}  // namespace helpline::testing
