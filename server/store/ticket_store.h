// The helpdesk's record (schema v3): full tickets as server/tickets models
// them, their history, conversation (public replies and internal notes),
// attachments, fired escalations and idempotency keys.
//
// The store applies no helpdesk rule: server/helpdesk runs a server/tickets
// operation and hands the result to save(), which writes the ticket, its
// history entries, messages, attachments, fired escalation ids and the
// idempotency key in ONE transaction (all or nothing).
//
// The technician queue is open tickets by priority (highest first), then
// the next SLA deadline (earliest first; none last), then id, paginated by
// an opaque keyset cursor (encode_cursor / decode_cursor).
//
// Thread: like Store, one thread at a time (the relay's io_context thread).
// Errors: "store_error" for database faults, plus those named per call.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/result.h"
#include "common/core/time_format.h"
#include "server/tickets/escalation.h"
#include "server/tickets/history.h"
#include "server/tickets/ticket.h"

namespace helpline::relay {

// One entry of a ticket's conversation.
struct TicketMessage {
  std::int64_t id = 0;  // assigned by the store, increasing
  std::int64_t ticket_id = 0;
  bool internal = false;  // an internal note (technicians only) rather than a public reply
  std::string author;
  tickets::ActorKind author_kind = tickets::ActorKind::kTechnician;
  std::string body;
  UnixMillis at = 0;
};

// What is attached: "bundle" (ref: bundle id), "action_result",
// "recording" or "file" (ref: blob id).
struct AttachmentDraft {
  std::string kind;
  std::string ref;
  UnixMillis added_at = 0;
  std::string added_by;
  // Optional (schema v5): the file name a person knows it by, its size in
  // bytes and its media type ("image/png").
  std::string name{};
  std::uint64_t size = 0;
  std::string content_type{};
};

// The kinds an attachment may have.
[[nodiscard]] bool is_attachment_kind(std::string_view kind);

// A delivery that must change things once: `source` scopes the key
// ("device:dev_...", "api:alice").
struct IdempotencyKey {
  std::string source;
  std::string key;
};

// Everything one operation changes, written together by save().
struct TicketWrite {
  tickets::Ticket ticket;  // id 0: a new ticket (the store assigns the id)
  std::vector<tickets::HistoryEntry> history;
  std::vector<TicketMessage> messages;        // ids and ticket_id are filled in by the store
  std::vector<AttachmentDraft> attachments;   // already attached ones are skipped
  std::vector<std::string> fired;             // escalation rule ids that fired now
  std::optional<IdempotencyKey> idempotency;  // recorded for the ticket
  std::string created_by;                     // for a new ticket: who typed it in
  // When the sweep must look at the ticket again (escalation due, deadline
  // to record as breached); 0: never.
  UnixMillis next_check_at = 0;
  // For a new ticket: messages that need the assigned id (the automatic
  // acknowledgement), built from the ticket as stored.
  std::function<std::vector<TicketMessage>(const tickets::Ticket&)> messages_for_new;
  // Runs inside the transaction after everything above is written, with
  // the ticket as stored (its id assigned): further writes that belong to
  // this change (a knowledge-base link, queued webhook deliveries) through
  // this Store only. An error rolls the whole change back.
  std::function<Result<void>(const tickets::Ticket&)> in_transaction;
};

// The position after the last ticket of a page.
struct TicketCursor {
  int priority = 0;
  std::int64_t queue_due = 0;
  std::int64_t id = 0;

  friend bool operator==(const TicketCursor&, const TicketCursor&) = default;
};

// Opaque text for clients ("c1..."). decode: "bad_value" ("cursor: ...").
[[nodiscard]] std::string encode_cursor(const TicketCursor& cursor);
[[nodiscard]] Result<TicketCursor> decode_cursor(std::string_view text);

struct TicketQuery {
  static constexpr std::size_t kMaxLimit = 500;

  // Statuses to list (to_string forms); empty: the open ones (not resolved
  // or closed).
  std::vector<tickets::Status> statuses;
  std::optional<tickets::Priority> priority;
  std::optional<std::string> assignee;   // "" : unassigned
  std::optional<std::string> device_id;  // the requester device
  bool breaching = false;                // only tickets with a breached deadline at `now`
  UnixMillis now = 0;
  std::optional<TicketCursor> after;
  std::size_t limit = 50;  // 1..kMaxLimit
};

struct TicketPage {
  std::vector<tickets::Ticket> tickets;
  std::optional<TicketCursor> next;  // set when more tickets follow
};

class TicketStore {
 public:
  virtual ~TicketStore() = default;

  // Writes `write` in one transaction and returns the ticket as stored.
  // Errors: "not_found" when the ticket (id != 0) or the requester device
  // does not exist; "conflict" when the idempotency key was used before
  // (check find_idempotent() first); nothing changes on error.
  [[nodiscard]] virtual Result<tickets::Ticket> save(TicketWrite write) = 0;

  [[nodiscard]] virtual Result<std::optional<tickets::Ticket>> load(std::int64_t id) = 0;
  // The ticket an idempotency key was recorded for, if any.
  [[nodiscard]] virtual Result<std::optional<std::int64_t>> find_idempotent(
      const IdempotencyKey& key) = 0;
  [[nodiscard]] virtual Result<tickets::FiredSet> fired(std::int64_t id) = 0;

  // Oldest first; internal notes only when `include_internal`.
  [[nodiscard]] virtual Result<std::vector<TicketMessage>> messages(std::int64_t id,
                                                                    bool include_internal) = 0;
  // Oldest first.
  [[nodiscard]] virtual Result<std::vector<tickets::HistoryEntry>> history(std::int64_t id) = 0;

  // The queue (see above). Errors: "bad_value" for a limit out of range.
  [[nodiscard]] virtual Result<TicketPage> query(const TicketQuery& query) = 0;
  // A device's tickets, newest first; closed ones only when asked.
  [[nodiscard]] virtual Result<std::vector<tickets::Ticket>> device_tickets(
      std::string_view device_id, bool include_closed, std::size_t limit) = 0;
  // Tickets created in [from, to) (to 0: no bound), oldest first, at most `limit`.
  [[nodiscard]] virtual Result<std::vector<tickets::Ticket>> created_between(UnixMillis from,
                                                                             UnixMillis to,
                                                                             std::size_t limit) = 0;
  // Ids of tickets whose next_check_at is in (0, now], earliest first.
  [[nodiscard]] virtual Result<std::vector<std::int64_t>> due_checks(UnixMillis now,
                                                                     std::size_t limit) = 0;
};

}  // namespace helpline::relay
