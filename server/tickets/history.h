// The audit trail of a ticket: one entry per changed field, and the result
// type of every operation that changes a ticket.
#pragma once

#include <string>
#include <vector>

#include "common/core/time_format.h"
#include "server/tickets/actor.h"
#include "server/tickets/ticket.h"

namespace helpline::relay::tickets {

// Values are the fields' text forms: enum tokens ("in_progress", "L2", "4"),
// names, and RFC 3339 UTC for times ("" for none). Besides the Ticket
// fields, `field` may be "created" (new_value: the channel) or "escalation"
// (new_value: "<rule id>: <action>") for events that change no field.
struct HistoryEntry {
  std::string field;
  std::string old_value;
  std::string new_value;
  Actor actor;
  UnixMillis at = 0;
  std::string reason;  // why, as given by the actor or the rule; may be empty

  friend bool operator==(const HistoryEntry&, const HistoryEntry&) = default;
};

// What an operation did: the ticket after it (write it back as a whole after
// every successful call) and the history entries to append, in order.
// `history` is empty when no field changed; updated_at may still have moved
// (a reply is an update).
struct Changes {
  Ticket ticket;
  std::vector<HistoryEntry> history;

  [[nodiscard]] bool changed() const { return !history.empty(); }
};

}  // namespace helpline::relay::tickets
