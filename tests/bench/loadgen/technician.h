// The technician's side of the load generator: one keep-alive HTTPS
// connection to the relay API (the relay CA pinned, verification on), a
// login, an enrollment token for the simulated agents, and timed pings
// (POST /api/v1/devices/{id}/ping: the relay sends Request{ping} through
// the tunnel and answers once the agent's Pong is back).
//
// Thread: one owner; each call runs its own io_context until done.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/core/host_port.h"
#include "common/core/result.h"

namespace helpline::loadgen {

struct PingSeries {
  std::size_t sent = 0;
  std::size_t ok = 0;
  std::size_t lost = 0;                      // error answers or transport failures
  std::string first_error;                   // what the first lost one said
  std::vector<double> round_trip_us;         // HTTP request to response, at the client
  std::vector<double> tunnel_us;             // the relay's own round_trip_ms, in us
  double seconds = 0;
};

// A bundle's way through the relay: collected from the agent into the
// relay's store (POST /api/v1/devices/{id}/diag, answered once stored),
// then downloaded (GET /api/v1/diag/{id}/content).
struct BundleTransfer {
  std::size_t bytes = 0;
  double upload_seconds = 0;
  double download_seconds = 0;
};

class Technician {
 public:
  // Errors: "tls_config" for a bad pin.
  [[nodiscard]] static Result<std::unique_ptr<Technician>> create(HostPort api, std::string ca_pin);
  ~Technician();

  // POST /api/v1/login. Errors: "login_failed" with the relay's message.
  [[nodiscard]] Result<void> login(const std::string& user, const std::string& password);
  // POST /api/v1/enroll-tokens for `uses` enrollments in group "loadgen".
  [[nodiscard]] Result<std::string> create_enroll_token(std::uint32_t uses);
  // `count` pings to `device_id`, one after the other on the one connection.
  [[nodiscard]] PingSeries ping(const std::string& device_id, std::size_t count);
  // Errors: the relay's answer when not 2xx, "bad_content" when the
  // download is not byte for byte the bundle `expected_id`.
  [[nodiscard]] Result<BundleTransfer> transfer_bundle(const std::string& device_id,
                                                       const std::string& expected_id);

 private:
  struct Connection;
  struct Reply {
    unsigned status = 0;
    std::string body;
  };
  Technician(HostPort api, boost::asio::ssl::context ssl);
  // One request on the kept-alive connection (reconnecting once if the
  // relay closed it). Errors: "connect_failed", "tls_handshake", "http_error".
  [[nodiscard]] Result<Reply> call(const std::string& method, const std::string& target,
                                   const std::string& body);

  HostPort api_;
  boost::asio::io_context io_;
  boost::asio::ssl::context ssl_;
  std::unique_ptr<Connection> connection_;
  std::string token_;
};

}  // namespace helpline::loadgen
