// TLS 1.3 record protection (RFC 8446 section 5) for a connection whose
// handshake OpenSSL has finished: what a TlsSession switches to on the
// relay's agent links, so that an idle link keeps its traffic keys (about
// 300 bytes) instead of OpenSSL's per-connection state (about 14 KiB).
//
// It protects application data both ways, answers and sends KeyUpdate,
// sends and honours close_notify, and refuses everything else a peer may
// not send once the handshake is over (a ChangeCipherSpec, a handshake
// message other than KeyUpdate, an unprotected record), answering with the
// alert RFC 8446 names. The AEAD itself is OpenSSL's (EVP): this class builds
// nonces, frames records and keeps sequence numbers, nothing more.
//
// Cipher contexts are not kept per connection: each thread keeps one keyed
// context per direction and re-keys it when a record of another connection
// comes along, which is what lets an idle link hold only its key bytes.
//
// Thread: none; one owner. Different layers may be used on different threads.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "common/core/result.h"

namespace helpline::tls {

// The TLS 1.3 cipher suites OpenSSL 3 offers by default.
enum class Suite { kAes128GcmSha256, kAes256GcmSha384, kChaCha20Poly1305Sha256 };

class RecordLayer {
 public:
  enum class Status { kOpen, kClosed, kFailed };

  // Largest plaintext in one record (2^14) and the most a record may add to it.
  static constexpr std::size_t kMaxPlaintext = 16 * 1024;
  static constexpr std::size_t kMaxExpansion = 256;
  // After this many records under one key the layer updates its sending key
  // on its own (RFC 8446 5.5 allows AES-GCM about 2^24.5 full records).
  static constexpr std::uint64_t kRecordsPerKey = std::uint64_t{1} << 23;

  // `read_secret` and `write_secret` are the application traffic secrets
  // (RFC 8446 7.1) of the peer and of this side, as long as the suite's hash.
  // Errors: "tls_config" (wrong secret length, cipher unavailable).
  [[nodiscard]] static Result<RecordLayer> make(Suite suite, std::span<const std::uint8_t> read_secret,
                                                std::span<const std::uint8_t> write_secret);

  RecordLayer(RecordLayer&&) noexcept;
  RecordLayer& operator=(RecordLayer&&) noexcept;
  RecordLayer(const RecordLayer&) = delete;
  RecordLayer& operator=(const RecordLayer&) = delete;
  ~RecordLayer();

  // Ciphertext from the network: decrypts every whole record (a record cut
  // short is kept until the rest arrives), appends application data to
  // `plaintext` and whatever must be sent in answer (a KeyUpdate, an alert)
  // to `output`. Returns kClosed after the peer's close_notify (bytes after
  // it are ignored). Errors: "tls_error" naming the fault, after which the
  // layer has queued a fatal alert and status() is kFailed; `plaintext`
  // then holds only what was decrypted before the bad record.
  [[nodiscard]] Result<Status> open(std::span<const std::uint8_t> ciphertext, std::string& plaintext,
                                    std::string& output);

  // Encrypts application data into records of at most kMaxPlaintext bytes
  // appended to `output`. Errors: "tls_state" unless kOpen.
  [[nodiscard]] Result<void> seal(std::span<const std::uint8_t> plaintext, std::string& output);

  // Sends a KeyUpdate and moves to the next sending key; with
  // `request_peer_update` the peer must update its own key too.
  [[nodiscard]] Result<void> update_keys(bool request_peer_update, std::string& output);

  // Queues close_notify; nothing more can be sent afterwards.
  void close(std::string& output);

  [[nodiscard]] Status status() const { return status_; }

  // One direction's keys (RFC 8446 7.3); public for the implementation's
  // helpers, not part of the interface.
  struct Keys {
    std::array<std::uint8_t, 48> secret{};
    std::array<std::uint8_t, 32> key{};
    std::array<std::uint8_t, 12> iv{};
    std::uint64_t sequence = 0;
    std::uint64_t key_id = 0;  // names this key to the per-thread cipher contexts
  };

 private:
  explicit RecordLayer(Suite suite) : suite_(suite) {}

  // One whole record (header included); see open().
  [[nodiscard]] Result<void> open_record(std::span<const std::uint8_t> record, std::string& plaintext,
                                         std::string& output);
  [[nodiscard]] Result<void> on_handshake_bytes(std::span<const std::uint8_t> content,
                                                std::string& output);
  [[nodiscard]] Result<void> on_alert(std::span<const std::uint8_t> content);
  // Encrypts one record of `type` holding `content` (at most kMaxPlaintext).
  [[nodiscard]] Result<void> seal_record(std::uint8_t type, std::span<const std::uint8_t> content,
                                         std::string& output);
  // Records the fault, queues the fatal alert `alert` and returns the error.
  [[nodiscard]] Error fatal(std::uint8_t alert, std::string message, std::string& output);

  Suite suite_;
  Status status_ = Status::kOpen;
  bool sent_close_ = false;
  Keys read_;
  Keys write_;
  std::string partial_;    // the start of a record whose rest has not arrived
  std::string handshake_;  // the start of a handshake message cut across records
};

}  // namespace helpline::tls
