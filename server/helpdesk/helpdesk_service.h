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

#include <array>
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
  tickets::Ticket ticket;  // as stored after the change
  // created: the channel; status_changed: the new status; sla_breach: the
  // deadline ("first_response", "resolve"); escalated: the new level, or
  // "<rule>: <action>" when a rule fired; notify: the target.
  std::string detail;
  std::string previous;  // status_changed: the old status; escalated: the old level
  std::string actor;     // "technician bob (L2)", "system helpline", ...
  std::string reason;
  UnixMillis at = 0;
};
// The kinds above, in the order docs/helpdesk.md lists them.
inline constexpr std::array<const char*, 5> kTicketEventKinds{"created", "status_changed",
                                                              "sla_breach", "escalated", "notify"};
using EventSink = std::function<void(const TicketEvent&)>;

// Where events are recorded durably (webhooks): record() runs inside the
// store transaction of the change that caused the event, through the same
// Store, so the change and its events are kept together or not at all. An
// error rolls the change back.
class EventOutbox {
 public:
  virtual ~EventOutbox() = default;
  [[nodiscard]] virtual Result<void> record(const TicketEvent& event) = 0;
};

// A ticket with everything a technician sees.
struct TicketView {
  tickets::Ticket ticket;
  tickets::SlaState sla;
  std::vector<TicketMessage> messages;  // internal notes included
  std::vector<tickets::HistoryEntry> history;
  std::vector<TicketAttachment> attachments;
  // Knowledge-base articles: linked by hand, then matching its findings,
  // then of its category matching its title (KbStore::suggestions).
  std::vector<KbSuggestion> articles;
};

struct SweepReport {
  std::size_t checked = 0;
  std::size_t escalations = 0;
  std::size_t breaches = 0;
  std::size_t closed = 0;  // resolved tickets whose reopen window had passed
  std::size_t failed = 0;
};

// A ticket as its requesting device sees it (no internal notes).
[[nodiscard]] v1::DeviceTicket to_device_ticket(const tickets::Ticket& ticket);

// What attach() requires of an attachment: a known kind, and a name (if
// any) of at most 255 bytes without control characters or slashes.
// Errors: "bad_value" ("kind: ...", "name: ...").
[[nodiscard]] Result<void> check_attachment(const AttachmentDraft& attachment);

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
  static constexpr std::size_t kMaxArticles = 10;     // shown with a ticket

  HelpdeskService(Store& store, tickets::HelpdeskRules rules, Clock clock = unix_now_ms);
  ~HelpdeskService() override;
  HelpdeskService(const HelpdeskService&) = delete;
  HelpdeskService& operator=(const HelpdeskService&) = delete;

  [[nodiscard]] const tickets::HelpdeskRules& rules() const { return rules_; }
  [[nodiscard]] UnixMillis now() const { return clock_(); }
  // Called after each change is stored; may be empty.
  void set_event_sink(EventSink sink) { events_ = std::move(sink); }
  // Records events inside the change's transaction; may be null. Must
  // outlive the service.
  void set_outbox(EventOutbox* outbox) { outbox_ = outbox; }

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
  // Impact, urgency, category, type (the priority follows the matrix
  // unless overridden); see tickets/classification.h.
  [[nodiscard]] Result<tickets::Ticket> reclassify(std::int64_t id,
                                                   const tickets::Reclassification& change,
                                                   const tickets::Actor& actor);
  // Priority by hand (6, major, only so) with a reason; nullopt returns it
  // to the matrix.
  [[nodiscard]] Result<tickets::Ticket> set_priority(std::int64_t id,
                                                     std::optional<tickets::Priority> priority,
                                                     const std::string& reason,
                                                     const tickets::Actor& actor);
  // Attaches content already kept elsewhere (a blob: file, recording,
  // action result; a bundle) and records it in the history ("attachment").
  // Errors also "ticket_finished" for a closed ticket, check_attachment()'s.
  [[nodiscard]] Result<tickets::Ticket> attach(std::int64_t id, AttachmentDraft attachment,
                                               const tickets::Actor& actor);
  // Links (or unlinks) a knowledge-base article, recorded in the history
  // ("kb_article"). Errors also "not_found" for an unknown article,
  // "conflict" when already (not) linked, "ticket_finished" when closed.
  [[nodiscard]] Result<tickets::Ticket> link_article(std::int64_t id, const std::string& article,
                                                     bool link, const std::string& reason,
                                                     const tickets::Actor& actor);

  // Statistics over tickets created in [from, to) (to 0: open-ended), see
  // tickets/stats.h. Errors: "bad_value" ("to: ...") for an empty period,
  // ("from: ...") when the period holds more than kMaxStatsTickets.
  static constexpr std::size_t kMaxStatsTickets = 200'000;
  [[nodiscard]] Result<tickets::TicketStats> stats(UnixMillis from, UnixMillis to,
                                                   std::size_t top_n);

  // --- escalation sweep ---
  // Fires the escalation rules due at `now` (each once per ticket),
  // records deadlines breached at `now` (each once per ticket) and closes
  // resolved tickets whose reopen window has passed (auto_close_at()).
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
  Result<v1::KbArticleList> device_articles(const Device& device,
                                            const v1::DeviceKbRequest& request) override;

 private:
  using Operation = std::function<Result<tickets::Changes>(const tickets::Ticket&)>;

  [[nodiscard]] Result<tickets::Ticket> load(std::int64_t id);
  // open_ticket() and the acknowledgement, saved with `extras`.
  [[nodiscard]] Result<tickets::Ticket> open(const tickets::NewTicket& request,
                                             const tickets::Actor& creator, TicketWrite extras);
  // Events beyond those the history shows (a notify target).
  using ExtraEvents = std::vector<TicketEvent>;
  // Loads, applies `op`, saves with `write`'s messages and key. Returns the
  // stored ticket.
  [[nodiscard]] Result<tickets::Ticket> apply(std::int64_t id, const Operation& op,
                                              TicketWrite extras = {});
  // Saves; the events of `changes.history` and `extra_events` go to the
  // outbox in the same transaction and to the sink after it.
  [[nodiscard]] Result<tickets::Ticket> persist(tickets::Changes changes, TicketWrite write,
                                                const tickets::FiredSet& fired,
                                                ExtraEvents extra_events = {});
  [[nodiscard]] UnixMillis next_check(const tickets::Ticket& ticket,
                                      const tickets::FiredSet& fired) const;
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
  EventOutbox* outbox_ = nullptr;
  std::unique_ptr<boost::asio::steady_timer> timer_;
  std::chrono::milliseconds interval_{30000};
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace helpline::relay::helpdesk
