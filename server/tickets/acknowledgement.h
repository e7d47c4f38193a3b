// The automatic reply sent to the requester when a ticket is opened: its
// id, its priority and when to expect the first response.
#pragma once

#include <chrono>
#include <string>

#include "common/core/time_format.h"
#include "server/tickets/ticket.h"

namespace helpline::relay::tickets {

struct Acknowledgement {
  std::string display_id;  // "HL-1042"
  Priority priority = Priority::kMedium;
  UnixMillis first_response_due = 0;  // 0: no first-response target
  std::chrono::milliseconds first_response_target{0};
  std::string text;  // the reply, plain text, several lines
};

// For a ticket as stored (id given, SLA clock started). Pure: the deadline
// is the ticket's own, so it already honours the business calendar. The
// text names the deadline in RFC 3339 UTC and the target as hours and
// minutes ("2h", "1h30m", "40h"), adding "of business hours" when the
// deadline is further away than the target itself.
[[nodiscard]] Acknowledgement make_acknowledgement(const Ticket& ticket);

// "2h", "30m", "1h30m", "40h": the form used in the acknowledgement.
[[nodiscard]] std::string format_hours_minutes(std::chrono::milliseconds duration);

}  // namespace helpline::relay::tickets
