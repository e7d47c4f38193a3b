// A loopback HTTP(S) server for tests of what the relay sends out
// (webhooks): it listens on 127.0.0.1 port 0, answers each request with the
// next status of a script (the last one repeats) and records every request
// it read. One connection at a time, in a thread of its own; every read
// and accept is bounded by poll() timeouts so stopping never hangs.
//
// With a TLS server context it speaks HTTPS (OpenSSL, blocking).
//
// Thread: the methods are safe from the test's thread while the server
// thread runs.
#pragma once

#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace helpline::testing {

struct ReceivedRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  int answered = 0;  // the status it was answered with

  [[nodiscard]] std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

class HttpReceiver {
 public:
  // `statuses`: the answer to the 1st, 2nd, ... request; the last repeats.
  // `tls`: a server SSL_CTX (the receiver takes a reference) or null.
  explicit HttpReceiver(std::vector<int> statuses, SSL_CTX* tls = nullptr);
  ~HttpReceiver();
  HttpReceiver(const HttpReceiver&) = delete;
  HttpReceiver& operator=(const HttpReceiver&) = delete;

  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] std::vector<ReceivedRequest> requests() const;
  [[nodiscard]] std::size_t count() const;
  // Connections that ended without a whole request (e.g. a TLS handshake
  // the client refused).
  [[nodiscard]] std::size_t failed_connections() const { return failed_.load(); }

 private:
  void serve();
  void handle(int fd);

  std::vector<int> statuses_;
  SSL_CTX* tls_ = nullptr;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<std::size_t> failed_{0};
  mutable std::mutex mutex_;
  std::vector<ReceivedRequest> requests_;
  std::thread thread_;
};

}  // namespace helpline::testing
