#include "server/tickets/stats.h"

#include <gtest/gtest.h>

#include "tests/unit/server/tickets/ticket_builders.h"

namespace helpline::relay::tickets {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using testing::kHour;
using testing::kMinute;

constexpr UnixMillis kStart = 1'000 * kHour;  // period start

// A ticket created at kStart + offset with hand-set outcome fields.
Ticket made(UnixMillis offset, UnixMillis response_after = 0, UnixMillis resolved_after = 0) {
  Ticket t;
  t.created_at = kStart + offset;
  if (response_after != 0) t.first_response_at = t.created_at + response_after;
  if (resolved_after != 0) {
    t.resolved_at = t.created_at + resolved_after;
    t.status = Status::kResolved;
  }
  return t;
}

TEST(Stats, NearestRankPercentiles) {
  std::vector<milliseconds> ten;
  for (int i = 1; i <= 10; ++i) ten.push_back(minutes(i));
  EXPECT_EQ(nearest_rank(ten, 50), minutes(5));
  EXPECT_EQ(nearest_rank(ten, 90), minutes(9));
  EXPECT_EQ(nearest_rank(ten, 100), minutes(10));
  const std::vector<milliseconds> five{minutes(1), minutes(2), minutes(3), minutes(4), minutes(50)};
  EXPECT_EQ(nearest_rank(five, 50), minutes(3));
  EXPECT_EQ(nearest_rank(five, 90), minutes(50));
  EXPECT_EQ(nearest_rank({}, 50), milliseconds{0});
  const std::vector<milliseconds> one{minutes(7)};
  EXPECT_EQ(nearest_rank(one, 90), minutes(7));
}

TEST(Stats, ResponseAndResolutionTimes) {
  std::vector<Ticket> tickets;
  for (int i = 1; i <= 10; ++i) tickets.push_back(made(i * kMinute, i * kMinute, i * kHour));
  tickets.push_back(made(kMinute));  // neither answered nor resolved
  const TicketStats stats = compute_stats(tickets, StatsOptions{{kStart, 0}, kStart + 100 * kHour});
  EXPECT_EQ(stats.total, 11u);
  EXPECT_EQ(stats.resolved, 10u);
  EXPECT_EQ(stats.first_response.count, 10u);
  EXPECT_EQ(stats.first_response.median, minutes(5));
  EXPECT_EQ(stats.first_response.p90, minutes(9));
  EXPECT_EQ(stats.resolution.median, milliseconds{5 * kHour});
  EXPECT_EQ(stats.resolution.p90, milliseconds{9 * kHour});
}

TEST(Stats, PeriodIsHalfOpenOnCreation) {
  const std::vector<Ticket> tickets{made(-1), made(0), made(kHour - 1), made(kHour)};
  const TicketStats stats = compute_stats(tickets, StatsOptions{{kStart, kStart + kHour}, kStart});
  EXPECT_EQ(stats.total, 2u);
}

TEST(Stats, CountsByDimension) {
  std::vector<Ticket> tickets(3, made(0));
  tickets[0].category = Category::from_storage("network");
  tickets[0].priority = Priority::kHigh;
  tickets[0].channel = Channel::kAgent;
  tickets[1].status = Status::kPending;
  tickets[2].type = TicketType::kRequest;
  tickets[2].reopen_count = 2;
  const TicketStats stats = compute_stats(tickets, StatsOptions{{kStart, 0}, kStart});
  EXPECT_EQ(stats.by_category, (std::map<std::string, std::size_t>{{"network", 1}, {"other", 2}}));
  EXPECT_EQ(stats.by_priority, (std::map<std::string, std::size_t>{{"3", 2}, {"4", 1}}));
  EXPECT_EQ(stats.by_channel, (std::map<std::string, std::size_t>{{"agent", 1}, {"portal", 2}}));
  EXPECT_EQ(stats.by_status, (std::map<std::string, std::size_t>{{"new", 2}, {"pending", 1}}));
  EXPECT_EQ(stats.by_type, (std::map<std::string, std::size_t>{{"incident", 2}, {"request", 1}}));
  EXPECT_EQ(stats.reopened, 1u);
}

TEST(Stats, SlaComplianceCountsOnlyKnownOutcomes) {
  const BusinessCalendar calendar;
  auto with_sla = [&](Ticket t) {
    t.sla = start_sla_clock(t.created_at, {milliseconds{kHour}, milliseconds{4 * kHour}}, calendar);
    if (t.resolved_at != 0) pause_sla(t.sla, t.resolved_at);
    return t;
  };
  std::vector<Ticket> tickets{
      with_sla(made(0, kHour, 4 * kHour)),          // both met exactly at the deadline
      with_sla(made(0, kHour + 1, 4 * kHour + 1)),  // both missed by 1 ms
      with_sla(made(0)),                            // open, past both deadlines at `now`
      with_sla(made(9 * kHour)),                    // open, not yet due: not measured
  };
  Ticket rejected = with_sla(made(0, 10 * kMinute));
  rejected.status = Status::kClosed;
  pause_sla(rejected.sla, rejected.created_at + 10 * kMinute);
  tickets.push_back(rejected);  // responded in time; no resolve outcome
  tickets.push_back(made(0));   // no SLA at all

  const TicketStats stats = compute_stats(tickets, StatsOptions{{kStart, 0}, kStart + 9 * kHour});
  EXPECT_EQ(stats.first_response_sla.measured, 4u);
  EXPECT_EQ(stats.first_response_sla.met, 2u);
  EXPECT_DOUBLE_EQ(stats.first_response_sla.percent.value(), 50.0);
  EXPECT_EQ(stats.resolve_sla.measured, 3u);
  EXPECT_EQ(stats.resolve_sla.met, 1u);
  EXPECT_NEAR(stats.resolve_sla.percent.value(), 100.0 / 3.0, 1e-9);
  const TicketStats empty = compute_stats({}, StatsOptions{{kStart, 0}, kStart});
  EXPECT_FALSE(empty.first_response_sla.percent.has_value());
  EXPECT_FALSE(empty.satisfaction_average.has_value());
}

TEST(Stats, SatisfactionAverageOverRatedTickets) {
  std::vector<Ticket> tickets(4, made(0, 0, kHour));
  tickets[0].satisfaction.rating = 5;
  tickets[1].satisfaction.rating = 4;
  tickets[2].satisfaction.rating = 2;
  const TicketStats stats = compute_stats(tickets, StatsOptions{{kStart, 0}, kStart});
  EXPECT_EQ(stats.rated, 3u);
  EXPECT_DOUBLE_EQ(stats.satisfaction_average.value(), 11.0 / 3.0);
}

TEST(Stats, RecurringIncidentsRankedByCountThenName) {
  std::vector<Ticket> tickets;
  auto incident = [&](const char* category, const char* device, std::vector<std::string> findings) {
    Ticket t = made(0);
    t.category = Category::from_storage(category);
    t.requester.device_id = device;
    t.finding_ids = std::move(findings);
    tickets.push_back(t);
  };
  incident("network", "dev_a", {"net.dns", "disk.full", "net.dns"});
  incident("network", "dev_a", {"net.dns"});
  incident("hardware", "dev_b", {"disk.full", "smart.warn"});
  incident("software", "dev_c", {"oom.kill"});
  incident("hardware", "", {});
  Ticket request = made(0);
  request.type = TicketType::kRequest;
  request.category = Category::from_storage("access");
  request.requester.device_id = "dev_z";
  request.finding_ids = {"zzz"};
  for (int i = 0; i < 5; ++i) tickets.push_back(request);

  const TicketStats stats = compute_stats(tickets, StatsOptions{{kStart, 0}, kStart, 2});
  EXPECT_EQ(stats.top_categories, (std::vector<RankedCount>{{"hardware", 2}, {"network", 2}}));
  EXPECT_EQ(stats.top_devices, (std::vector<RankedCount>{{"dev_a", 2}, {"dev_b", 1}}));
  EXPECT_EQ(stats.top_findings, (std::vector<RankedCount>{{"disk.full", 2}, {"net.dns", 2}}));
  EXPECT_EQ(stats.by_category.at("access"), 5u) << "requests still count in the totals";
}

TEST(Stats, TopCountsKeepsTiesInNameOrder) {
  const std::map<std::string, std::size_t> counts{{"b", 3}, {"a", 3}, {"c", 5}, {"d", 1}};
  EXPECT_EQ(top_counts(counts, 3), (std::vector<RankedCount>{{"c", 5}, {"a", 3}, {"b", 3}}));
  EXPECT_EQ(top_counts(counts, 10).size(), 4u);
  EXPECT_TRUE(top_counts(counts, 0).empty());
}

}  // namespace
}  // namespace helpline::relay::tickets
