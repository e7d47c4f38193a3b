// A shell in a pseudo-terminal for a remote session (Linux): forkpty(3)
// makes the child a session leader with the PTY as its controlling
// terminal; the child drops to the session's account (setgroups, setgid,
// setuid) before exec, with a fresh environment. The master side is read
// and written through a uv_poll handle; the exit is reaped on SIGCHLD.
//
// Ending it (kill_all, and always once the shell exited) sends SIGHUP and
// then SIGKILL to every process whose session id is the shell's (its
// process group and the jobs it started in others), found in /proc, so
// nothing the shell started keeps running. A process that made itself a
// new session (setsid) is beyond that, as with any Unix session.
//
// Thread: the loop's thread. Lifetime: owned by its ShellChannel; close()
// and destroy after the callback.
#pragma once

#include <sys/types.h>
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/result.h"

namespace helpline::agent::session {

struct PtySpec {
  std::string shell;              // absolute path, run as a login shell ("-sh")
  std::vector<std::string> env;   // the whole environment
  std::optional<uid_t> uid;       // set: switch to this account
  gid_t gid = 0;
  std::vector<gid_t> groups;
  std::string cwd = "/";
  std::uint16_t cols = 80;
  std::uint16_t rows = 24;
};

class PtyProcess {
 public:
  using OutputFn = std::function<void(std::string_view bytes)>;
  // Once: the shell exited and its output was read to the end.
  using ExitFn = std::function<void(int exit_code, int signal)>;

  // Errors: "spawn_failed" with the OS reason.
  [[nodiscard]] static Result<std::unique_ptr<PtyProcess>> start(uv_loop_t* loop, PtySpec spec,
                                                                 OutputFn on_output,
                                                                 ExitFn on_exit);
  ~PtyProcess();
  PtyProcess(const PtyProcess&) = delete;
  PtyProcess& operator=(const PtyProcess&) = delete;

  // Queues input for the shell (written as the PTY takes it). Errors:
  // "too_much_input" when more than kMaxPendingInput waits.
  [[nodiscard]] Result<void> write(std::string_view bytes);
  void resize(std::uint16_t cols, std::uint16_t rows);
  // To the terminal's foreground process group (what Ctrl-C would reach).
  void signal(int sig);
  // Stops or resumes reading output (flow control toward the technician).
  void pause_output(bool paused);
  // SIGHUP, then SIGKILL, to every process of the shell's session.
  void kill_all();
  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] bool exited() const { return exited_; }

  // Kills what still runs and closes the handles; `closed` runs after.
  void close(std::function<void()> closed);

  static constexpr std::size_t kMaxPendingInput = 1u << 20;

 private:
  PtyProcess(uv_loop_t* loop, OutputFn on_output, ExitFn on_exit);
  void update_poll();
  void on_poll(int status, int events);
  void on_sigchld();
  void maybe_finish();

  uv_loop_t* loop_;
  OutputFn on_output_;
  ExitFn on_exit_;
  int master_ = -1;
  pid_t pid_ = -1;
  uv_poll_t poll_{};
  uv_signal_t sigchld_{};
  bool handles_open_ = false;
  int closes_pending_ = 0;
  std::function<void()> on_closed_;
  std::string pending_input_;
  bool paused_ = false;
  bool eof_ = false;
  bool exited_ = false;
  bool finished_ = false;
  int exit_code_ = 0;
  int exit_signal_ = 0;
};

// Every pid whose session id is `sid` (from /proc/<pid>/stat).
[[nodiscard]] std::vector<pid_t> session_members(pid_t sid);

}  // namespace helpline::agent::session
