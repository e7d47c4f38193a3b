// What the daemon answers on its local socket (local_server.h): the end
// user's helpdesk channel. Writes (report, reply, rate) are validated here,
// completed with who asked (the socket's peer, never the message), spooled
// (agent/deliver) and answered at once with the spool item id; the command
// then asks for that item's delivery status until the relay confirms it
// (with the ticket) or its patience ends, in which case the item still goes
// when the relay is reachable. Reads (tickets, ticket) need the link up.
// A report may ask for a fresh diagnostics bundle, collected on the thread
// pool and attached before it is spooled; send-bundle sends one on its own
// (to a ticket, if named).
//
// Thread: the loop's thread. Lifetime: shared; callbacks in flight hold it.
#pragma once

#include <uv.h>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "agent/deliver/deliverer.h"
#include "agent/diag/diag.h"
#include "agent/local/local_server.h"
#include "agent/link/link.h"

namespace helpline::agent::local {

// Limits on what a person may send (the relay checks them again).
inline constexpr std::size_t kMaxTitle = 200;
inline constexpr std::size_t kMaxText = 8000;  // description, reply, comment
inline constexpr std::size_t kMaxShortText = 500;
// How many finished deliveries the desk remembers for status questions.
inline constexpr std::size_t kRememberedOutcomes = 256;

// Why a report cannot be sent, naming the field; "" when it is fine.
[[nodiscard]] std::string check_report(const v1::TicketReport& report);
[[nodiscard]] std::string check_reply(const v1::TicketReply& reply);
[[nodiscard]] std::string check_rating(const v1::TicketRating& rating);

class LocalDesk : public std::enable_shared_from_this<LocalDesk> {
 public:
  // All references outlive the desk. `settings` configure bundles attached
  // to reports (redaction included; a bad pattern refuses bundles).
  LocalDesk(uv_loop_t* loop, Link& link, Deliverer& deliverer, diag::DiagSettings settings);

  void handle(const Peer& peer, v1::LocalRequest request, Respond respond);

 private:
  void queue_write(std::string_view kind, const std::string& payload, Respond respond);
  void report(const Peer& peer, v1::LocalRequest request, Respond respond);
  void send_bundle(const Peer& peer, const v1::SendBundleRequest& request, Respond respond);
  // The options for a bundle collected here, or why there can be none.
  [[nodiscard]] Result<collect::Options> bundle_options() const;
  void ask_relay(v1::Request request, Respond respond);
  void delivery_status(const std::string& id, Respond respond);
  void remember(const DeliveryOutcome& outcome);

  uv_loop_t* loop_;
  Link& link_;
  Deliverer& deliverer_;
  diag::DiagSettings settings_;
  std::function<void(v1::DiagnosticBundle&)> redact_;
  std::string redact_error_;
  std::map<std::string, v1::LocalResponse, std::less<>> outcomes_;
  std::deque<std::string> outcome_order_;
};

}  // namespace helpline::agent::local
