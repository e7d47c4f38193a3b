// server/helpdesk: the relay's helpdesk. Every operation loads a ticket,
// applies a server/tickets operation (which owns every rule: matrix,
// workflow, SLA, escalation) at the time of the injected clock, and
// persists the Changes with their history, messages and attachments in one
// store transaction (TicketStore::save).
//
// It serves technicians (through the API, which has already checked the
// caller's role) and end users' devices (DeviceDesk, through the tunnel: a
// device only sees its own tickets). A periodic sweep fires automatic
// escalations once each and records SLA breaches.
//
// Thread: the relay's io_context thread, like the Store. The Store outlives
// the service.
// Errors: server/tickets' codes ("bad_value", "illegal_transition",
// "not_allowed", "insufficient_level", "reason_required", ...), "not_found"
// ("no ticket HL-7"), "forbidden" (a viewer), "store_error". DeviceDesk
// calls answer "bad_value", "not_found", "bad_state" and "store_error" only.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/core/result.h"
#include "common/core/time_format.h"
#include "server/store/store.h"
#include "server/tickets/tickets.h"
#include "server/tunnel/device_desk.h"

namespace helpline::relay::helpdesk {

using Clock = std::function<UnixMillis()>;

// What happened to a ticket, for notifiers and webhooks.
struct TicketEvent {
  std::string kind;  // "created", "status_changed", "sla_breach", "escalated", "notify"
  tickets::Ticket ticket;
  std::string detail;  // new status, breached deadline, "<rule>: <action>", notify target
  UnixMillis at = 0;
};
using EventSink = std::function<void(const TicketEvent&)>;

// A ticket with everything a technician sees.
struct TicketView {
  tickets::Ticket ticket;
  tickets::SlaState sla;
  std::vector<TicketMessage> messages;  // internal notes included
  std::vector<tickets::HistoryEntry> history;
  std::vector<TicketAttachment> attachments;
};

struct SweepReport {
  std::size_t checked = 0;
  std::size_t escalations = 0;
  std::size_t breaches = 0;
  std::size_t failed = 0;
};

// A ticket as its requesting device sees it (no internal notes).
[[nodiscard]] v1::DeviceTicket to_device_ticket(const tickets::Ticket& ticket);

// The technician an API role acts as (l1..l3 -> L1..L3, admin -> L3);
// "forbidden" for a viewer.
[[nodiscard]] Result<tickets::Actor> actor_for(const User& user);

// Ids in the fired set that record an SLA breach (no rule id can contain
// '!', so they never collide with configured escalation rules).
inline constexpr const char* kFirstResponseBreach = "!sla_breach:first_response";
inline constexpr const char* kResolveBreach = "!sla_breach:resolve";

class HelpdeskService final : public DeviceDesk {
 public:
  static constexpr std::size_t kSweepBatch = 500;
  static constexpr std::size_t kMaxBody = 64 * 1024;  // replies and notes

  HelpdeskService(Store& store, tickets::HelpdeskRules rules, Clock clock = unix_now_ms);
  ~HelpdeskService() override;
  HelpdeskService(const HelpdeskService&) = delete;
  HelpdeskService& operator=(const HelpdeskService&) = delete;

  [[nodiscard]] const tickets::HelpdeskRules& rules() const { return rules_; }
  [[nodiscard]] UnixMillis now() const { return clock_(); }
  // Called after each change is stored; may be empty.
  void set_event_sink(EventSink sink) { events_ = std::move(sink); }

  // --- technicians ---
  // Opens a ticket with the automatic acknowledgement as its first public
  // reply. A key used before returns the ticket it made and changes nothing.
  [[nodiscard]] Result<tickets::Ticket> create(const tickets::NewTicket& request,
                                               const tickets::Actor& creator,
                                               const std::optional<IdempotencyKey>& key = {});
  [[nodiscard]] Result<TicketView> show(std::int64_t id);
  [[nodiscard]] Result<TicketPage> list(TicketQuery query);

