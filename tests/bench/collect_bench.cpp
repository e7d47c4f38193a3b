// collect_bench: what a full diagnostic collection costs on this machine.
//
//   1. In process, --runs times (default 10): collect_bundle with every
//      collector and the agent's redaction hook, then encode_bundle (zstd)
//      and the findings. Median, min and max of each step; the bundle's raw
//      and compressed size; this process's peak RSS (getrusage ru_maxrss).
//   2. The real binary, --spawns times (default 3): `helpline-agent collect
//      --out FILE` started with posix_spawn from an argv; its peak RSS comes
//      from wait4's rusage, its wall time from steady_clock.
//   3. The idle RSS of `helpline-agent run` needs an enrolled agent and a
//      relay: agent_bench measures it (scripts/bench runs both).
//
// Figures are printed, never asserted: they depend on the machine and on
// what else runs. Under ASan (a Debug dev build) RSS and times are several
// times what a release build shows; the header says which build this is.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "agent/collect/bundle_redaction.h"
#include "agent/collect/bundle.h"
#include "common/findings/findings.h"
#include "tests/bench/child_process.h"

namespace {

namespace collect = helpline::agent::collect;
using Clock = std::chrono::steady_clock;
using Millis = std::chrono::duration<double, std::milli>;

constexpr std::chrono::seconds kSpawnTimeout{120};

struct Stats {
  double median = 0;
  double min = 0;
  double max = 0;
};

Stats stats_of(std::vector<double> values) {
  if (values.empty()) return {};
  std::sort(values.begin(), values.end());
  std::size_t n = values.size();
  double median = n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  return {median, values.front(), values.back()};
}

std::string mib(long kib) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(kib) / 1024.0);
  return buf;
}

std::string kib_of_bytes(std::size_t bytes) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.1f KiB (%zu B)", static_cast<double>(bytes) / 1024.0, bytes);
  return buf;
}

const char* build_kind() {
#if defined(__SANITIZE_ADDRESS__)
  return HELPLINE_BENCH_BUILD_TYPE " build with AddressSanitizer (RSS and times inflated)";
#else
  return HELPLINE_BENCH_BUILD_TYPE " build";
#endif
}

int in_process(int runs) {
  auto hook = helpline::agent::make_bundle_redactor({});
  if (!hook) {
    std::fprintf(stderr, "collect_bench: %s\n", hook.error().to_string().c_str());
    return 1;
  }
  std::vector<double> collect_ms, encode_ms, findings_ms;
  std::size_t raw = 0, compressed = 0, findings = 0, collectors = 0;
  for (int i = 0; i < runs; ++i) {
    collect::Options options;
    options.redact = *hook;
    auto t0 = Clock::now();
    auto bundle = collect::collect_bundle(options);
    auto t1 = Clock::now();
    if (!bundle) {
      std::fprintf(stderr, "collect_bench: %s\n", bundle.error().to_string().c_str());
      return 1;
    }
    auto encoded = collect::encode_bundle(*bundle);
    auto t2 = Clock::now();
    if (!encoded) {
      std::fprintf(stderr, "collect_bench: %s\n", encoded.error().to_string().c_str());
      return 1;
    }
    findings = helpline::findings::evaluate(*bundle).size();
    auto t3 = Clock::now();
    collect_ms.push_back(Millis(t1 - t0).count());
    encode_ms.push_back(Millis(t2 - t1).count());
    findings_ms.push_back(Millis(t3 - t2).count());
    raw = bundle->ByteSizeLong();
    compressed = encoded->size();
    collectors = static_cast<std::size_t>(bundle->collectors_size());
  }
  rusage self{};
  ::getrusage(RUSAGE_SELF, &self);

  std::printf("in process, full bundle (%zu collectors, redaction on), %d runs:\n", collectors,
              runs);
  for (const auto& [name, values] :
       {std::pair{"collect + redact", &collect_ms}, std::pair{"encode (zstd)", &encode_ms},
        std::pair{"findings", &findings_ms}}) {
    Stats s = stats_of(*values);
    std::printf("  %-18s median %8.2f ms   min %8.2f   max %8.2f\n", name, s.median, s.min, s.max);
  }
  std::printf("  %-18s raw %s, compressed %s, ratio %.1f\n", "bundle size",
              kib_of_bytes(raw).c_str(), kib_of_bytes(compressed).c_str(),
              compressed == 0 ? 0.0 : static_cast<double>(raw) / static_cast<double>(compressed));
  std::printf("  %-18s %zu (last run)\n", "findings found", findings);
  std::printf("  %-18s %s (ru_maxrss of this process after all runs)\n", "peak RSS",
              mib(self.ru_maxrss).c_str());
  return 0;
}

