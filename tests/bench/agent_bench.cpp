// agent_bench: what the real helpline-agent costs on a workstation, with
// an enrolled state directory and a running relay:
//   1. a returning agent's time from start to online, --starts times
//      (default 5): posix_spawn of `helpline-agent run` until its
//      status.json says connected (polled every 0.5 ms); median, min, max;
//   2. one agent left idle for --idle seconds (default 60) once online and
//      settled: CPU seconds (every thread, from /proc schedstat), context
//      switches (about one per wakeup), RSS at the end and its peak, and
//      the end RSS without shared libraries' resident pages.
// Prints figures only; nothing is asserted.
//
// usage: agent_bench --state DIR [--starts N] [--idle S] [--settle S] [--json]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/core/json_writer.h"
#include "tests/bench/child_process.h"

namespace {

namespace fs = std::filesystem;
namespace bench = helpline::bench;
using Clock = std::chrono::steady_clock;

constexpr auto kOnlineTimeout = std::chrono::seconds(15);
constexpr auto kPoll = std::chrono::microseconds(500);
constexpr int kStopGraceMs = 5000;

struct Options {
  fs::path state;
  int starts = 5;
  double idle_s = 60;
  double settle_s = 3;
  bool json = false;
};

[[nodiscard]] bool says_connected(const fs::path& status_file) {
  std::ifstream in(status_file);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  text.erase(std::remove(text.begin(), text.end(), ' '), text.end());
  return text.find("\"connected\":true") != std::string::npos;
}

[[nodiscard]] bench::SpawnSpec agent_spec(const Options& options) {
  bench::SpawnSpec spec;
  spec.program = HELPLINE_AGENT_BIN;
  spec.args = {"run", "--state", options.state.string(), "--socket",
               (options.state / "bench.sock").string()};
  spec.output = (options.state / "agent_bench.log").string();
  return spec;
}

// Starts the agent and waits until it is online; the pid and the time it took.
[[nodiscard]] helpline::Result<std::pair<pid_t, double>> start_online(const Options& options) {
  const fs::path status_file = options.state / "status.json";
  std::error_code ec;
  fs::remove(status_file, ec);
  auto started = Clock::now();
  auto pid = bench::spawn(agent_spec(options));
  if (!pid) return helpline::fail(pid.error());
  while (!says_connected(status_file)) {
    if (Clock::now() - started > kOnlineTimeout) {
      bench::stop(*pid, kStopGraceMs);
      return helpline::fail("timeout", "the agent was not online within 15 s (see " +
                                           agent_spec(options).output + ")");
    }
    std::this_thread::sleep_for(kPoll);
  }
  double ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
  return std::pair{*pid, ms};
}

int usage(const char* what) {
  std::fprintf(stderr,
               "agent_bench: %s\nusage: agent_bench --state DIR [--starts N] [--idle S] "
               "[--settle S] [--json]\n",
               what);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    bool has_value = i + 1 < argc;
    if (arg == "--json") {
      options.json = true;
    } else if (arg == "--state" && has_value) {
      options.state = argv[++i];
    } else if (arg == "--starts" && has_value) {
      options.starts = std::atoi(argv[++i]);
    } else if (arg == "--idle" && has_value) {
      options.idle_s = std::atof(argv[++i]);
    } else if (arg == "--settle" && has_value) {
      options.settle_s = std::atof(argv[++i]);
    } else {
      return usage(("unknown option " + std::string(arg)).c_str());
    }
  }
  if (options.state.empty()) return usage("--state is required");
  if (options.starts < 1 || options.idle_s < 1) return usage("--starts and --idle must be >= 1");

  std::vector<double> online_ms;
  for (int i = 0; i < options.starts; ++i) {
    auto run = start_online(options);
    if (!run) {
      std::fprintf(stderr, "agent_bench: %s\n", run.error().to_string().c_str());
      return 1;
    }
    online_ms.push_back(run->second);
    bench::stop(run->first, kStopGraceMs);
  }
  std::sort(online_ms.begin(), online_ms.end());
  std::fprintf(stderr, "agent_bench: starts done\n");
  double median = online_ms[online_ms.size() / 2];
  if (online_ms.size() % 2 == 0) median = (median + online_ms[online_ms.size() / 2 - 1]) / 2;

  auto run = start_online(options);
  if (!run) {
    std::fprintf(stderr, "agent_bench: %s\n", run.error().to_string().c_str());
    return 1;
  }
  pid_t pid = run->first;
  std::this_thread::sleep_for(std::chrono::duration<double>(options.settle_s));
  auto before = bench::sample(pid);
  std::this_thread::sleep_for(std::chrono::duration<double>(options.idle_s));
  auto after = bench::sample(pid);
  bool still_online = says_connected(options.state / "status.json");
  bench::stop(pid, kStopGraceMs);
  if (!before || !after) {
    std::fprintf(stderr, "agent_bench: %s\n",
                 (!before ? before.error() : after.error()).to_string().c_str());
    return 1;
  }
  double cpu_s = after->cpu_seconds - before->cpu_seconds;
  long switches = after->context_switches - before->context_switches;
  double per_minute = 60.0 / options.idle_s;

  if (options.json) {
    helpline::JsonWriter json;
    json.begin_object()
        .field("starts", static_cast<std::int64_t>(options.starts))
        .field("online_ms_median", median)
        .field("online_ms_min", online_ms.front())
        .field("online_ms_max", online_ms.back())
        .field("idle_seconds", options.idle_s)
        .field("idle_cpu_seconds", cpu_s)
        .field("idle_cpu_seconds_per_minute", cpu_s * per_minute)
        .field("context_switches_per_minute", static_cast<double>(switches) * per_minute)
        .field("idle_rss_kib", static_cast<std::int64_t>(after->rss_kib))
        .field("idle_library_rss_kib", static_cast<std::int64_t>(after->library_rss_kib))
        .field("idle_own_rss_kib",
               static_cast<std::int64_t>(after->rss_kib - after->library_rss_kib))
        .field("peak_rss_kib", static_cast<std::int64_t>(after->peak_rss_kib))
        .field("still_online", still_online)
        .end_object();
    std::printf("%s\n", json.str().c_str());
    return still_online ? 0 : 1;
  }
  std::printf("returning agent, start to online (%d starts): median %.1f ms, min %.1f, max %.1f\n",
              options.starts, median, online_ms.front(), online_ms.back());
  std::printf("idle for %.0f s: CPU %.4f s (%.4f s per minute), %.0f context switches per minute\n",
              options.idle_s, cpu_s, cpu_s * per_minute, static_cast<double>(switches) * per_minute);
  std::printf("RSS %.2f MiB (peak %.2f MiB), of which shared libraries %.2f MiB, own %.2f MiB%s\n",
              static_cast<double>(after->rss_kib) / 1024.0,
              static_cast<double>(after->peak_rss_kib) / 1024.0,
              static_cast<double>(after->library_rss_kib) / 1024.0,
              static_cast<double>(after->rss_kib - after->library_rss_kib) / 1024.0,
              still_online ? "" : "; the agent was no longer online at the end");
  return still_online ? 0 : 1;
}
