#include "common/tls/tls_session.h"

#include <openssl/err.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstring>
#include <optional>
#include <utility>

#include "common/tls/crypto.h"
#include "common/tls/openssl_util.h"

namespace helpline::tls {

namespace {

// One TLS record's worth of plaintext per SSL_read call.
constexpr std::size_t kChunk = 16 * 1024;

// OpenSSL's queued reasons, or `fallback` when it queued none.
Error openssl_error(std::string code, std::string fallback) {
  std::string reasons = openssl_errors();
  return Error{std::move(code), reasons.empty() ? std::move(fallback) : std::move(reasons)};
}

}  // namespace

struct TlsSession::Io {
  std::span<const std::uint8_t> input;  // the current receive() call's bytes
  std::string unread;                   // input SSL left over from earlier calls
  std::size_t unread_offset = 0;
  std::string output;                   // ciphertext for the network
  std::size_t output_consumed = 0;
  // Application traffic secrets, kept only by kOwnRecordLayer sessions and
  // only until the end of the handshake turns them into keys.
  bool capture_secrets = false;
  std::string client_secret;
  std::string server_secret;

  void forget_secrets() {
    OPENSSL_cleanse(client_secret.data(), client_secret.size());
    OPENSSL_cleanse(server_secret.data(), server_secret.size());
    std::string().swap(client_secret);
    std::string().swap(server_secret);
    capture_secrets = false;
  }
  Io() = default;
  Io(const Io&) = delete;
  Io& operator=(const Io&) = delete;
  ~Io() { forget_secrets(); }
};

namespace {

using Io = TlsSession::Io;

int bio_write(BIO* bio, const char* data, int size) {
  BIO_clear_retry_flags(bio);
  if (size <= 0) return 0;
  auto* io = static_cast<Io*>(BIO_get_data(bio));
  io->output.append(data, static_cast<std::size_t>(size));
  return size;
}

int bio_read(BIO* bio, char* out, int size) {
  BIO_clear_retry_flags(bio);
  if (size <= 0) return 0;
  auto* io = static_cast<Io*>(BIO_get_data(bio));
  auto wanted = static_cast<std::size_t>(size);
  if (io->unread_offset < io->unread.size()) {
    std::size_t n = std::min(wanted, io->unread.size() - io->unread_offset);
    std::memcpy(out, io->unread.data() + io->unread_offset, n);
    io->unread_offset += n;
    if (io->unread_offset == io->unread.size()) {
      std::string().swap(io->unread);
      io->unread_offset = 0;
    }
    return static_cast<int>(n);
  }
  if (io->input.empty()) {
    // "No data yet", not end of stream: the caller will bring more.
    BIO_set_retry_read(bio);
    return -1;
  }
  std::size_t n = std::min(wanted, io->input.size());
  std::memcpy(out, io->input.data(), n);
  io->input = io->input.subspan(n);
  return static_cast<int>(n);
}

long bio_ctrl(BIO* bio, int command, long, void*) {
  auto* io = static_cast<Io*>(BIO_get_data(bio));
  switch (command) {
    case BIO_CTRL_FLUSH:
      return 1;
    case BIO_CTRL_PENDING:
      return static_cast<long>(io->input.size() + io->unread.size() - io->unread_offset);
    case BIO_CTRL_WPENDING:
      return 0;  // everything written is already in the session's output
    default:
      return 0;
  }
}

int bio_create(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

// The one method table, made on first use and kept for the process.
int session_bio_type() {
  static const int type = BIO_get_new_index() | BIO_TYPE_SOURCE_SINK;
  return type;
}

const BIO_METHOD* session_bio_method() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(session_bio_type(), "helpline tls session");
    if (m != nullptr) {
      BIO_meth_set_write(m, bio_write);
      BIO_meth_set_read(m, bio_read);
      BIO_meth_set_ctrl(m, bio_ctrl);
      BIO_meth_set_create(m, bio_create);
    }
    return m;
  }();
  return method;
}

// OpenSSL's key log line "<LABEL> <client random hex> <secret hex>": keeps
// the application traffic secrets of sessions that asked for them.
void capture_secret(const SSL* ssl, const char* line) {
  BIO* bio = SSL_get_rbio(ssl);
  if (bio == nullptr || BIO_method_type(bio) != session_bio_type()) return;
  auto* io = static_cast<Io*>(BIO_get_data(bio));
  if (io == nullptr || !io->capture_secrets) return;
  const std::string_view text(line);
  const std::size_t label_end = text.find(' ');
  const std::size_t secret_start = text.rfind(' ');
  if (label_end == std::string_view::npos || secret_start == label_end) return;
  const std::string_view label = text.substr(0, label_end);
  std::string* target = label == "CLIENT_TRAFFIC_SECRET_0"   ? &io->client_secret
                        : label == "SERVER_TRAFFIC_SECRET_0" ? &io->server_secret
                                                             : nullptr;
  if (target == nullptr) return;
  std::array<unsigned char, 64> secret{};
  std::size_t length = 0;
  const std::string hex(text.substr(secret_start + 1));
  if (OPENSSL_hexstr2buf_ex(secret.data(), secret.size(), &length, hex.c_str(), '\0') == 1) {
    target->assign(reinterpret_cast<const char*>(secret.data()), length);
  }
  OPENSSL_cleanse(secret.data(), secret.size());
}

std::optional<Suite> suite_of(const SSL* ssl) {
  const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl);
  if (cipher == nullptr) return std::nullopt;
  switch (SSL_CIPHER_get_protocol_id(cipher)) {
    case 0x1301:
      return Suite::kAes128GcmSha256;
    case 0x1302:
      return Suite::kAes256GcmSha384;
    case 0x1303:
      return Suite::kChaCha20Poly1305Sha256;
    default:
      return std::nullopt;
  }
}

