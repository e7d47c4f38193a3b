#include "tests/support/tls_test_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

namespace helpline::testing {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// Larger than anything the relay may send; only a guard for the test itself.
constexpr std::uint32_t kMaxFrame = 16u * 1024 * 1024;
constexpr int kReadChunk = 16 * 1024;

struct CtxDeleter {
  void operator()(SSL_CTX* p) const { SSL_CTX_free(p); }
};
struct SslDeleter {
  void operator()(SSL* p) const { SSL_free(p); }
};

[[nodiscard]] std::string openssl_errors() {
  std::string text;
  while (unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    if (!text.empty()) text += "; ";
    text += buffer;
  }
  return text;
}

void ignore_sigpipe_once() {
  static std::once_flag once;
  std::call_once(once, [] { ::signal(SIGPIPE, SIG_IGN); });
}

void set_receive_timeout(int fd, milliseconds timeout) {
  // 0 would mean "block forever": never ask for that.
  if (timeout < milliseconds(1)) timeout = milliseconds(1);
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

[[nodiscard]] Result<std::unique_ptr<SSL_CTX, CtxDeleter>> make_context(
    const TlsClientOptions& options) {
  std::unique_ptr<SSL_CTX, CtxDeleter> ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return fail("tls_config", "SSL_CTX_new: " + openssl_errors());
  SSL_CTX_set_max_proto_version(ctx.get(), options.max_version);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  if (SSL_CTX_load_verify_locations(ctx.get(), options.ca_pem.c_str(), nullptr) != 1) {
    return fail("tls_config",
                "cannot load CA " + options.ca_pem.string() + ": " + openssl_errors());
  }
  if (!options.cert_pem.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), options.cert_pem.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx.get(), options.key_pem.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx.get()) != 1) {
      return fail("tls_config", "cannot load client identity " + options.cert_pem.string() + ": " +
                                    openssl_errors());
    }
  }
  return ctx;
}

[[nodiscard]] Result<int> connect_loopback(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail("connect_failed", std::string("socket: ") + std::strerror(errno));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    int saved = errno;
    ::close(fd);
    return fail("connect_failed",
                "connect to 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(saved));
  }
  return fd;
}

}  // namespace

struct TlsTestClient::Impl {
  std::unique_ptr<SSL_CTX, CtxDeleter> ctx;
  std::unique_ptr<SSL, SslDeleter> ssl;
  int fd = -1;
  std::string buffer;  // plaintext received, not yet framed

  ~Impl() {
    ssl.reset();
    if (fd >= 0) ::close(fd);
  }

  enum class Got { kBytes, kNothingYet, kClosed };

  // Appends what one SSL_read brings within `timeout`; on kClosed, `detail`
  // says how the link ended.
  Got read_some(milliseconds timeout, std::string& detail) {
    set_receive_timeout(fd, timeout);
    char chunk[kReadChunk];
    ERR_clear_error();
    errno = 0;
    int n = SSL_read(ssl.get(), chunk, sizeof chunk);
    if (n > 0) {
      buffer.append(chunk, static_cast<std::size_t>(n));
      return Got::kBytes;
    }
    int saved_errno = errno;
    switch (SSL_get_error(ssl.get(), n)) {
      case SSL_ERROR_ZERO_RETURN:
        detail = "close_notify";
        return Got::kClosed;
      case SSL_ERROR_WANT_READ:
      case SSL_ERROR_WANT_WRITE:
        return Got::kNothingYet;  // the receive timeout expired
      case SSL_ERROR_SYSCALL:
        if (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK || saved_errno == EINTR) {
          return Got::kNothingYet;
        }
        detail = saved_errno == 0 ? "EOF" : std::strerror(saved_errno);
        return Got::kClosed;
      default:
        detail = "TLS error: " + openssl_errors();
        return Got::kClosed;
    }
  }
};

TlsTestClient::TlsTestClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TlsTestClient::TlsTestClient(TlsTestClient&&) noexcept = default;
TlsTestClient& TlsTestClient::operator=(TlsTestClient&&) noexcept = default;
TlsTestClient::~TlsTestClient() = default;

