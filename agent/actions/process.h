// One child process for an action, driven by libuv: spawned from an argv
// (never a shell), in its own session and process group, stdin /dev/null,
// stdout and stderr interleaved into one pipe, cwd "/", a scrubbed
// environment, optionally under another uid/gid. The whole process group is
// killed at the timeout (SIGTERM, then SIGKILL after a grace period) and
// again, with SIGKILL, once the main process has exited, so no child or
// grandchild that stayed in the group outlives the action. A descendant
// that left the group (setsid) cannot be tracked this way; its open pipe
// is given up after `drain_after_exit`.
//
// Thread: the loop's thread only. The Process owns itself: it deletes
// itself after its last handle closed and `on_exit` returned.
#pragma once

#include <sys/types.h>
#include <uv.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/result.h"

namespace helpline::agent::actions {

struct SpawnSpec {
  std::string program;            // absolute path executed
  std::vector<std::string> argv;  // argv[0] included
  std::vector<std::string> env;   // "NAME=value", the whole environment
  std::optional<uid_t> uid;       // set: switch to this uid (and gid) in the child
  std::optional<gid_t> gid;
  std::chrono::milliseconds timeout{60000};
  std::uint64_t max_output = 256u << 10;
  std::chrono::milliseconds kill_grace{2000};
  std::chrono::milliseconds drain_after_exit{2000};
};

struct ProcessOutcome {
  std::int64_t exit_code = 0;
  int signal = 0;  // the signal that ended the main process, 0 if none
  bool timed_out = false;
  std::string output;  // at most max_output bytes
  bool truncated = false;
  std::uint64_t duration_ms = 0;
};

class Process {
 public:
  using OutputFn = std::function<void(std::string_view chunk)>;
  using ExitFn = std::function<void(const ProcessOutcome&)>;

  // Spawns the process. `on_output` gets every chunk kept (within
  // max_output), as it arrives; `on_exit` is called once, after the main
  // process exited and its output was drained. Errors: "spawn_failed" with
  // the OS reason (no handle is left open).
  [[nodiscard]] static Result<Process*> start(uv_loop_t* loop, SpawnSpec spec, OutputFn on_output,
                                              ExitFn on_exit);

  // Kills the whole process group now (SIGKILL); on_exit still follows.
  void kill_now();
  [[nodiscard]] pid_t pid() const { return pid_; }

  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

 private:
  Process(uv_loop_t* loop, SpawnSpec spec, OutputFn on_output, ExitFn on_exit);
  ~Process() = default;

  [[nodiscard]] Result<void> spawn();
  void on_read(ssize_t nread, const uv_buf_t* buf);
  void on_process_exit(std::int64_t exit_status, int term_signal);
  void on_timeout();
  void signal_group(int sig);
  void maybe_finish();
  void close_handles();
  void on_handle_closed();

  static void alloc_cb(uv_handle_t* handle, std::size_t suggested, uv_buf_t* buf);
  static void read_cb(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void exit_cb(uv_process_t* process, std::int64_t exit_status, int term_signal);
  static void timer_cb(uv_timer_t* timer);
  static void close_cb(uv_handle_t* handle);

  uv_loop_t* loop_;
  SpawnSpec spec_;
  OutputFn on_output_;
  ExitFn on_exit_;
  uv_process_t process_{};
  uv_pipe_t pipe_{};
  uv_timer_t timer_{};  // timeout, then kill grace, then drain
  char buffer_[16384];
  ProcessOutcome outcome_;
  pid_t pid_ = 0;
  std::uint64_t started_ns_ = 0;
  int open_handles_ = 0;
  bool exited_ = false;
  bool eof_ = false;
  bool finishing_ = false;
};

}  // namespace helpline::agent::actions