std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

void capture_traffic_secrets(SSL_CTX* ctx) { SSL_CTX_set_keylog_callback(ctx, capture_secret); }

Result<TlsSession> TlsSession::client(SSL_CTX* ctx, std::string_view host) {
  auto session = make(ctx);
  if (!session) return session;
  SSL_set_connect_state(session->ssl_.get());
  if (auto ok = set_expected_host(session->ssl_.get(), host); !ok) return fail(ok.error());
  return session;
}

Result<TlsSession> TlsSession::server(SSL_CTX* ctx, AfterHandshake after) {
  auto session = make(ctx);
  if (!session) return session;
  SSL_set_accept_state(session->ssl_.get());
  session->io_->capture_secrets = after == AfterHandshake::kOwnRecordLayer;
  return session;
}

Result<TlsSession> TlsSession::make(SSL_CTX* ctx) {
  if (ctx == nullptr) return fail("tls_config", "no TLS context");
  const BIO_METHOD* method = session_bio_method();
  SslPtr ssl(SSL_new(ctx));
  BIO* bio = method == nullptr ? nullptr : BIO_new(method);
  if (!ssl || bio == nullptr) {
    BIO_free(bio);
    return detail::fail_openssl("tls_error", "could not create a TLS session");
  }
  auto io = std::make_unique<Io>();
  BIO_set_data(bio, io.get());
  SSL_set_bio(ssl.get(), bio, bio);  // ssl now owns the one reference
  return TlsSession(std::move(ssl), std::move(io));
}

TlsSession::TlsSession(SslPtr ssl, std::unique_ptr<Io> io) : io_(std::move(io)), ssl_(std::move(ssl)) {}

TlsSession::TlsSession(TlsSession&& other) noexcept
    : io_(std::move(other.io_)),
      ssl_(std::move(other.ssl_)),
      state_(std::exchange(other.state_, State::kFailed)),
      plaintext_(std::move(other.plaintext_)),
      records_(std::move(other.records_)),
      records_refused_(std::move(other.records_refused_)) {}

TlsSession& TlsSession::operator=(TlsSession&& other) noexcept {
  if (this != &other) {
    ssl_.reset();  // before the Io its BIO points into
    io_ = std::move(other.io_);
    ssl_ = std::move(other.ssl_);
    state_ = std::exchange(other.state_, State::kFailed);
    plaintext_ = std::move(other.plaintext_);
    records_ = std::move(other.records_);
    records_refused_ = std::move(other.records_refused_);
  }
  return *this;
}

TlsSession::~TlsSession() = default;

