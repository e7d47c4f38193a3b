// server/tunnel: the agent listener. Accepts agent links, runs enrollment,
// keeps the registry of online devices, routes technicians' requests to
// them, and drops links that go silent.
//
// Thread: one io_context thread runs the tunnel, the API and the store, so
// nothing here locks. Lifetime: outlives every AgentSession it starts (stop()
// closes them; the io_context must then run until they have ended).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <span>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <functional>
#include <vector>

#include "common/core/host_port.h"
#include "common/core/result.h"
#include "common/tls/tls.h"
#include "helpline/v1/tunnel.pb.h"
#include "server/ca/relay_ca.h"
#include "server/config/relay_config.h"
#include "server/store/store.h"
#include "server/tunnel/agent_requests.h"
#include "server/tunnel/agent_session.h"
#include "server/tunnel/deadline_queue.h"
#include "server/tunnel/device_desk.h"
#include "server/tunnel/enrollment.h"

namespace helpline::relay {

// What the API shows of a live link.
struct LinkInfo {
  bool online = false;
  UnixMillis connected_since = 0;
  std::string remote;
};

class Tunnel {
 public:
  // All references must outlive the tunnel.
  Tunnel(boost::asio::io_context& io, Store& store, RelayCa& ca, const RelayConfig& config);
  ~Tunnel();

  // Binds the agent listener. Returns the bound address (the real port when
  // `where` asked for port 0). Errors: "tls_config", "listen_failed".
  [[nodiscard]] Result<HostPort> listen(const HostPort& where);
  // Starts accepting and the liveness sweep.
  void start();
  // Stops accepting and closes every link with Goodbye "shutting down".
  void stop();

  [[nodiscard]] LinkInfo link_info(std::string_view device_id) const;
  [[nodiscard]] std::size_t online_count() const { return online_.size(); }
  // Links in any phase, including ones still handshaking or closing.
  [[nodiscard]] std::size_t session_count() const { return sessions_.size(); }

  // Sends a request to an online device and waits for its answer. With a
  // `sink`, the stream the device opens in answer goes there (see
  // AgentSession::request). Errors: "device_offline", "timeout".
  [[nodiscard]] boost::asio::awaitable<Result<v1::Response>> request(
      std::string device_id, v1::Request request, std::chrono::milliseconds timeout,
      std::shared_ptr<StreamSink> sink = nullptr);

  // The helpdesk that serves devices' own tickets (report, tickets, reply,
  // rate). Without one, those requests are answered "unavailable". Not
  // owned; must outlive the tunnel.
  void set_device_desk(DeviceDesk* desk) { desk_ = desk; }
  [[nodiscard]] DeviceDesk* device_desk() const { return desk_; }
  // What answers requests agents send (deliveries, their tickets). Without
  // one, they are answered "unsupported". Not owned; outlives the tunnel.
  void set_agent_requests(AgentRequests* handler) { agent_requests_ = handler; }
  [[nodiscard]] AgentRequests* agent_requests() const { return agent_requests_; }

  // --- the signed action catalog (catalog_offers.cpp, catalog_state.h) ---
  // Offers the published catalog to every online device (each answers on
  // its own; refusals are logged). Returns how many it was offered to.
  std::size_t offer_catalog_to_online();
  // After a device's hello: offers the published catalog when the device
  // reported an older one (or none).
  void offer_catalog_after_hello(const std::shared_ptr<AgentSession>& session,
                                 std::uint64_t device_version);

  // The live link of an online device, or nullptr.
  [[nodiscard]] std::shared_ptr<AgentSession> session_for(std::string_view device_id) const;
  // Called (on the io thread) after a device's link ended, also one a newer
  // link of the same device replaced, so remote sessions over it end too.
  void add_offline_listener(std::function<void(const std::string& device_id)> listener) {
    offline_listeners_.push_back(std::move(listener));
  }

  // Ends a device's live link (if any) with Goodbye{code, message}.
  void disconnect(std::string_view device_id, const std::string& code, const std::string& message);

  // --- for AgentSession ---
  [[nodiscard]] SSL_CTX* ssl_context() const { return ssl_ctx_.get(); }
  [[nodiscard]] Store& store() { return store_; }
  [[nodiscard]] Enrollment& enrollment() { return enrollment_; }
  [[nodiscard]] const RelayConfig& config() const { return config_; }
  [[nodiscard]] std::span<std::uint8_t> read_buffer() { return read_buffer_; }
  void on_online(const std::shared_ptr<AgentSession>& session);
  void on_offline(AgentSession* session);
  // A link entered / left its TLS handshake. Accepting pauses while
  // kMaxHandshakes are in progress, so that a crowd of returning agents
  // waits in the kernel's listen queue instead of each getting a slice of
  // the CPU until all run past the setup timeout.
  void handshake_started() { ++handshaking_; }
  void handshake_ended();
  void track(AgentSession* session) { sessions_.insert(session); }
  void untrack(AgentSession* session) { sessions_.erase(session); }
  // The sweep calls session->check_deadlines() once `at` has passed;
  // returns the entry's token (the session keeps its latest).
  [[nodiscard]] std::uint64_t schedule_check(AgentSession* session,
                                             std::chrono::steady_clock::time_point at) {
    return checks_.schedule(session, at);
  }

 private:
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> sweep_loop();
  // Writes last_seen for online devices with activity since their stored
  // value, when that value is older than `max_age`.
  void flush_last_seen(std::chrono::steady_clock::duration max_age);
  void offer_catalog(std::shared_ptr<AgentSession> session, std::string signed_bytes,
                     std::string org_key_pem, std::uint64_t version);

  boost::asio::io_context& io_;
  Store& store_;
  const RelayConfig& config_;
  Enrollment enrollment_;
  tls::SslCtxPtr ssl_ctx_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer sweep_timer_;
  boost::asio::steady_timer accept_gate_;  // accept_loop waits here at the handshake cap
  std::size_t handshaking_ = 0;
  std::unordered_map<std::string, std::weak_ptr<AgentSession>> online_;
  std::unordered_set<AgentSession*> sessions_;  // every live session, any phase
  DeadlineQueue<AgentSession*> checks_;          // when each session needs looking at
  // One for all links (each read is handled at once): large enough for a
  // few full TLS records per read, so few records are cut across reads.
  std::array<std::uint8_t, 64 * 1024> read_buffer_{};
  std::chrono::steady_clock::time_point last_flush_;
  DeviceDesk* desk_ = nullptr;
  AgentRequests* agent_requests_ = nullptr;
  bool stopping_ = false;
  std::vector<std::function<void(const std::string&)>> offline_listeners_;
};

}  // namespace helpline::relay
