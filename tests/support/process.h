// A child process for end-to-end tests: started with posix_spawn from an
// argv vector (never a shell), stdin from /dev/null, stdout and stderr
// captured to files so a test can read them while or after it runs
// (stdin may come from a file instead).
//
// Every wait is bounded. The destructor always kills (SIGKILL) and reaps a
// child that is still running, so a failing test leaves no process behind.
//
// Thread: a Process belongs to the thread that made it; not thread-safe.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/core/result.h"

namespace helpline::testing {

struct ProcessOptions {
  std::filesystem::path program;  // absolute path; no PATH lookup
  std::vector<std::string> args;  // argv[1..]; argv[0] is the program path
  // Added to (or replacing) the test's own environment.
  std::vector<std::pair<std::string, std::string>> env;
  // Removed from the inherited environment (e.g. https_proxy).
  std::vector<std::string> unset_env;
  std::filesystem::path stdin_path;   // read as standard input; empty: /dev/null
  std::filesystem::path stdout_path;  // truncated at start
  std::filesystem::path stderr_path;
};

class Process {
 public:
  // Starts the child. Errors: "spawn_failed" naming the program and errno.
  [[nodiscard]] static Result<Process> spawn(const ProcessOptions& options);

  Process(Process&& other) noexcept;
  Process& operator=(Process&& other) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process();

  [[nodiscard]] pid_t pid() const { return pid_; }
  // Reaps the child if it has exited (non-blocking). False once it exited.
  [[nodiscard]] bool running();
  // Waits up to `timeout` for the child to exit. Returns its exit status
  // (see exit_status()), or std::nullopt if it is still running.
  [[nodiscard]] std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  // SIGTERM (unless signal(SIGTERM) already sent one: a daemon is stopped
  // with one, as systemd does), wait up to `grace`, then SIGKILL and reap.
  // Returns the exit status; `killed` (if given) tells whether SIGKILL was
  // needed.
  int terminate(std::chrono::milliseconds grace, bool* killed = nullptr);
  // Sends a signal without waiting. No-op once the child was reaped.
  void signal(int signum);

  // After exit: the exit code, or 128 + signal number when a signal ended it.
  [[nodiscard]] std::optional<int> exit_status() const { return status_; }

  [[nodiscard]] std::string stdout_text() const;
  [[nodiscard]] std::string stderr_text() const;
  [[nodiscard]] const std::filesystem::path& stderr_path() const { return stderr_path_; }

 private:
  Process(pid_t pid, std::filesystem::path stdout_path, std::filesystem::path stderr_path)
      : pid_(pid), stdout_path_(std::move(stdout_path)), stderr_path_(std::move(stderr_path)) {}
  void kill_and_reap();

  pid_t pid_ = -1;
  std::optional<int> status_;
  bool term_sent_ = false;
  std::filesystem::path stdout_path_;
  std::filesystem::path stderr_path_;
};

// What a command that ran to completion printed and returned.
struct RunResult {
  int exit_code = -1;  // as Process::exit_status(); -1 when it timed out
  bool timed_out = false;
  std::string out;
  std::string err;

  // "exit 1; stderr: ..." for assertion messages.
  [[nodiscard]] std::string describe() const;
};

// Runs a command to completion, at most `timeout` (then it is killed and
// timed_out is set). Errors: "spawn_failed".
[[nodiscard]] Result<RunResult> run_command(const ProcessOptions& options,
                                            std::chrono::milliseconds timeout);

// The last `lines` lines of a text file ("" if it cannot be read).
[[nodiscard]] std::string tail_file(const std::filesystem::path& path, std::size_t lines);

// Whether a child's stderr holds an AddressSanitizer, LeakSanitizer or
// UndefinedBehaviorSanitizer report: a sanitizer build may report a fault
// without the exit status showing it (e.g. a command expected to fail).
[[nodiscard]] bool has_sanitizer_report(std::string_view stderr_text);

// Reads a whole (small) file; "" when it cannot be read.
[[nodiscard]] std::string read_text_file(const std::filesystem::path& path);

}  // namespace helpline::testing
