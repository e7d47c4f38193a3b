#include "tests/support/http_receiver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace helpline::testing {
namespace {

constexpr int kPollMs = 50;
constexpr int kReadPatienceMs = 10'000;
constexpr std::size_t kMaxRequest = 8u << 20;

// Reads some bytes (plain or TLS) with a bounded wait; 0 on end or failure.
[[nodiscard]] long read_some(int fd, SSL* ssl, char* buffer, std::size_t size) {
  if (ssl != nullptr && SSL_pending(ssl) > 0) {
    return SSL_read(ssl, buffer, static_cast<int>(size));
  }
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, kReadPatienceMs) <= 0) return 0;
  if (ssl != nullptr) {
    int n = SSL_read(ssl, buffer, static_cast<int>(size));
    return n > 0 ? n : 0;
  }
  return ::read(fd, buffer, size);
}

void write_all(int fd, SSL* ssl, const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    long n = ssl != nullptr
                 ? SSL_write(ssl, data.data() + done, static_cast<int>(data.size() - done))
                 : ::write(fd, data.data() + done, data.size() - done);
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

[[nodiscard]] std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

[[nodiscard]] std::string trim(const std::string& text) {
  auto start = text.find_first_not_of(" \t");
  auto end = text.find_last_not_of(" \t\r");
  return start == std::string::npos ? std::string() : text.substr(start, end - start + 1);
}

}  // namespace

HttpReceiver::HttpReceiver(std::vector<int> statuses, SSL_CTX* tls)
    : statuses_(std::move(statuses)), tls_(tls) {
  if (statuses_.empty()) statuses_.push_back(200);
  if (tls_ != nullptr) SSL_CTX_up_ref(tls_);
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  if (listen_fd_ < 0 ||
      ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listen_fd_, 16) != 0) {
    throw std::runtime_error("HttpReceiver: cannot listen on 127.0.0.1");
  }
  socklen_t length = sizeof address;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { serve(); });
}

HttpReceiver::~HttpReceiver() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  if (tls_ != nullptr) SSL_CTX_free(tls_);
}

std::vector<ReceivedRequest> HttpReceiver::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::size_t HttpReceiver::count() const {
  std::lock_guard lock(mutex_);
  return requests_.size();
}

void HttpReceiver::serve() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, kPollMs) <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    handle(fd);
    ::close(fd);
  }
}

void HttpReceiver::handle(int fd) {
  SSL* ssl = nullptr;
  if (tls_ != nullptr) {
    ssl = SSL_new(tls_);
    SSL_set_fd(ssl, fd);
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, kReadPatienceMs) <= 0 || SSL_accept(ssl) != 1) {
      ++failed_;
      SSL_free(ssl);
      return;
    }
  }
  std::string data;
  char buffer[16384];
  std::size_t header_end = std::string::npos;
  while (header_end == std::string::npos && data.size() < kMaxRequest) {
    long n = read_some(fd, ssl, buffer, sizeof buffer);
    if (n <= 0) break;
    data.append(buffer, static_cast<std::size_t>(n));
    header_end = data.find("\r\n\r\n");
  }
  ReceivedRequest request;
  bool whole = false;
  if (header_end != std::string::npos) {
    std::size_t line_end = data.find("\r\n");
    std::string first = data.substr(0, line_end);
    auto space = first.find(' ');
    request.method = first.substr(0, space);
    request.target = first.substr(space + 1, first.find(' ', space + 1) - space - 1);
    std::size_t pos = line_end + 2;
    while (pos < header_end) {
      std::size_t end = data.find("\r\n", pos);
      std::string line = data.substr(pos, end - pos);
      auto colon = line.find(':');
      if (colon != std::string::npos) {
        request.headers[lower(line.substr(0, colon))] = trim(line.substr(colon + 1));
      }
      pos = end + 2;
    }
    std::size_t length = 0;
    if (auto it = request.headers.find("content-length"); it != request.headers.end()) {
      length = std::stoul(it->second);
    }
    request.body = data.substr(header_end + 4);
    while (request.body.size() < length && request.body.size() < kMaxRequest) {
      long n = read_some(fd, ssl, buffer, sizeof buffer);
      if (n <= 0) break;
      request.body.append(buffer, static_cast<std::size_t>(n));
    }
    whole = request.body.size() >= length;
  }
  if (whole) {
    int status = 200;
    {
      std::lock_guard lock(mutex_);
      status = statuses_[std::min(requests_.size(), statuses_.size() - 1)];
      request.answered = status;
      requests_.push_back(request);
    }
    const std::string text = status < 300 ? "OK" : "Server Error";
    write_all(fd, ssl,
              "HTTP/1.1 " + std::to_string(status) + " " + text +
                  "\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
  } else {
    ++failed_;
  }
  if (ssl != nullptr) {
    SSL_shutdown(ssl);
    SSL_free(ssl);
  }
}

}  // namespace helpline::testing