struct Spawned {
  int exit_status = -1;  // 128 + signal when killed
  long max_rss_kib = 0;
  double wall_ms = 0;
};

// Runs the agent binary with `args`, output to /dev/null, state in an empty
// directory (no enrollment: defaults).
bool spawn_agent(const std::vector<std::string>& args, const std::string& state_dir,
                 Spawned& result) {
  helpline::bench::SpawnSpec spec;
  spec.program = HELPLINE_AGENT_BIN;
  spec.args = args;
  spec.env = {{"HELPLINE_AGENT_STATE", state_dir}};
  auto start = Clock::now();
  auto pid = helpline::bench::spawn(spec);
  if (!pid) {
    std::fprintf(stderr, "collect_bench: %s\n", pid.error().message.c_str());
    return false;
  }
  // Bounded: the agent's collectors have their own budgets, this is a backstop.
  auto exited = helpline::bench::wait_exit(
      *pid, static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(kSpawnTimeout).count()));
  if (!exited) return false;
  result.wall_ms = Millis(Clock::now() - start).count();
  result.max_rss_kib = exited->max_rss_kib;
  result.exit_status = exited->status;
  return true;
}

int spawned(int spawns) {
  char dir_template[] = "/tmp/helpline-collect-bench-XXXXXX";
  if (::mkdtemp(dir_template) == nullptr) {
    std::fprintf(stderr, "collect_bench: mkdtemp: %s\n", std::strerror(errno));
    return 1;
  }
  std::filesystem::path dir = dir_template;
  std::printf("helpline-agent collect --out FILE, %d spawns (ru_maxrss from wait4):\n", spawns);
  std::vector<double> rss, wall;
  int failures = 0;
  for (int i = 0; i < spawns; ++i) {
    Spawned r;
    std::string out = (dir / ("bundle-" + std::to_string(i) + ".hlb")).string();
    if (!spawn_agent({"collect", "--out", out}, (dir / "state").string(), r)) {
      ++failures;
      continue;
    }
    std::error_code ec;
    auto size = std::filesystem::file_size(out, ec);
    std::printf("  run %d: exit %d, peak RSS %s, wall %.0f ms, file %s\n", i + 1, r.exit_status,
                mib(r.max_rss_kib).c_str(), r.wall_ms, ec ? "missing" : kib_of_bytes(size).c_str());
    if (r.exit_status != 0) ++failures;
    rss.push_back(static_cast<double>(r.max_rss_kib));
    wall.push_back(r.wall_ms);
  }
  Stats r = stats_of(rss);
  Stats w = stats_of(wall);
  std::printf("  %-18s median %s (min %s, max %s); wall median %.0f ms (process start included)\n",
              "peak RSS", mib(static_cast<long>(r.median)).c_str(),
              mib(static_cast<long>(r.min)).c_str(), mib(static_cast<long>(r.max)).c_str(),
              w.median);
  std::filesystem::remove_all(dir);
  return failures == 0 ? 0 : 1;
}

int usage_error(const char* what) {
  std::fprintf(stderr, "collect_bench: %s\nusage: collect_bench [--runs N] [--spawns N]\n", what);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 10;
  int spawns = 3;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if ((arg == "--runs" || arg == "--spawns") && i + 1 < argc) {
      char* end = nullptr;
      long n = std::strtol(argv[++i], &end, 10);
      if (end == nullptr || *end != '\0' || n < 0 || n > 1000) return usage_error("bad count");
      (arg == "--runs" ? runs : spawns) = static_cast<int>(n);
    } else {
      return usage_error(("unknown argument " + arg).c_str());
    }
  }
  std::printf("collect_bench: %s, %u CPUs online\n", build_kind(),
              std::thread::hardware_concurrency());
  int rc = runs > 0 ? in_process(runs) : 0;
  if (spawns > 0) rc = std::max(rc, spawned(spawns));
  std::printf("idle RSS of helpline-agent run: see agent_bench (needs an enrolled agent and a relay)\n");
  return rc;
}
