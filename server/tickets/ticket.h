// A helpdesk ticket as the domain logic sees it: a plain value. The store
// persists every field; the functions of this library take a ticket and
// return the changed copy with history (see Changes in history.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/result.h"
#include "common/core/time_format.h"
#include "server/tickets/category.h"
#include "server/tickets/sla_clock.h"
#include "server/tickets/ticket_enums.h"

namespace helpline::relay::tickets {

struct Requester {
  std::string name;       // the person
  std::string device_id;  // "dev_..." when the ticket concerns an enrolled device; "" if none

  friend bool operator==(const Requester&, const Requester&) = default;
};

// What a technician needs first, as the requester said it.
struct IntakeFacts {
  std::string started;          // when it began, in the user's words ("since this morning")
  UnixMillis started_at = 0;    // the same as a time when known; 0 if not
  std::string frequency;        // how long / how often ("every login", "all day")
  std::string affected;         // the application or device concerned
  std::string symptoms;         // what the user sees (error text, behaviour)
  std::string business_impact;  // what it stops the user from doing

  friend bool operator==(const IntakeFacts&, const IntakeFacts&) = default;
};

struct Satisfaction {
  int rating = 0;  // 1..5; 0: not rated
  std::string comment;
  UnixMillis rated_at = 0;

  friend bool operator==(const Satisfaction&, const Satisfaction&) = default;
};

struct Ticket {
  std::int64_t id = 0;  // given by the store; 0 before the first insert
  std::string title;
  std::string description;
  Requester requester;
  Channel channel = Channel::kPortal;
  Category category;
  TicketType type = TicketType::kIncident;
  Impact impact = Impact::kMedium;
  Urgency urgency = Urgency::kMedium;
  Priority priority = Priority::kMedium;
  bool priority_overridden = false;  // set by hand: the matrix no longer applies
  SupportLevel level = SupportLevel::kL1;
  std::string assignee;  // technician name; "" when unassigned
  std::string group;     // support group; "" when none
  Status status = Status::kNew;
  std::optional<PendingReason> pending_reason;  // set exactly while status is pending
  IntakeFacts facts;
  std::vector<std::string> finding_ids;  // rule ids of findings in attached diagnostics
  std::string solution;                  // the resolution, or why it was closed unresolved

  UnixMillis created_at = 0;
  UnixMillis updated_at = 0;
  UnixMillis first_response_at = 0;  // 0: no response yet
  UnixMillis resolved_at = 0;        // 0: not resolved (cleared by a reopen)
  UnixMillis closed_at = 0;          // 0: not closed

  SlaClock sla;
  Satisfaction satisfaction;
  int reopen_count = 0;

  // "HL-<id>".
  [[nodiscard]] std::string display_id() const;

  friend bool operator==(const Ticket&, const Ticket&) = default;
};

// "HL-1042" for 1042.
[[nodiscard]] std::string format_display_id(std::int64_t id);
// "HL-1042", "hl-1042" or "1042". Errors: "bad_value" ("ticket: ...") for
// anything else, zero or negative.
[[nodiscard]] Result<std::int64_t> parse_display_id(std::string_view text);

}  // namespace helpline::relay::tickets
