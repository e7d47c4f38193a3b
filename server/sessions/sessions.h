// server/sessions: remote sessions on the relay (docs/sessions.md). Public
// face of the module.
//
// SessionService takes a technician's request (role per capability,
// ticket, reason), records it in the audit log, asks the device's agent
// over the tunnel (SessionOpen) and waits for the end user's decision;
// keeps the active sessions in memory (a relay restart ends them: the
// agents see their link drop and end theirs); ends them when the
// technician closes one, the agent reports an end (the user, idle timeout),
// the device's link drops or the relay stops. Each capability runs on its
// own tunnel channel, bridged to a WebSocket from the technician's CLI
// (bridge()); shells are recorded as asciicast v2 and attached to the
// session's ticket when they end.
//
// Roles (docs/security.md): shell, files and forward need l2; a root
// shell needs l3; admin may do everything. Only the technician who opened
// a session uses and closes it (an admin may close any).
//
// Thread: the relay's io_context thread. Lifetime: the references outlive
// the service; stop() before the io_context stops.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/core/result.h"
#include "helpline/v1/session_api.pb.h"
#include "server/audit/audit_log.h"
#include "server/blobs/blob_store.h"
#include "server/net/websocket.h"
#include "server/store/store.h"
#include "server/tunnel/agent_requests.h"
#include "server/tunnel/tunnel.h"

namespace helpline::relay::sessions {

// How long the relay waits for the agent's decision: the end user's
// consent timeout (60 s by default) and a margin.
inline constexpr std::chrono::seconds kDecisionTimeout{150};
inline constexpr std::uint64_t kMaxRecordingBytes = 64ull << 20;

// What a WebSocket bridges to ("shell", "file_pull", "file_push", "forward").
struct StreamRequest {
  std::string kind;
  std::string metadata;  // a serialized v1::SessionStreamOpen
  std::string describe;  // for the audit: "pull /home/ann/x.log"
  std::uint32_t cols = 80;  // shell: for the recording's header
  std::uint32_t rows = 24;
  std::string term;
};

class Bridge;

class SessionService final : public AgentRequests {
 public:
  SessionService(boost::asio::io_context& io, Store& store, Tunnel& tunnel,
                 blobs::BlobStore& blobs, audit::AuditLog& audit);
  ~SessionService() override;

  // Errors (code -> HTTP status in the API): "bad_capability", "bad_request"
  // (field named), "role_too_low", "not_found", "device_offline", and the
  // agent's refusal: "denied", "timeout", "no_user", "root_not_allowed",
  // "busy", ...
  [[nodiscard]] boost::asio::awaitable<Result<v1::api::RemoteSession>> open(
      const User& user, v1::api::OpenSessionRequest request);
  // Errors: "not_found", "forbidden" (another technician's session).
  [[nodiscard]] boost::asio::awaitable<Result<v1::api::RemoteSession>> close(
      const User& user, std::string id, std::string reason);
  // Errors: "not_found".
  [[nodiscard]] Result<v1::api::RemoteSession> get(const std::string& id) const;
  // Newest first: the active ones and the last ended ones.
  [[nodiscard]] v1::api::RemoteSessionList list() const;

  // Checks that `user` may use capability `capability` of session `id`
  // now. Errors: "not_found", "forbidden", "session_ended",
  // "capability_not_granted", "device_offline".
  [[nodiscard]] Result<void> check_stream(const User& user, const std::string& id,
                                          std::string_view capability) const;
  // Serves an accepted WebSocket: opens the agent stream and moves bytes
  // both ways until either side ends. check_stream() first.
  [[nodiscard]] boost::asio::awaitable<void> bridge(const User& user, std::string id,
                                                    StreamRequest request, net::WebSocket& ws);

  // Agent -> relay SessionEnded.
  [[nodiscard]] boost::asio::awaitable<v1::Response> handle(std::shared_ptr<AgentSession> session,
                                                            v1::Request request) override;
  // The device's link ended: its sessions end.
  void on_device_offline(const std::string& device_id);
  // The relay is stopping: every active session ends.
  void stop();

  // For bridges.
  [[nodiscard]] audit::AuditLog& audit() { return audit_; }
  [[nodiscard]] blobs::BlobStore& blobs() { return blobs_; }
  [[nodiscard]] Store& store() { return store_; }
  void add_recording(const std::string& id, const std::string& blob_id);

 private:
  struct Active {
    v1::api::RemoteSession info;
    std::set<std::shared_ptr<Bridge>> bridges;
  };

  void end(const std::string& id, const std::string& actor, const std::string& event,
           const std::string& reason);

  boost::asio::io_context& io_;
  Store& store_;
  Tunnel& tunnel_;
  blobs::BlobStore& blobs_;
  audit::AuditLog& audit_;
  std::map<std::string, Active> sessions_;  // active and recently ended
  std::vector<std::string> ended_order_;    // ended ids, oldest first (bounded)
};

}  // namespace helpline::relay::sessions
