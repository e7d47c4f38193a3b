// What the tunnel asks of the helpdesk on behalf of an enrolled device: the
// end-user channel (`helpline-agent report|tickets|reply|rate|kb`). The tunnel
// has authenticated the device (its certificate) before any call; the desk
// decides what that device may see and do: only tickets whose requester
// device is `device.id`. Another device's ticket is answered "not_found",
// exactly like a ticket that does not exist, so ids cannot be probed.
//
// Exactly once: the agent's spool may deliver the same item again after a
// lost acknowledgement. Every call that changes something takes the item's
// idempotency key (the spool item id, scoped by device); a key applied
// before returns the same ticket as the first call and changes nothing.
//
// Implemented by server/helpdesk (HelpdeskService); the relay passes it to
// Tunnel::set_device_desk. Thread: the relay's io_context thread.
// Errors: "bad_value" naming the field (e.g. "impact: must be 1..5"),
// "not_found", "bad_state" (e.g. rating a ticket that is not resolved),
// "store_error".
#pragma once

#include <string_view>

#include "common/core/result.h"
#include "helpline/v1/tunnel.pb.h"
#include "server/store/store.h"

namespace helpline::relay {

class DeviceDesk {
 public:
  virtual ~DeviceDesk() = default;

  // Opens a ticket from an end user's report (channel "agent", requester
  // = report.requester() on `device`), priority from the matrix, SLA
  // deadlines, the automatic acknowledgement as its first public reply.
  // `bundle_id` ("" for none) names a bundle already stored and recorded
  // for this device; it is attached to the new ticket.
  [[nodiscard]] virtual Result<v1::DeviceTicket> open_report(const Device& device,
                                                            const v1::TicketReport& report,
                                                            std::string_view bundle_id,
                                                            std::string_view idempotency_key) = 0;

  // The device's tickets, newest first; closed ones only when asked.
  [[nodiscard]] virtual Result<v1::DeviceTicketList> device_tickets(
      const Device& device, const v1::DeviceTicketsRequest& request) = 0;

  // One of the device's tickets with its public conversation.
  [[nodiscard]] virtual Result<v1::DeviceTicketDetail> device_ticket(
      const Device& device, std::string_view ticket_id) = 0;

  // A public reply from the requester (a pending "waiting for user" ticket
  // goes back to in progress, as the helpdesk workflow says).
  [[nodiscard]] virtual Result<v1::DeviceTicket> device_reply(const Device& device,
                                                             const v1::TicketReply& reply,
                                                             std::string_view idempotency_key) = 0;

  // Satisfaction for a resolved (or closed) ticket; "bad_state" otherwise.
  [[nodiscard]] virtual Result<v1::DeviceTicket> device_rate(const Device& device,
                                                            const v1::TicketRating& rating,
                                                            std::string_view idempotency_key) = 0;

  // Public knowledge-base articles for the person at the device: the ones
  // named (unknown and internal ones are left out) or those matching the
  // search words. "bad_value" for a malformed id, query or limit.
  [[nodiscard]] virtual Result<v1::KbArticleList> device_articles(
      const Device& device, const v1::DeviceKbRequest& request) = 0;
};

}  // namespace helpline::relay
