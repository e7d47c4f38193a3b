// Helpdesk statistics for a period (server/tickets/stats.h): counts, first
// response and resolution times, SLA compliance, satisfaction and the
// recurring incidents problem management looks at.
#include <charconv>

#include "common/core/time_format.h"
#include "helpline/v1/api.pb.h"
#include "server/api/routes.h"
#include "server/api/ticket_query.h"

namespace helpline::relay::api {

namespace asio = boost::asio;
namespace t = tickets;
using boost::beast::http::verb;

namespace {

constexpr std::size_t kMaxTop = 100;

template <class Entries>
void fill_counts(const std::map<std::string, std::size_t>& counts, Entries& out) {
  for (const auto& [key, count] : counts) {
    auto* entry = out.Add();
    entry->set_key(key);
    entry->set_count(count);
  }
}

template <class Entries>
void fill_ranked(const std::vector<t::RankedCount>& ranked, Entries& out) {
  for (const auto& r : ranked) {
    auto* entry = out.Add();
    entry->set_key(r.key);
    entry->set_count(r.count);
  }
}

void fill_duration(const t::DurationSummary& d, v1::api::DurationStats& out) {
  out.set_count(d.count);
  out.set_median_ms(d.median.count());
  out.set_p90_ms(d.p90.count());
}

void fill_compliance(const t::Compliance& c, v1::api::ComplianceStats& out) {
  out.set_measured(c.measured);
  out.set_met(c.met);
  out.set_percent(c.percent.value_or(0.0));
}

[[nodiscard]] Result<UnixMillis> time_param(const std::map<std::string, std::string>& query,
                                            const char* name, UnixMillis fallback) {
  auto it = query.find(name);
  if (it == query.end() || it->second.empty()) return fallback;
  auto parsed = parse_rfc3339(it->second);
  if (!parsed) return fail("bad_value", std::string(name) + ": expected an RFC 3339 time");
  return *parsed;
}

asio::awaitable<ApiResponse> ticket_stats(ApiContext& ctx, ApiRequest& request) {
  for (const auto& [name, value] : request.query) {
    if (name != "from" && name != "to" && name != "top") {
      co_return ticket_error(Error{"bad_value", name + ": unknown parameter; use from, to or top"});
    }
  }
  auto from = time_param(request.query, "from", 0);
  if (!from) co_return ticket_error(from.error());
  auto to = time_param(request.query, "to", 0);
  if (!to) co_return ticket_error(to.error());
  std::size_t top = 10;
  if (auto it = request.query.find("top"); it != request.query.end()) {
    const std::string& text = it->second;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), top);
    if (ec != std::errc() || end != text.data() + text.size() || top < 1 || top > kMaxTop) {
      co_return ticket_error(Error{"bad_value", "top: expected a number from 1 to 100"});
    }
  }
  auto stats = ctx.helpdesk.stats(*from, *to, top);
  if (!stats) co_return ticket_error(stats.error());
  v1::api::TicketStats out;
  out.set_from(format_rfc3339(stats->period.from));
  out.set_to(format_rfc3339(stats->period.to));
  out.set_total(stats->total);
  out.set_resolved(stats->resolved);
  out.set_reopened(stats->reopened);
  fill_counts(stats->by_category, *out.mutable_by_category());
  fill_counts(stats->by_priority, *out.mutable_by_priority());
  fill_counts(stats->by_channel, *out.mutable_by_channel());
  fill_counts(stats->by_status, *out.mutable_by_status());
  fill_counts(stats->by_type, *out.mutable_by_type());
  fill_duration(stats->first_response, *out.mutable_first_response());
  fill_duration(stats->resolution, *out.mutable_resolution());
  fill_compliance(stats->first_response_sla, *out.mutable_first_response_sla());
  fill_compliance(stats->resolve_sla, *out.mutable_resolve_sla());
  out.set_rated(stats->rated);
  out.set_satisfaction_average(stats->satisfaction_average.value_or(0.0));
  fill_ranked(stats->top_categories, *out.mutable_top_categories());
  fill_ranked(stats->top_devices, *out.mutable_top_devices());
  fill_ranked(stats->top_findings, *out.mutable_top_findings());
  co_return json_response(out);
}

}  // namespace

void register_stats_routes(Router& router, ApiContext& ctx) {
  router.add(verb::get, "/api/v1/stats/tickets", Role::kViewer,
             [&ctx](ApiRequest& request) { return ticket_stats(ctx, request); });
}

}  // namespace helpline::relay::api
