// The [helpdesk] part of relay.toml: the rules server/tickets applies
// (priority matrix, categories, SLA targets and business calendar, reopen
// window, escalation rules) and how often the relay sweeps for due
// escalations. Every part is optional; the defaults are those of
// docs/helpdesk.md (GLPI matrix, 24x7, default targets, no escalations).
//
//   [helpdesk]
//   reopen_window = "7d"               # "0" turns requester reopening off
//   sweep_interval = "30s"
//   max_attachment = 10485760          # bytes of a file attached to a ticket (1 KiB..256 MiB)
//   categories = ["printing"]          # added to the built-in ones
//   matrix = [1,1,2,2,2, 1,2,2,3,3, 2,2,3,4,4, 2,3,4,4,5, 2,3,4,5,5]  # rows: urgency 1..5
//
//   [helpdesk.sla]                     # per priority: [first response, resolve]; "0" = none
//   p3 = ["4h", "40h"]
//   [helpdesk.sla.calendar]
//   hours = "08:00-18:00"              # Monday to Friday, or per day: mon = "08:00-12:00", ...
//   utc_offset_minutes = 60
//   holidays = ["2026-12-25"]
//
//   [[helpdesk.escalation]]
//   id = "resolve-warning"
//   deadline = "resolve"               # or "first_response"
//   offset = "-30m"                    # business time; negative: before the deadline
//   action = "notify duty-manager"     # or "raise_level L2", "raise_level +1",
//                                      #    "reassign_group network"
//   priorities = [4, 5, 6]             # optional; all when left out
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

#include "common/core/result.h"
#include "server/tickets/helpdesk_rules.h"

namespace helpline::relay {

struct HelpdeskConfig {
  static constexpr std::uint64_t kMaxAttachmentCap = 256ull << 20;  // the blob store's cap

  tickets::HelpdeskRules rules;
  std::chrono::seconds sweep_interval{30};
  std::uint64_t max_attachment = 10ull << 20;  // a file attached to a ticket, bytes
};

// Reads the [helpdesk] table of relay.toml's text; none gives the
// defaults. Errors: "bad_config" naming `origin` and the field
// ("relay.toml: helpdesk.sla.p3: ...").
[[nodiscard]] Result<HelpdeskConfig> parse_helpdesk_config(std::string_view toml_text,
                                                           std::string_view origin);

}  // namespace helpline::relay