Result<void> TlsSession::advance() {
  switch (state_) {
    case State::kHandshaking:
      break;
    case State::kOpen:
    case State::kClosed:
      return {};
    case State::kFailed:
      return fail("tls_state", "the TLS session has already failed");
  }
  ERR_clear_error();
  // Even a failed handshake leaves an alert for the peer in the output.
  const int rc = SSL_do_handshake(ssl_.get());
  if (rc == 1) {
    state_ = State::kOpen;
    return {};
  }
  const int error = SSL_get_error(ssl_.get(), rc);
  if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) return {};
  state_ = State::kFailed;
  std::string reason = verify_failure_reason(ssl_.get());
  std::string details = openssl_errors();
  if (reason.empty()) reason = details.empty() ? "the TLS handshake failed" : std::move(details);
  return fail("tls_handshake", std::move(reason));
}

Result<void> TlsSession::receive(std::span<const std::uint8_t> ciphertext) {
  if (state_ == State::kFailed) return fail("tls_state", "the TLS session has already failed");
  // After the peer's close_notify nothing it sends is meaningful.
  if (state_ == State::kClosed) return {};
  if (records_) return receive_records(ciphertext);
  io_->input = ciphertext;
  auto result = [&]() -> Result<void> {
    if (state_ == State::kHandshaking) {
      if (auto ok = advance(); !ok || state_ == State::kHandshaking) return ok;
      if (io_->capture_secrets) start_own_records();
      if (records_) return receive_records(std::exchange(io_->input, {}));
    }
    // Each iteration consumes input or stops; the input is finite.
    for (;;) {
      std::array<char, kChunk> buffer;  // filled by SSL_read; no need to clear it
      ERR_clear_error();
      const int n = SSL_read(ssl_.get(), buffer.data(), static_cast<int>(buffer.size()));
      if (n > 0) {
        plaintext_.append(buffer.data(), static_cast<std::size_t>(n));
        continue;
      }
      const int error = SSL_get_error(ssl_.get(), n);
      if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) return {};
      if (error == SSL_ERROR_ZERO_RETURN) {
        state_ = State::kClosed;
        return {};
      }
      state_ = State::kFailed;
      // TLS 1.3 finishes client authentication after the client's handshake
      // completes, so a refused client certificate surfaces here.
      std::string reason = verify_failure_reason(ssl_.get());
      Error error_result = openssl_error("tls_error", "the TLS connection failed");
      if (!reason.empty()) error_result.message = reason + " (" + error_result.message + ")";
      return fail(std::move(error_result));
    }
  }();
  keep_unread_input();
  return result;
}

void TlsSession::keep_unread_input() {
  // SSL reads until it wants more, so this is rare: a handshake that
  // failed, or a close_notify followed by more bytes.
  if (!io_->input.empty() && state_ != State::kFailed && state_ != State::kClosed) {
    io_->unread.append(reinterpret_cast<const char*>(io_->input.data()), io_->input.size());
  }
  io_->input = {};
}

std::string TlsSession::take_plaintext() { return std::exchange(plaintext_, std::string()); }

Result<void> TlsSession::receive_records(std::span<const std::uint8_t> ciphertext) {
  auto status = records_->open(ciphertext, plaintext_, io_->output);
  if (!status) {
    state_ = State::kFailed;
    return fail(status.error());
  }
  if (*status == RecordLayer::Status::kClosed) state_ = State::kClosed;
  return {};
}

void TlsSession::start_own_records() {
  const std::optional<Suite> suite = suite_of(ssl_.get());
  if (!suite) {
    records_refused_ = Error{"tls_config", std::string("the record layer does not implement ") +
                                               SSL_get_cipher_name(ssl_.get())};
  } else if (io_->client_secret.empty() || io_->server_secret.empty()) {
    records_refused_ = Error{"tls_config", "no traffic secrets were learnt (a context not from "
                                           "make_server_context)"};
  } else if (SSL_get_num_tickets(ssl_.get()) != 0) {
    // Tickets would already have been sent under the traffic key.
    records_refused_ = Error{"tls_config", "the context sends session tickets"};
  } else if (SSL_has_pending(ssl_.get()) != 0 || io_->unread_offset < io_->unread.size()) {
    // OpenSSL reads exactly one record at a time, so this would be a change
    // in OpenSSL; what it read past the handshake is its own.
    records_refused_ = Error{"tls_state", "OpenSSL read past the end of the handshake"};
  } else {
    // No application record has passed either way yet, so both sequence
    // numbers start at 0: the peer's first record follows its Finished, and
    // this side (no session tickets) has sent none.
    auto layer = RecordLayer::make(*suite, bytes_of(io_->client_secret), bytes_of(io_->server_secret));
    if (layer) {
      records_ = std::make_unique<RecordLayer>(std::move(*layer));
    } else {
      records_refused_ = layer.error();
    }
  }
  io_->forget_secrets();
}

