#include "common/tls/record_layer.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <utility>

namespace helpline::tls {

namespace {

// Record content types (RFC 8446 5.1) and handshake/alert codes we use.
constexpr std::uint8_t kChangeCipherSpec = 20;
constexpr std::uint8_t kAlert = 21;
constexpr std::uint8_t kHandshake = 22;
constexpr std::uint8_t kApplicationData = 23;
constexpr std::uint8_t kKeyUpdate = 24;  // handshake message type

constexpr std::uint8_t kCloseNotify = 0;
constexpr std::uint8_t kUnexpectedMessage = 10;
constexpr std::uint8_t kBadRecordMac = 20;
constexpr std::uint8_t kRecordOverflow = 22;
constexpr std::uint8_t kIllegalParameter = 47;
constexpr std::uint8_t kDecodeError = 50;
constexpr std::uint8_t kProtocolVersion = 70;
constexpr std::uint8_t kInternalError = 80;
constexpr std::uint8_t kUserCanceled = 90;

constexpr std::size_t kHeader = 5;
constexpr std::size_t kTag = 16;
constexpr std::size_t kHandshakeHeader = 4;

struct SuiteInfo {
  const char* cipher;
  const char* digest;
  std::size_t key_length;
  std::size_t hash_length;
};

SuiteInfo info(Suite suite) {
  switch (suite) {
    case Suite::kAes128GcmSha256:
      return {"AES-128-GCM", "SHA256", 16, 32};
    case Suite::kAes256GcmSha384:
      return {"AES-256-GCM", "SHA384", 32, 48};
    case Suite::kChaCha20Poly1305Sha256:
      return {"ChaCha20-Poly1305", "SHA256", 32, 32};
  }
  return {"", "", 0, 0};
}

// Fetched once per process: an explicit fetch avoids OpenSSL 3's provider
// lookup on every cipher initialisation.
const EVP_CIPHER* cipher_of(Suite suite) {
  static const std::array<EVP_CIPHER*, 3> ciphers = [] {
    std::array<EVP_CIPHER*, 3> fetched{};
    for (Suite s : {Suite::kAes128GcmSha256, Suite::kAes256GcmSha384, Suite::kChaCha20Poly1305Sha256}) {
      fetched[static_cast<std::size_t>(s)] = EVP_CIPHER_fetch(nullptr, info(s).cipher, nullptr);
    }
    return fetched;
  }();
  return ciphers[static_cast<std::size_t>(suite)];
}

std::uint64_t next_key_id() {
  static std::atomic<std::uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

// HKDF-Expand-Label(secret, label, "", out.size()) (RFC 8446 7.1).
bool expand_label(const char* digest, std::span<const std::uint8_t> secret, std::string_view label,
                  std::span<std::uint8_t> out) {
  static EVP_KDF* const hkdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  if (hkdf == nullptr) return false;
  std::string hkdf_label;
  hkdf_label.push_back(static_cast<char>(out.size() >> 8));
  hkdf_label.push_back(static_cast<char>(out.size() & 0xff));
  const std::string full = std::string("tls13 ").append(label);
  hkdf_label.push_back(static_cast<char>(full.size()));
  hkdf_label.append(full);
  hkdf_label.push_back(0);  // empty context
  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(hkdf);
  if (ctx == nullptr) return false;
  int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>(digest), 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<std::uint8_t*>(secret.data()),
                                        secret.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, hkdf_label.data(), hkdf_label.size()),
      OSSL_PARAM_construct_end()};
  const bool derived = EVP_KDF_derive(ctx, out.data(), out.size(), params) == 1;
  EVP_KDF_CTX_free(ctx);
  return derived;
}

// Key and IV from the current secret, under a fresh key id, sequence 0.
bool derive_keys(Suite suite, RecordLayer::Keys& keys) {
  const SuiteInfo suite_info = info(suite);
  const std::span<const std::uint8_t> secret(keys.secret.data(), suite_info.hash_length);
  keys.key_id = next_key_id();
  keys.sequence = 0;
  return expand_label(suite_info.digest, secret, "key", std::span(keys.key).first(suite_info.key_length)) &&
         expand_label(suite_info.digest, secret, "iv", keys.iv);
}

// The next secret after a KeyUpdate (RFC 8446 7.2).
bool next_generation(Suite suite, RecordLayer::Keys& keys) {
  const SuiteInfo suite_info = info(suite);
  std::array<std::uint8_t, 48> next{};
  const auto length = suite_info.hash_length;
  if (!expand_label(suite_info.digest, std::span(keys.secret).first(length), "traffic upd",
                    std::span(next).first(length))) {
    return false;
  }
  keys.secret = next;
  OPENSSL_cleanse(next.data(), next.size());
  return derive_keys(suite, keys);
}

// One cipher context per thread and direction, keyed for whichever
// connection used it last.
struct CipherSlot {
  EVP_CIPHER_CTX* ctx = nullptr;
  std::uint64_t key_id = 0;
  CipherSlot() = default;
  CipherSlot(const CipherSlot&) = delete;
  CipherSlot& operator=(const CipherSlot&) = delete;
  ~CipherSlot() { EVP_CIPHER_CTX_free(ctx); }

