// ticket_bench: the helpdesk's embedded store at scale.
//
//   1. Creates --tickets tickets (default 1,000,000) through HelpdeskService
//      (matrix, SLA clock, acknowledgement, history, the webhook outbox as
//      the relay wires it, one transaction each) into a fresh SQLite store;
//      prints the overall create rate and the rate of the last 10,000 (with
//      the store full).
//   2. --queries times (default 200) each: the default technician queue
//      (open tickets by priority then SLA deadline, first page of 50) and a
//      filtered search (priority 4, breaching, first page); p50 and p99.
//   3. The database size (relay.db plus its WAL).
//
// Figures are printed, never asserted. A Debug build with sanitizers is
// several times slower than a release build; the header says which it is.
// Usage: ticket_bench [--tickets N] [--queries N] [--dir PATH]
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "server/helpdesk/helpdesk_service.h"
#include "tests/bench/bench_stats.h"
#include "server/webhooks/webhooks.h"

namespace {

namespace fs = std::filesystem;
namespace t = helpline::relay::tickets;
using Clock = helpline::bench::BenchClock;
using helpline::bench::ms_since;
using helpline::bench::percentile;

constexpr helpline::UnixMillis kStart = 1'800'000'000'000;

struct Options {
  long tickets = 1'000'000;
  long queries = 200;
  fs::path dir;
};

int run(const Options& options) {
  fs::create_directories(options.dir);
  fs::path db = options.dir / "relay.db";
  fs::remove(db);
  fs::remove(fs::path(db.string() + "-wal"));
  auto store = helpline::relay::open_sqlite_store(db);
  if (!store) {
    std::fprintf(stderr, "ticket_bench: %s\n", store.error().to_string().c_str());
    return 1;
  }
  helpline::UnixMillis now = kStart;
  // As in the relay: events go through the webhook outbox (no webhook is
  // configured here, so nothing is queued and no body is rendered).
  boost::asio::io_context io;
  helpline::relay::webhooks::WebhookService webhooks(
      io, **store, {}, [](const auto&, std::string_view) { return std::string("{}"); },
      [&now] { return now; });
  helpline::relay::helpdesk::HelpdeskService service(**store, t::HelpdeskRules{},
                                                     [&now] { return now; });
  service.set_outbox(&webhooks);
  const t::Actor tech = t::Actor::technician("bench", t::SupportLevel::kL1);
  const char* categories[] = {"hardware", "software", "network", "access", "request", "other"};

  std::printf("ticket_bench (%s build), %ld tickets in %s\n", HELPLINE_BENCH_BUILD_TYPE,
              options.tickets, db.c_str());
  const long tail = std::min<long>(10'000, options.tickets);
  auto start = Clock::now();
  auto tail_start = start;
  for (long i = 0; i < options.tickets; ++i) {
    if (i == options.tickets - tail) tail_start = Clock::now();
    now += 1000;
    t::NewTicket n;
    n.title = "Bench ticket " + std::to_string(i);
    n.requester = {"user" + std::to_string(i % 5000), ""};
    n.category = categories[i % 6];
    n.impact = static_cast<t::Impact>(1 + i % 5);
    n.urgency = static_cast<t::Urgency>(1 + (i / 5) % 5);
    auto created = service.create(n, tech);
    if (!created) {
      std::fprintf(stderr, "ticket_bench: create %ld: %s\n", i,
                   created.error().to_string().c_str());
      return 1;
    }
    if ((i + 1) % 100'000 == 0) std::printf("  %ld created\n", i + 1);
  }
  const double total_ms = ms_since(start);
  const double tail_ms = ms_since(tail_start);
  std::printf("create: %.0f tickets/s overall, %.0f tickets/s for the last %ld\n",
              static_cast<double>(options.tickets) / (total_ms / 1000.0),
              static_cast<double>(tail) / (tail_ms / 1000.0), tail);

  auto measure = [&](const char* name, const helpline::relay::TicketQuery& query) {
    std::vector<double> times;
    std::size_t rows = 0;
    for (long i = 0; i < options.queries; ++i) {
      auto q_start = Clock::now();
      auto page = service.list(query);
      times.push_back(ms_since(q_start));
      if (!page) {
        std::fprintf(stderr, "ticket_bench: %s: %s\n", name, page.error().to_string().c_str());
        return;
      }
      rows = page->tickets.size();
    }
    std::printf("%s: p50 %.3f ms, p99 %.3f ms (%zu rows per page, %ld runs)\n", name,
                percentile(times, 50), percentile(times, 99), rows, options.queries);
  };
  helpline::relay::TicketQuery queue;
  measure("default queue", queue);
  helpline::relay::TicketQuery filtered;
  filtered.priority = t::Priority::kHigh;
  filtered.breaching = true;
  now += 3'600'000;  // an hour later: priority 4 first responses are overdue
  measure("filtered (priority 4, breaching)", filtered);

  helpline::bench::print_database_size(db);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);  // one info line per ticket would dominate
  Options options;
  options.dir = fs::temp_directory_path() / "helpline-ticket-bench";
  if (!helpline::bench::parse_flags(
          argc, argv, {{"--tickets", &options.tickets}, {"--queries", &options.queries}},
          options.dir, "usage: ticket_bench [--tickets N] [--queries N] [--dir PATH]")) {
    return 2;
  }
  return run(options);
}