Result<TlsTestClient> TlsTestClient::connect(const TlsClientOptions& options) {
  ignore_sigpipe_once();
  auto impl = std::make_unique<Impl>();
  auto ctx = make_context(options);
  if (!ctx) return fail(ctx.error());
  impl->ctx = std::move(*ctx);
  auto fd = connect_loopback(options.port);
  if (!fd) return fail(fd.error());
  impl->fd = *fd;
  set_receive_timeout(impl->fd, options.timeout);

  impl->ssl.reset(SSL_new(impl->ctx.get()));
  if (!impl->ssl) return fail("tls_config", "SSL_new: " + openssl_errors());
  X509_VERIFY_PARAM* param = SSL_get0_param(impl->ssl.get());
  if (X509_VERIFY_PARAM_set1_ip_asc(param, "127.0.0.1") != 1 ||
      SSL_set_fd(impl->ssl.get(), impl->fd) != 1) {
    return fail("tls_config", "cannot set up the TLS connection: " + openssl_errors());
  }
  ERR_clear_error();
  if (int rc = SSL_connect(impl->ssl.get()); rc != 1) {
    int code = SSL_get_error(impl->ssl.get(), rc);
    std::string why = openssl_errors();
    if (why.empty()) why = "SSL_get_error " + std::to_string(code);
    return fail("handshake_failed", why);
  }
  return TlsTestClient(std::move(impl));
}

int TlsTestClient::version() const { return SSL_version(impl_->ssl.get()); }

Result<void> TlsTestClient::send_raw(std::string_view bytes) {
  while (!bytes.empty()) {
    ERR_clear_error();
    std::size_t written = 0;
    if (SSL_write_ex(impl_->ssl.get(), bytes.data(), bytes.size(), &written) != 1) {
      return fail("write_failed", "SSL_write: " + openssl_errors() + " " + std::strerror(errno));
    }
    bytes.remove_prefix(written);
  }
  return {};
}

Result<void> TlsTestClient::send_frame(const v1::Frame& frame) {
  return send_raw(encode_frame(frame));
}

FrameRead TlsTestClient::read_frame(milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  FrameRead result;
  while (true) {
    std::string& buffer = impl_->buffer;
    if (buffer.size() >= 4) {
      auto byte = [&buffer](std::size_t i) {
        return static_cast<std::uint32_t>(static_cast<unsigned char>(buffer[i]));
      };
      std::uint32_t length = byte(0) << 24 | byte(1) << 16 | byte(2) << 8 | byte(3);
      if (length > kMaxFrame) {
        result.kind = FrameRead::Kind::kError;
        result.detail = "frame length " + std::to_string(length) + " is too large";
        return result;
      }
      if (buffer.size() >= 4 + std::size_t{length}) {
        if (!result.frame.ParseFromArray(buffer.data() + 4, static_cast<int>(length))) {
          result.kind = FrameRead::Kind::kError;
          result.detail = "a frame that does not parse";
          return result;
        }
        buffer.erase(0, 4 + std::size_t{length});
        result.kind = FrameRead::Kind::kFrame;
        return result;
      }
    }
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left <= milliseconds(0)) {
      result.kind = FrameRead::Kind::kTimeout;
      return result;
    }
    if (impl_->read_some(left, result.detail) == Impl::Got::kClosed) {
      result.kind = FrameRead::Kind::kClosed;
      return result;
    }
  }
}

CloseWait TlsTestClient::read_until_closed(milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  CloseWait wait;
  while (true) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left <= milliseconds(0)) {
      wait.detail = "still open after " + std::to_string(timeout.count()) + " ms";
      return wait;
    }
    FrameRead read = read_frame(left);
    switch (read.kind) {
      case FrameRead::Kind::kFrame:
        wait.frames.push_back(std::move(read.frame));
        break;
      case FrameRead::Kind::kClosed:
        wait.closed = true;
        wait.detail = read.detail;
        return wait;
      case FrameRead::Kind::kError:
        wait.detail = read.detail;
        return wait;
      case FrameRead::Kind::kTimeout:
        break;
    }
  }
}

std::string encode_frame(const v1::Frame& frame) {
  std::string body = frame.SerializeAsString();
  auto size = static_cast<std::uint32_t>(body.size());
  std::string out;
  out.reserve(4 + body.size());
  out.push_back(static_cast<char>((size >> 24) & 0xff));
  out.push_back(static_cast<char>((size >> 16) & 0xff));
  out.push_back(static_cast<char>((size >> 8) & 0xff));
  out.push_back(static_cast<char>(size & 0xff));
  out += body;
  return out;
}

}  // namespace helpline::testing
