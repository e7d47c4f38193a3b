// Child processes for the benchmarks that measure the real binaries:
// started with posix_spawn from an argv (never through a shell), with some
// environment variables replaced, and read through /proc while they run.
//
// Errors: "spawn_failed", "proc_unreadable" naming the call and the reason.
// Thread: any; no shared state.
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

#include "common/core/result.h"

namespace helpline::bench {

struct SpawnSpec {
  std::string program;
  std::vector<std::string> args;                            // argv[1..]
  std::vector<std::pair<std::string, std::string>> env;     // set or replaced
  std::string output = "/dev/null";                         // stdout and stderr
};

[[nodiscard]] Result<pid_t> spawn(const SpawnSpec& spec);

// What /proc says about a running process.
struct ProcSample {
  long rss_kib = 0;          // VmRSS
  long peak_rss_kib = 0;     // VmHWM
  long library_rss_kib = 0;  // of that, pages of shared libraries (*.so*) mapped from files
  double cpu_seconds = 0;    // utime + stime
  long context_switches = 0; // voluntary + involuntary: about one per wakeup
};

[[nodiscard]] Result<ProcSample> sample(pid_t pid);

// SIGTERM, then SIGKILL after `grace_ms`; reaps the child. Returns its
// exit status (128 + signal when killed).
int stop(pid_t pid, int grace_ms);

struct Exited {
  int status = -1;        // exit status, 128 + signal when killed
  long max_rss_kib = 0;   // ru_maxrss: the child's peak RSS
  double wall_ms = 0;     // from the call to the exit
};

// Waits for the child to end by itself, at most `timeout_ms` (then
// SIGKILL); reaps it. Errors: "wait_failed".
[[nodiscard]] Result<Exited> wait_exit(pid_t pid, int timeout_ms);

}  // namespace helpline::bench