  [[nodiscard]] Result<tickets::Ticket> assign(std::int64_t id, const std::string& assignee,
                                               const tickets::Actor& actor);
  [[nodiscard]] Result<tickets::Ticket> change_status(std::int64_t id,
                                                      const tickets::StatusChange& change,
                                                      const tickets::Actor& actor);
  [[nodiscard]] Result<tickets::Ticket> escalate(std::int64_t id,
                                                 const tickets::EscalateRequest& request,
                                                 const tickets::Actor& actor);
  // A public reply, or an internal note when `internal`. Errors also
  // "bad_value" ("body: ...") for an empty or oversize body.
  [[nodiscard]] Result<tickets::Ticket> reply(std::int64_t id, const std::string& body,
                                              bool internal, const tickets::Actor& actor);

  // Statistics over tickets created in [from, to) (to 0: open-ended), see
  // tickets/stats.h. Errors: "bad_value" ("to: ...") for an empty period,
  // ("from: ...") when the period holds more than kMaxStatsTickets.
  static constexpr std::size_t kMaxStatsTickets = 200'000;
  [[nodiscard]] Result<tickets::TicketStats> stats(UnixMillis from, UnixMillis to,
                                                   std::size_t top_n);

  // --- escalation sweep ---
  // Fires the escalation rules due at `now` (each once per ticket) and
  // records deadlines breached at `now` (each once per ticket).
  [[nodiscard]] SweepReport sweep(UnixMillis now);
  // Runs sweep(clock()) every `interval` on `io` until stop_sweep() or
  // destruction.
  void start_sweep(boost::asio::io_context& io, std::chrono::milliseconds interval);
  void stop_sweep();

  // --- DeviceDesk (the end user's device) ---
  Result<v1::DeviceTicket> open_report(const Device& device, const v1::TicketReport& report,
                                       std::string_view bundle_id,
                                       std::string_view idempotency_key) override;
  Result<v1::DeviceTicketList> device_tickets(const Device& device,
                                              const v1::DeviceTicketsRequest& request) override;
  Result<v1::DeviceTicketDetail> device_ticket(const Device& device,
                                               std::string_view ticket_id) override;
  Result<v1::DeviceTicket> device_reply(const Device& device, const v1::TicketReply& reply,
                                        std::string_view idempotency_key) override;
  Result<v1::DeviceTicket> device_rate(const Device& device, const v1::TicketRating& rating,
                                       std::string_view idempotency_key) override;

 private:
  using Operation = std::function<Result<tickets::Changes>(const tickets::Ticket&)>;

  [[nodiscard]] Result<tickets::Ticket> load(std::int64_t id);
  // open_ticket() and the acknowledgement, saved with `extras`.
  [[nodiscard]] Result<tickets::Ticket> open(const tickets::NewTicket& request,
                                             const tickets::Actor& creator, TicketWrite extras);
  // Loads, applies `op`, saves with `write`'s messages and key. Returns the
  // stored ticket.
  [[nodiscard]] Result<tickets::Ticket> apply(std::int64_t id, const Operation& op,
                                              TicketWrite extras = {});
  [[nodiscard]] Result<tickets::Ticket> persist(tickets::Changes changes, TicketWrite write,
                                                const tickets::FiredSet& fired);
  [[nodiscard]] UnixMillis next_check(const tickets::Ticket& ticket,
                                      const tickets::FiredSet& fired) const;
  void emit(const std::string& kind, const tickets::Ticket& ticket, std::string detail);
  void emit_changes(const tickets::Ticket& ticket,
                    const std::vector<tickets::HistoryEntry>& history);
  [[nodiscard]] Result<bool> sweep_one(std::int64_t id, UnixMillis now, SweepReport& report);
  void schedule_sweep();

  // DeviceDesk helpers.
  [[nodiscard]] Result<tickets::Ticket> own_ticket(const Device& device, std::string_view text);
  [[nodiscard]] Result<std::optional<tickets::Ticket>> replayed(const Device& device,
                                                                std::string_view key);

  Store& store_;
  TicketStore& tickets_;
  tickets::HelpdeskRules rules_;
  Clock clock_;
  EventSink events_;
  std::unique_ptr<boost::asio::steady_timer> timer_;
  std::chrono::milliseconds interval_{30000};
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace helpline::relay::helpdesk