  // Wipes the key schedule of `key_id` if this slot holds it.
  void forget(std::uint64_t id) {
    if (ctx != nullptr && key_id == id) {
      EVP_CIPHER_CTX_reset(ctx);
      key_id = 0;
    }
  }
};

thread_local CipherSlot seal_slot;
thread_local CipherSlot open_slot;

// The slot's context keyed with `keys` and set to the record's nonce (the IV
// XOR the 64-bit sequence number, RFC 8446 5.3); nullptr if OpenSSL failed.
EVP_CIPHER_CTX* ready(CipherSlot& slot, Suite suite, const RecordLayer::Keys& keys, int encrypt) {
  if (slot.ctx == nullptr) slot.ctx = EVP_CIPHER_CTX_new();
  if (slot.ctx == nullptr) return nullptr;
  if (slot.key_id != keys.key_id) {
    slot.key_id = 0;
    if (EVP_CipherInit_ex(slot.ctx, cipher_of(suite), nullptr, keys.key.data(), nullptr, encrypt) != 1) {
      return nullptr;
    }
    slot.key_id = keys.key_id;
  }
  std::array<std::uint8_t, 12> nonce = keys.iv;
  for (std::size_t i = 0; i < 8; ++i) {
    nonce[nonce.size() - 1 - i] ^= static_cast<std::uint8_t>(keys.sequence >> (8 * i));
  }
  if (EVP_CipherInit_ex(slot.ctx, nullptr, nullptr, nullptr, nonce.data(), encrypt) != 1) return nullptr;
  return slot.ctx;
}

std::uint8_t* bytes_at(std::string& s, std::size_t offset) {
  return reinterpret_cast<std::uint8_t*>(s.data()) + offset;
}

void wipe(RecordLayer::Keys& keys) {
  seal_slot.forget(keys.key_id);
  open_slot.forget(keys.key_id);
  OPENSSL_cleanse(&keys, sizeof keys);
}

}  // namespace

Result<RecordLayer> RecordLayer::make(Suite suite, std::span<const std::uint8_t> read_secret,
                                      std::span<const std::uint8_t> write_secret) {
  const SuiteInfo suite_info = info(suite);
  if (read_secret.size() != suite_info.hash_length || write_secret.size() != suite_info.hash_length) {
    return fail("tls_config", "a traffic secret has the wrong length for the cipher suite");
  }
  if (cipher_of(suite) == nullptr) {
    return fail("tls_config", std::string("OpenSSL does not provide ") + suite_info.cipher);
  }
  RecordLayer layer(suite);
  std::copy(read_secret.begin(), read_secret.end(), layer.read_.secret.begin());
  std::copy(write_secret.begin(), write_secret.end(), layer.write_.secret.begin());
  if (!derive_keys(suite, layer.read_) || !derive_keys(suite, layer.write_)) {
    return fail("tls_config", "could not derive the traffic keys");
  }
  return layer;
}

RecordLayer::RecordLayer(RecordLayer&& other) noexcept
    : suite_(other.suite_),
      status_(std::exchange(other.status_, Status::kFailed)),
      sent_close_(other.sent_close_),
      read_(other.read_),
      write_(other.write_),
      partial_(std::move(other.partial_)),
      handshake_(std::move(other.handshake_)) {
  // The key ids move with the keys: the moved-from layer must not wipe the
  // cipher contexts that now serve this one.
  OPENSSL_cleanse(&other.read_, sizeof other.read_);
  OPENSSL_cleanse(&other.write_, sizeof other.write_);
}

