// Running a helper program (smartctl, rpm) for a collector: an argv vector
// through posix_spawn, never a shell; stdin and stderr on /dev/null, stdout
// captured up to a cap; killed (SIGKILL) and reaped at the deadline.
//
// Thread: callable from any thread. The child's descriptors are CLOEXEC so
// concurrent spawns do not inherit each other's pipes.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "agent/collect/collector.h"

namespace helpline::agent::collect::linux_impl {

// Absolute path of `name` in the system program directories (/usr/sbin,
// /usr/bin, /sbin, /bin and their /usr/local forms), "" when absent. PATH
// is deliberately ignored: the agent runs as root and must not run whatever
// an environment puts first.
[[nodiscard]] std::string find_program(std::string_view name);

struct ProgramOutput {
  int exit_code = -1;  // -1 when killed by a signal
  std::string output;  // stdout, at most max_output bytes
  bool output_truncated = false;
};

// argv[0] must be an absolute path. The child gets a fixed environment
// (PATH of the system directories, LC_ALL=C) so its output is parseable.
// Errors: "spawn_failed" (naming the program and errno), "timed_out" when
// the deadline passed (the child was killed).
[[nodiscard]] Result<ProgramOutput> run_program(const std::vector<std::string>& argv,
                                                Clock::time_point deadline,
                                                std::size_t max_output = 4u << 20);

}  // namespace helpline::agent::collect::linux_impl
