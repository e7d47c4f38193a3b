// Statistics over a period, for KPIs and problem management. Pure
// aggregation over tickets the caller loaded; no clock: `now` decides which
// open tickets have already breached.
//
// Definitions (docs/helpdesk.md has the reasoning):
// - a ticket is in the period when created_at is in [from, to) (to = 0:
//   no upper bound); every figure below is over those tickets only;
// - first-response time = first_response_at - created_at, resolution time
//   = resolved_at - created_at, wall-clock, over tickets that have them;
// - median and p90 use the nearest-rank method on the sorted times: the
//   value at rank ceil(p/100 * n), so they are always observed values (for
//   an even count the median is the lower middle value);
// - SLA compliance counts tickets with a deadline whose outcome is known:
//   answered / resolved (met when on or before the deadline), or still open
//   past it (missed). Open tickets not yet due are left out, and so are
//   tickets closed without resolution (rejected, duplicate) for the resolve
//   figure. percent = met / measured * 100, unset when nothing is measured;
// - recurring incidents: among incidents, the categories, requester devices
//   and finding rule ids (each counted once per ticket) that come back most,
//   count descending then name ascending, top N.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/core/time_format.h"
#include "server/tickets/ticket.h"

namespace helpline::relay::tickets {

struct StatsPeriod {
  UnixMillis from = 0;
  UnixMillis to = 0;  // exclusive; 0: no upper bound
};

struct StatsOptions {
  StatsPeriod period;
  UnixMillis now = 0;
  std::size_t top_n = 10;
};

struct DurationSummary {
  std::size_t count = 0;
  std::chrono::milliseconds median{0};  // 0 when count is 0
  std::chrono::milliseconds p90{0};
};

struct Compliance {
  std::size_t measured = 0;
  std::size_t met = 0;
  std::optional<double> percent;
};

struct RankedCount {
  std::string key;
  std::size_t count = 0;

  friend bool operator==(const RankedCount&, const RankedCount&) = default;
};

struct TicketStats {
  StatsPeriod period;
  std::size_t total = 0;
  std::size_t resolved = 0;  // resolved_at set (resolved, or closed after resolution)
  std::size_t reopened = 0;  // reopened at least once
  // Keyed by the to_string() forms: "network", "4", "agent", "in_progress", "incident".
  std::map<std::string, std::size_t> by_category;
  std::map<std::string, std::size_t> by_priority;
  std::map<std::string, std::size_t> by_channel;
  std::map<std::string, std::size_t> by_status;
  std::map<std::string, std::size_t> by_type;
  DurationSummary first_response;
  DurationSummary resolution;
  Compliance first_response_sla;
  Compliance resolve_sla;
  std::size_t rated = 0;
  std::optional<double> satisfaction_average;  // over rated tickets, 1..5
  std::vector<RankedCount> top_categories;
  std::vector<RankedCount> top_devices;
  std::vector<RankedCount> top_findings;
};

[[nodiscard]] TicketStats compute_stats(std::span<const Ticket> tickets,
                                        const StatsOptions& options);

// Nearest-rank percentile (1..100) of ascending `sorted`; 0 when empty.
[[nodiscard]] std::chrono::milliseconds nearest_rank(
    std::span<const std::chrono::milliseconds> sorted, unsigned percent);

// The `n` largest counts, count descending then key ascending.
[[nodiscard]] std::vector<RankedCount> top_counts(const std::map<std::string, std::size_t>& counts,
                                                  std::size_t n);

}  // namespace helpline::relay::tickets
