// Network reachability basics, the clock, failed units and error-log bursts.
#include <algorithm>
#include <map>

#include "common/findings/format.h"
#include "common/findings/rules.h"

namespace helpline::findings::detail {
namespace {

// Entries dated outside year 1970..9999 are ignored: bundles come from
// peers, and time differences must not overflow.
constexpr std::int64_t kMaxTimeMs = 253'402'300'799'000;

constexpr std::string_view kPriorityNames[] = {"emerg",   "alert",  "crit", "err",
                                               "warning", "notice", "info", "debug"};

[[nodiscard]] std::string priority_name(unsigned priority) {
  return priority < std::size(kPriorityNames) ? std::string(kPriorityNames[priority])
                                              : std::to_string(priority);
}

[[nodiscard]] bool is_default_route(const v1::Route& r) {
  return r.destination() == "0.0.0.0/0" || r.destination() == "::/0" ||
         r.destination() == "default";
}

[[nodiscard]] std::string interfaces_up(const v1::NetworkInfo& net) {
  std::string out;
  for (const v1::Interface& i : net.interfaces()) {
    if (i.oper_state() != "up" || i.name() == "lo") continue;
    if (!out.empty()) out += ", ";
    out += i.name();
  }
  return out.empty() ? std::string("none") : out;
}

// The entries of one log source (unit, identifier or "kernel") that count
// toward a burst, oldest first.
struct Source {
  std::vector<const v1::LogEntry*> entries;
};

struct Burst {
  std::size_t count = 0;
  std::int64_t from_ms = 0;
  std::int64_t to_ms = 0;
  const v1::LogEntry* last = nullptr;
};

// The window of `window_ms` holding the most entries (two pointers over the
// time-sorted entries).
[[nodiscard]] Burst densest_window(std::vector<const v1::LogEntry*>& entries,
                                   std::int64_t window_ms) {
  std::stable_sort(entries.begin(), entries.end(),
                   [](const auto* a, const auto* b) { return a->time_ms() < b->time_ms(); });
  Burst best;
  std::size_t start = 0;
  for (std::size_t end = 0; end < entries.size(); ++end) {
    while (entries[end]->time_ms() - entries[start]->time_ms() >= window_ms) ++start;
    std::size_t count = end - start + 1;
    if (count > best.count) {
      best = {count, entries[start]->time_ms(), entries[end]->time_ms(), entries[end]};
    }
  }
  return best;
}

void add_entries(const google::protobuf::RepeatedPtrField<v1::LogEntry>& list, bool kernel,
                 unsigned max_priority, std::map<std::string, Source>& sources,
                 std::vector<std::string>& order) {
  for (const v1::LogEntry& e : list) {
    if (e.priority() > max_priority || e.time_ms() <= 0 || e.time_ms() > kMaxTimeMs) continue;
    std::string key = kernel ? std::string("kernel") : e.unit();
    if (key.empty()) key = e.identifier();
    if (key.empty()) key = "unknown source";
    auto [it, inserted] = sources.try_emplace(key);
    if (inserted) order.push_back(key);
    it->second.entries.push_back(&e);
  }
}

}  // namespace

void evaluate_network(const v1::DiagnosticBundle& bundle, Emitter& emitter) {
  const v1::NetworkInfo& net = bundle.network();
  if (collected(bundle, "network.dns") && net.dns_servers_size() == 0) {
    std::string details;
    for (const v1::CollectorStatus& s : bundle.collectors()) {
      if (s.name() != "network.dns") continue;
      for (const std::string& e : s.errors()) details += "; " + shorten(e);
    }
    emitter.emit(
        ids::kNoDns, "",
        {{"resolver", net.resolver().empty() ? std::string("resolv.conf") : net.resolver()},
         {"details", details}});
  }
  if (collected(bundle, "network.routes") && net.default_gateway().empty() &&
      std::none_of(net.routes().begin(), net.routes().end(), is_default_route)) {
    emitter.emit(ids::kNoDefaultRoute, "",
                 {{"routes", std::to_string(net.routes_size())}, {"up", interfaces_up(net)}});
  }
}

void evaluate_clock(const v1::DiagnosticBundle& bundle, Emitter& emitter) {
  const v1::SystemInfo& sys = bundle.system();
  if (!sys.has_clock_synchronized() || sys.clock_synchronized()) return;
  emitter.emit(
      ids::kClockUnsynchronized, "",
      {{"source",
        sys.clock_sync_source().empty() ? std::string("unknown source") : sys.clock_sync_source()},
       {"ntp", sys.ntp_service().empty() ? std::string("none running") : sys.ntp_service()}});
}

void evaluate_services(const v1::DiagnosticBundle& bundle, Emitter& emitter) {
  for (const v1::Unit& u : bundle.services().units()) {
    if (u.active_state() != "failed") continue;
    std::string last_log = u.last_log_lines_size() > 0
                               ? shorten(u.last_log_lines(u.last_log_lines_size() - 1))
                               : std::string("none");
    std::string state = u.active_state() + (u.sub_state().empty() ? "" : "/" + u.sub_state());
    emitter.emit(ids::kUnitFailed, u.name(),
                 {{"description", u.description().empty() ? u.name() : u.description()},
                  {"state", state},
                  {"result", u.result().empty() ? std::string("unknown") : u.result()},
                  {"since", format_time(u.since_ms())},
                  {"last_log", last_log}});
  }
}

void evaluate_log_bursts(const v1::DiagnosticBundle& bundle, Emitter& emitter) {
  const FindingsConfig& config = emitter.config();
  std::int64_t window_ms = std::max<std::int64_t>(config.error_burst_window.count(), 1);
  double threshold = emitter.threshold(ids::kErrorBurst);
  std::map<std::string, Source> sources;
  std::vector<std::string> order;  // first appearance, so findings follow the log
  add_entries(bundle.logs().entries(), false, config.error_burst_priority, sources, order);
  // The kernel ring buffer repeats the journal's kernel entries: count it
  // only when the journal had none.
  if (sources.find("kernel") == sources.end()) {
    add_entries(bundle.logs().kernel(), true, config.error_burst_priority, sources, order);
  }
  for (const std::string& key : order) {
    Burst burst = densest_window(sources[key].entries, window_ms);
    if (burst.count == 0 || static_cast<double>(burst.count) < threshold) continue;
    std::string count = std::to_string(burst.count);
    std::string window = format_window(config.error_burst_window);
    emitter.emit(ids::kErrorBurst, key,
                 {{"count", count},
                  {"window", window},
                  {"priority", priority_name(config.error_burst_priority)},
                  {"from", format_time(burst.from_ms)},
                  {"to", format_time(burst.to_ms)},
                  {"message", shorten(burst.last->message())}});
  }
}

}  // namespace helpline::findings::detail
