#include "server/tickets/stats.h"

#include <algorithm>
#include <set>

namespace helpline::relay::tickets {
namespace {

bool in_period(const Ticket& t, const StatsPeriod& period) {
  return t.created_at >= period.from && (period.to == 0 || t.created_at < period.to);
}

DurationSummary summarise(std::vector<std::chrono::milliseconds> times) {
  std::sort(times.begin(), times.end());
  DurationSummary out;
  out.count = times.size();
  out.median = nearest_rank(times, 50);
  out.p90 = nearest_rank(times, 90);
  return out;
}

void count(Compliance& c, bool met) {
  ++c.measured;
  if (met) ++c.met;
}

void finish(Compliance& c) {
  if (c.measured == 0) return;
  c.percent = static_cast<double>(c.met) * 100.0 / static_cast<double>(c.measured);
}

// Adds one ticket's SLA outcome; tickets whose outcome is not known yet
// (open and not yet due) are not counted at all.
void add_compliance(TicketStats& stats, const Ticket& t, UnixMillis now) {
  const SlaState state = sla_state(t.sla, t.first_response_at, now);
  if (t.sla.first_response_due != 0 &&
      (t.first_response_at != 0 || state.first_response_breached)) {
    count(stats.first_response_sla, !state.first_response_breached);
  }
  const bool closed_unresolved = t.status == Status::kClosed && t.resolved_at == 0;
  if (t.sla.resolve_due != 0 && !closed_unresolved &&
      (t.resolved_at != 0 || state.resolve_breached)) {
    count(stats.resolve_sla, !state.resolve_breached);
  }
}

}  // namespace

std::chrono::milliseconds nearest_rank(std::span<const std::chrono::milliseconds> sorted,
                                       unsigned percent) {
  if (sorted.empty()) return std::chrono::milliseconds{0};
  percent = std::clamp(percent, 1U, 100U);
  // rank = ceil(percent * n / 100), 1-based.
  const std::size_t rank = (percent * sorted.size() + 99) / 100;
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

std::vector<RankedCount> top_counts(const std::map<std::string, std::size_t>& counts,
                                    std::size_t n) {
  std::vector<RankedCount> ranked;
  ranked.reserve(counts.size());
  for (const auto& [key, value] : counts) ranked.push_back(RankedCount{key, value});
  // The map is ordered by key, so a stable sort by count keeps ties by name.
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const RankedCount& a, const RankedCount& b) { return a.count > b.count; });
  if (ranked.size() > n) ranked.resize(n);
  return ranked;
}

TicketStats compute_stats(std::span<const Ticket> tickets, const StatsOptions& options) {
  TicketStats stats;
  stats.period = options.period;
  std::vector<std::chrono::milliseconds> response_times;
  std::vector<std::chrono::milliseconds> resolution_times;
  std::map<std::string, std::size_t> categories;
  std::map<std::string, std::size_t> devices;
  std::map<std::string, std::size_t> findings;
  std::int64_t rating_sum = 0;

  for (const Ticket& t : tickets) {
    if (!in_period(t, options.period)) continue;
    ++stats.total;
    ++stats.by_category[t.category.name()];
    ++stats.by_priority[to_string(t.priority)];
    ++stats.by_channel[to_string(t.channel)];
    ++stats.by_status[to_string(t.status)];
    ++stats.by_type[to_string(t.type)];
    if (t.reopen_count > 0) ++stats.reopened;
    if (t.first_response_at != 0) {
      response_times.emplace_back(std::max<UnixMillis>(t.first_response_at - t.created_at, 0));
    }
    if (t.resolved_at != 0) {
      ++stats.resolved;
      resolution_times.emplace_back(std::max<UnixMillis>(t.resolved_at - t.created_at, 0));
    }
    add_compliance(stats, t, options.now);
    if (t.satisfaction.rating >= 1 && t.satisfaction.rating <= 5) {
      ++stats.rated;
      rating_sum += t.satisfaction.rating;
    }
    if (t.type != TicketType::kIncident) continue;
    ++categories[t.category.name()];
    if (!t.requester.device_id.empty()) ++devices[t.requester.device_id];
    // A finding listed twice on one ticket is still one recurrence.
    const std::set<std::string> unique(t.finding_ids.begin(), t.finding_ids.end());
    for (const std::string& id : unique) ++findings[id];
  }

  stats.first_response = summarise(std::move(response_times));
  stats.resolution = summarise(std::move(resolution_times));
  finish(stats.first_response_sla);
  finish(stats.resolve_sla);
  if (stats.rated != 0) {
    stats.satisfaction_average = static_cast<double>(rating_sum) / static_cast<double>(stats.rated);
  }
  stats.top_categories = top_counts(categories, options.top_n);
  stats.top_devices = top_counts(devices, options.top_n);
  stats.top_findings = top_counts(findings, options.top_n);
  return stats;
}

}  // namespace helpline::relay::tickets