Result<void> TlsSession::release_openssl() {
  if (records_refused_) return fail(*records_refused_);
  if (!records_) {
    return fail("tls_state", state_ == State::kHandshaking ? "the handshake is not finished"
                             : state_ == State::kFailed    ? "the TLS session failed"
                                                           : "this session was not made for its own record layer");
  }
  ssl_.reset();
  return {};
}

Result<void> TlsSession::send(std::span<const std::uint8_t> plaintext) {
  if (state_ != State::kOpen) {
    return fail("tls_state", "cannot send: the TLS session is not open");
  }
  if (records_) {
    auto sealed = records_->seal(plaintext, io_->output);
    if (!sealed) state_ = State::kFailed;
    return sealed;
  }
  // Without SSL_MODE_ENABLE_PARTIAL_WRITE, SSL_write takes all it is given
  // or fails; the BIO never blocks, so a short write is an error.
  while (!plaintext.empty()) {
    const std::size_t chunk = std::min<std::size_t>(plaintext.size(), INT_MAX);
    ERR_clear_error();
    const int n = SSL_write(ssl_.get(), plaintext.data(), static_cast<int>(chunk));
    if (n <= 0) {
      state_ = State::kFailed;
      return fail(openssl_error("tls_error", "could not encrypt outgoing data"));
    }
    plaintext = plaintext.subspan(static_cast<std::size_t>(n));
  }
  return {};
}

std::span<const std::uint8_t> TlsSession::pending_output() const {
  const auto* data = reinterpret_cast<const std::uint8_t*>(io_->output.data());
  return {data + io_->output_consumed, io_->output.size() - io_->output_consumed};
}

void TlsSession::consume_output(std::size_t n) {
  std::string& output = io_->output;
  std::size_t& consumed = io_->output_consumed;
  consumed += std::min(n, output.size() - consumed);
  if (consumed == output.size()) {
    // Drained: an idle connection keeps no buffer.
    std::string().swap(output);
    consumed = 0;
  } else if (consumed >= kChunk && consumed * 2 >= output.size()) {
    // Compact so a slow network does not make the buffer grow without end.
    output.erase(0, consumed);
    consumed = 0;
  }
}

std::string TlsSession::take_output() {
  std::string out = std::exchange(io_->output, std::string());
  out.erase(0, std::exchange(io_->output_consumed, 0));
  return out;
}

bool TlsSession::wants_write() const { return io_->output.size() > io_->output_consumed; }

Result<void> TlsSession::update_keys(bool request_peer_update) {
  if (state_ != State::kOpen) return fail("tls_state", "cannot update keys: the TLS session is not open");
  if (records_) {
    auto updated = records_->update_keys(request_peer_update, io_->output);
    if (!updated) state_ = State::kFailed;
    return updated;
  }
  ERR_clear_error();
  // SSL_key_update only schedules the message; SSL_do_handshake writes it.
  if (SSL_key_update(ssl_.get(), request_peer_update ? SSL_KEY_UPDATE_REQUESTED
                                                     : SSL_KEY_UPDATE_NOT_REQUESTED) != 1 ||
      SSL_do_handshake(ssl_.get()) != 1) {
    return fail(openssl_error("tls_error", "could not update the keys"));
  }
  return {};
}

void TlsSession::shutdown() {
  if (records_) {
    if (state_ == State::kOpen) records_->close(io_->output);
  } else if (state_ == State::kOpen && ssl_) {
    ERR_clear_error();
    // 0 means "close_notify queued, the peer's not seen yet": all we need.
    (void)SSL_shutdown(ssl_.get());
    ERR_clear_error();
  }
  if (state_ != State::kFailed) state_ = State::kClosed;
}

}  // namespace helpline::tls