RecordLayer& RecordLayer::operator=(RecordLayer&& other) noexcept {
  if (this != &other) {
    wipe(read_);
    wipe(write_);
    suite_ = other.suite_;
    status_ = std::exchange(other.status_, Status::kFailed);
    sent_close_ = other.sent_close_;
    read_ = other.read_;
    write_ = other.write_;
    partial_ = std::move(other.partial_);
    handshake_ = std::move(other.handshake_);
    OPENSSL_cleanse(&other.read_, sizeof other.read_);
    OPENSSL_cleanse(&other.write_, sizeof other.write_);
  }
  return *this;
}

RecordLayer::~RecordLayer() {
  wipe(read_);
  wipe(write_);
}

Error RecordLayer::fatal(std::uint8_t alert, std::string message, std::string& output) {
  if (status_ == Status::kOpen && !sent_close_) {
    const std::array<std::uint8_t, 2> body{2, alert};  // level fatal
    (void)seal_record(kAlert, body, output);
  }
  status_ = Status::kFailed;
  sent_close_ = true;
  std::string().swap(partial_);
  std::string().swap(handshake_);
  return Error{"tls_error", std::move(message)};
}

Result<RecordLayer::Status> RecordLayer::open(std::span<const std::uint8_t> ciphertext,
                                              std::string& plaintext, std::string& output) {
  if (status_ == Status::kFailed) return fail("tls_state", "the TLS session has already failed");
  // Whole records are decrypted straight from `ciphertext`; only a record
  // cut across calls is gathered in partial_. What they hold decrypts to
  // less than their length: one allocation instead of regrowth per record.
  plaintext.reserve(plaintext.size() + partial_.size() + ciphertext.size());
  while (status_ == Status::kOpen && (!ciphertext.empty() || !partial_.empty())) {
    std::span<const std::uint8_t> record;
    std::span<const std::uint8_t> header =
        partial_.empty() ? ciphertext
                         : std::span(reinterpret_cast<const std::uint8_t*>(partial_.data()), partial_.size());
    if (!partial_.empty() && partial_.size() < kHeader) {
      const std::size_t take = std::min(kHeader - partial_.size(), ciphertext.size());
      partial_.append(reinterpret_cast<const char*>(ciphertext.data()), take);
      ciphertext = ciphertext.subspan(take);
      header = std::span(reinterpret_cast<const std::uint8_t*>(partial_.data()), partial_.size());
    }
    if (header.size() < kHeader) {
      if (partial_.empty()) partial_.assign(reinterpret_cast<const char*>(header.data()), header.size());
      return status_;
    }
    // Checked before the body arrives, so a bad length fails at once.
    if (header[0] != kApplicationData) {
      return tl::unexpected(fatal(kUnexpectedMessage,
                                  header[0] == kChangeCipherSpec
                                      ? "the peer sent ChangeCipherSpec after the handshake"
                                      : "the peer sent an unprotected record after the handshake",
                                  output));
    }
    if (header[1] != 0x03 || header[2] != 0x03) {
      return tl::unexpected(fatal(kProtocolVersion, "a record carries the wrong version", output));
    }
    const std::size_t length = (std::size_t{header[3]} << 8) | header[4];
    if (length > kMaxPlaintext + kMaxExpansion) {
      return tl::unexpected(fatal(kRecordOverflow, "a record is longer than TLS allows", output));
    }
    if (length < kTag + 1) {
      return tl::unexpected(fatal(kDecodeError, "a record is too short to be protected", output));
    }
    if (partial_.empty()) {
      if (ciphertext.size() < kHeader + length) {
        partial_.reserve(kHeader + length);  // at most one record: one allocation
        partial_.assign(reinterpret_cast<const char*>(ciphertext.data()), ciphertext.size());
        return status_;
      }
      record = ciphertext.first(kHeader + length);
      ciphertext = ciphertext.subspan(kHeader + length);
    } else {
      const std::size_t take = std::min(kHeader + length - partial_.size(), ciphertext.size());
      partial_.reserve(kHeader + length);
      partial_.append(reinterpret_cast<const char*>(ciphertext.data()), take);
      ciphertext = ciphertext.subspan(take);
      if (partial_.size() < kHeader + length) return status_;
      record = std::span(reinterpret_cast<const std::uint8_t*>(partial_.data()), partial_.size());
    }
    auto opened = open_record(record, plaintext, output);
    std::string().swap(partial_);  // record may have pointed into it: done with it now
    if (!opened) return tl::unexpected(opened.error());
  }
  return status_;
}

