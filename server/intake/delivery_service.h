// server/intake: what agents send the relay on their own (tunnel.proto,
// "store-and-forward deliveries"), as the tunnel's AgentRequests handler.
//
// deliver: the payload of one spooled item arrives on an "upload" stream
// (BlobUpload: size and SHA-256 checked), and is applied by kind:
//   bundle  SpooledBundle: the bundle is checked (bundle_intake.h), stored
//           in the blob store and recorded, attached to its ticket if that
//           still exists;
//   report  TicketReport: its bundle (if any) as above, then a ticket is
//           opened through the DeviceDesk;
//   reply   TicketReply, rating TicketRating: through the DeviceDesk.
// Exactly once: bundles are content-addressed (recording one again changes
// nothing) and the desk applies each idempotency key once, so a copy the
// agent sends again after a lost answer gets the first answer back.
// tickets / ticket: the device's own tickets, through the DeviceDesk.
// kb: public knowledge-base articles for the end user, through the DeviceDesk.
// retire: the device's agent is being uninstalled; it is marked retired
// (and revoked) and the session ends its link after the answer.
//
// Errors answered, by code. The agent drops an item for good on
// kPermanentDeliveryErrors ("bad_payload", "bad_value", "bad_bundle",
// "not_found", "bad_state", "too_large") and retries later on anything else
// ("unavailable" without a desk, "timeout", "hash_mismatch",
// "store_error", "blob_error", ...).
//
// Thread: the relay's io_context thread. References outlive the service.
#pragma once

#include <chrono>
#include <memory>

#include "server/audit/audit_log.h"
#include "server/blobs/blob_store.h"
#include "server/store/store.h"
#include "server/tunnel/agent_requests.h"
#include "server/tunnel/tunnel.h"

namespace helpline::relay::intake {

// The largest delivery payload: a full bundle plus its envelope.
inline constexpr std::uint64_t kMaxDeliveryBytes = (64u << 20) + (1u << 20);
// How long the relay waits for a delivery's upload stream to finish.
inline constexpr std::chrono::seconds kUploadTimeout{120};

class DeliveryService final : public AgentRequests {
 public:
  // The desk is read from `tunnel` at each call (Tunnel::device_desk).
  DeliveryService(Store& store, blobs::BlobStore& blobs, Tunnel& tunnel);

  // A device retiring itself is then written to `audit` ("device.retire"),
  // which must outlive this object.
  void set_audit(audit::AuditLog* audit) { audit_ = audit; }

  [[nodiscard]] boost::asio::awaitable<v1::Response> handle(std::shared_ptr<AgentSession> session,
                                                            v1::Request request) override;

 private:
  [[nodiscard]] boost::asio::awaitable<v1::Response> deliver(std::shared_ptr<AgentSession> session,
                                                             const v1::Request& request);
  [[nodiscard]] v1::Response retire(const std::string& device_id,
                                    const v1::RetireRequest& request);
  [[nodiscard]] Result<v1::DeliverResult> apply(const Device& device,
                                                const v1::DeliverRequest& item,
                                                std::string_view payload);
  [[nodiscard]] Result<std::string> store_bundle(const Device& device, std::string_view encoded,
                                                 const std::string& ticket_id,
                                                 const std::string& requested_by,
                                                 std::vector<std::string> sections);

  Store& store_;
  blobs::BlobStore& blobs_;
  Tunnel& tunnel_;
  audit::AuditLog* audit_ = nullptr;
};

}  // namespace helpline::relay::intake
