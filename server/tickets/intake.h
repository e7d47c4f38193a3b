// Opening a ticket: what any channel hands in, validated, classified and
// put on the SLA clocks.
#pragma once

#include <string>
#include <vector>

#include "common/core/result.h"
#include "common/core/time_format.h"
#include "server/tickets/actor.h"
#include "server/tickets/helpdesk_rules.h"
#include "server/tickets/history.h"
#include "server/tickets/ticket.h"

namespace helpline::relay::tickets {

struct NewTicket {
  std::string title;        // required, one line, <= 200 bytes
  std::string description;  // <= 64 KiB
  Requester requester;      // name required; device_id required for the agent channel
  Channel channel = Channel::kPortal;
  std::string category = "other";  // validated against rules.categories
  TicketType type = TicketType::kIncident;
  Impact impact = Impact::kMedium;
  Urgency urgency = Urgency::kMedium;
  SupportLevel level = SupportLevel::kL1;
  std::string group;                     // initial support group; may be empty
  IntakeFacts facts;                     // each text <= 4 KiB
  std::vector<std::string> finding_ids;  // <= 256 rule ids; duplicates dropped
};

inline constexpr std::size_t kMaxFindingIds = 256;

// A new ticket (id 0: the store assigns it) in status new, priority from the
// matrix, both SLA clocks started at `now`, with one "created" history entry
// (new value: the channel). `creator` is whoever typed it in: the requester,
// a technician taking a phone call, or the system for e-mail.
// Errors: "bad_value" naming the first invalid field.
[[nodiscard]] Result<Changes> open_ticket(const NewTicket& request, const HelpdeskRules& rules,
                                          const Actor& creator, UnixMillis now);

}  // namespace helpline::relay::tickets