Result<void> RecordLayer::open_record(std::span<const std::uint8_t> record, std::string& plaintext,
                                      std::string& output) {
  const std::size_t start = plaintext.size();
  const std::size_t inner_length = record.size() - kHeader - kTag;
  if (read_.sequence == UINT64_MAX) {
    return tl::unexpected(fatal(kInternalError, "the receive sequence number is exhausted", output));
  }
  EVP_CIPHER_CTX* ctx = ready(open_slot, suite_, read_, 0);
  plaintext.resize(start + inner_length);
  int n = 0;
  int tail = 0;
  const bool authentic =
      ctx != nullptr &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kTag),
                          const_cast<std::uint8_t*>(record.data() + record.size() - kTag)) == 1 &&
      EVP_CipherUpdate(ctx, nullptr, &n, record.data(), static_cast<int>(kHeader)) == 1 &&
      EVP_CipherUpdate(ctx, bytes_at(plaintext, start), &n, record.data() + kHeader,
                       static_cast<int>(inner_length)) == 1 &&
      EVP_CipherFinal_ex(ctx, bytes_at(plaintext, start) + n, &tail) == 1;
  if (!authentic) {
    plaintext.resize(start);
    return tl::unexpected(fatal(kBadRecordMac, "a record failed authentication", output));
  }
  ++read_.sequence;
  // TLSInnerPlaintext: content, the real content type, zero padding.
  std::size_t end = plaintext.size();
  while (end > start && plaintext[end - 1] == 0) --end;
  if (end == start) {
    plaintext.resize(start);
    return tl::unexpected(fatal(kUnexpectedMessage, "a record has no content type", output));
  }
  const auto type = static_cast<std::uint8_t>(plaintext[end - 1]);
  // Padding included (RFC 8446 5.4).
  if (inner_length > kMaxPlaintext + 1) {
    plaintext.resize(start);
    return tl::unexpected(fatal(kRecordOverflow, "a record's plaintext is longer than TLS allows", output));
  }
  plaintext.resize(end - 1);
  if (type == kApplicationData) {
    if (!handshake_.empty()) {
      plaintext.resize(start);
      return tl::unexpected(
          fatal(kUnexpectedMessage, "application data arrived inside a handshake message", output));
    }
    return {};
  }
  // Not for the application: take it back out of `plaintext`.
  const std::string content = plaintext.substr(start);
  plaintext.resize(start);
  const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(content.data()),
                                            content.size());
  switch (type) {
    case kHandshake:
      return on_handshake_bytes(bytes, output);
    case kAlert:
      if (!handshake_.empty()) {
        return tl::unexpected(
            fatal(kUnexpectedMessage, "an alert arrived inside a handshake message", output));
      }
      if (bytes.size() != 2) return tl::unexpected(fatal(kDecodeError, "a malformed alert", output));
      return on_alert(bytes);
    default:
      return tl::unexpected(fatal(kUnexpectedMessage, "a record of unknown content type", output));
  }
}

Result<void> RecordLayer::on_alert(std::span<const std::uint8_t> content) {
  const std::uint8_t description = content[1];
  if (description == kCloseNotify) {
    status_ = Status::kClosed;
    std::string().swap(partial_);
    return {};
  }
  if (description == kUserCanceled) return {};  // a warning; close_notify follows
  status_ = Status::kFailed;
  std::string().swap(partial_);
  return fail("tls_error",
              std::string("the peer sent the alert \"") + SSL_alert_desc_string_long(description) + "\"");
}

Result<void> RecordLayer::on_handshake_bytes(std::span<const std::uint8_t> content,
                                             std::string& output) {
  if (content.empty()) return tl::unexpected(fatal(kUnexpectedMessage, "an empty handshake record", output));
  handshake_.append(reinterpret_cast<const char*>(content.data()), content.size());
  while (handshake_.size() >= kHandshakeHeader) {
    const auto* message = reinterpret_cast<const std::uint8_t*>(handshake_.data());
    const std::size_t length =
        (std::size_t{message[1]} << 16) | (std::size_t{message[2]} << 8) | message[3];
    if (message[0] != kKeyUpdate) {
      return tl::unexpected(fatal(kUnexpectedMessage,
                                  "the peer sent a handshake message other than KeyUpdate after the handshake",
                                  output));
    }
    if (length != 1) return tl::unexpected(fatal(kDecodeError, "a malformed KeyUpdate", output));
    if (handshake_.size() < kHandshakeHeader + length) return {};
    const std::uint8_t request = message[kHandshakeHeader];
    if (request > 1) return tl::unexpected(fatal(kIllegalParameter, "a KeyUpdate with a bad request", output));
    // A key change must end its record (RFC 8446 5.1).
    if (handshake_.size() != kHandshakeHeader + length) {
      return tl::unexpected(
          fatal(kUnexpectedMessage, "a KeyUpdate does not end its record", output));
    }
    std::string().swap(handshake_);
    open_slot.forget(read_.key_id);
    if (!next_generation(suite_, read_)) {
      return tl::unexpected(fatal(kInternalError, "could not derive the next receive key", output));
    }
    if (request == 1 && status_ == Status::kOpen && !sent_close_) return update_keys(false, output);
  }
  return {};
}

Result<void> RecordLayer::seal(std::span<const std::uint8_t> plaintext, std::string& output) {
  if (status_ != Status::kOpen || sent_close_) {
    return fail("tls_state", "cannot send: the TLS session is not open");
  }
  while (!plaintext.empty()) {
    const std::size_t chunk = std::min(plaintext.size(), kMaxPlaintext);
    if (auto sealed = seal_record(kApplicationData, plaintext.first(chunk), output); !sealed) {
      status_ = Status::kFailed;
      return sealed;
    }
    plaintext = plaintext.subspan(chunk);
    if (write_.sequence >= kRecordsPerKey) {
      if (auto updated = update_keys(false, output); !updated) return updated;
    }
  }
  return {};
}

Result<void> RecordLayer::update_keys(bool request_peer_update, std::string& output) {
  if (status_ != Status::kOpen || sent_close_) {
    return fail("tls_state", "cannot update keys: the TLS session is not open");
  }
  const std::array<std::uint8_t, 5> key_update{kKeyUpdate, 0, 0, 1,
                                               static_cast<std::uint8_t>(request_peer_update ? 1 : 0)};
  if (auto sealed = seal_record(kHandshake, key_update, output); !sealed) {
    status_ = Status::kFailed;
    return sealed;
  }
  seal_slot.forget(write_.key_id);
  if (!next_generation(suite_, write_)) {
    status_ = Status::kFailed;
    return fail("tls_error", "could not derive the next send key");
  }
  return {};
}

void RecordLayer::close(std::string& output) {
  if (status_ != Status::kFailed && !sent_close_) {
    const std::array<std::uint8_t, 2> body{1, kCloseNotify};  // level warning
    (void)seal_record(kAlert, body, output);
  }
  sent_close_ = true;
}

Result<void> RecordLayer::seal_record(std::uint8_t type, std::span<const std::uint8_t> content,
                                      std::string& output) {
  if (write_.sequence == UINT64_MAX) return fail("tls_error", "the send sequence number is exhausted");
  const std::size_t length = content.size() + 1 + kTag;
  const std::size_t start = output.size();
  output.resize(start + kHeader + length);
  std::uint8_t* out = bytes_at(output, start);
  out[0] = kApplicationData;  // the outer type of every protected record
  out[1] = 0x03;
  out[2] = 0x03;
  out[3] = static_cast<std::uint8_t>(length >> 8);
  out[4] = static_cast<std::uint8_t>(length & 0xff);
  EVP_CIPHER_CTX* ctx = ready(seal_slot, suite_, write_, 1);
  int n = 0;
  int type_n = 0;
  int tail = 0;
  const bool sealed =
      ctx != nullptr && EVP_CipherUpdate(ctx, nullptr, &n, out, static_cast<int>(kHeader)) == 1 &&
      EVP_CipherUpdate(ctx, out + kHeader, &n, content.data(), static_cast<int>(content.size())) == 1 &&
      EVP_CipherUpdate(ctx, out + kHeader + n, &type_n, &type, 1) == 1 &&
      EVP_CipherFinal_ex(ctx, out + kHeader + n + type_n, &tail) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kTag),
                          out + kHeader + content.size() + 1) == 1;
  if (!sealed) {
    output.resize(start);
    return fail("tls_error", "could not encrypt a record");
  }
  ++write_.sequence;
  return {};
}

}  // namespace helpline::tls
