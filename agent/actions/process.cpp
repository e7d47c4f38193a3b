// POSIX: setsid() through UV_PROCESS_DETACHED makes the child the leader of
// a new session and process group whose id is its pid, so kill(-pid, ...)
// reaches every descendant that did not leave the group.
#include "agent/actions/process.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace helpline::agent::actions {
namespace {

[[nodiscard]] std::uint64_t elapsed_ms(std::uint64_t since_ns) {
  return (uv_hrtime() - since_ns) / 1'000'000u;
}

[[nodiscard]] std::uint64_t to_ms(std::chrono::milliseconds d) {
  return d.count() > 0 ? static_cast<std::uint64_t>(d.count()) : 0u;
}

}  // namespace

Process::Process(uv_loop_t* loop, SpawnSpec spec, OutputFn on_output, ExitFn on_exit)
    : loop_(loop),
      spec_(std::move(spec)),
      on_output_(std::move(on_output)),
      on_exit_(std::move(on_exit)) {}

Result<Process*> Process::start(uv_loop_t* loop, SpawnSpec spec, OutputFn on_output,
                                ExitFn on_exit) {
  auto* self = new Process(loop, std::move(spec), std::move(on_output), std::move(on_exit));
  auto spawned = self->spawn();
  if (!spawned) {
    // spawn() leaves no handle open on failure when none was counted; any
    // it did open close first and delete the object from close_cb.
    if (self->open_handles_ == 0) {
      delete self;
    } else {
      self->finishing_ = true;
      self->on_exit_ = nullptr;
    }
    return fail(spawned.error());
  }
  return self;
}

Result<void> Process::spawn() {
  uv_file fds[2];
  if (int rc = uv_pipe(fds, 0, 0); rc != 0) {
    return fail("spawn_failed", std::string("cannot create the output pipe: ") + uv_strerror(rc));
  }
  std::vector<char*> args;
  for (auto& a : spec_.argv) args.push_back(a.data());
  args.push_back(nullptr);
  std::vector<char*> env;
  for (auto& e : spec_.env) env.push_back(e.data());
  env.push_back(nullptr);

  uv_stdio_container_t stdio[3];
  stdio[0].flags = UV_IGNORE;  // libuv opens /dev/null for fds 0-2 it ignores
  stdio[1].flags = UV_INHERIT_FD;
  stdio[1].data.fd = fds[1];
  stdio[2].flags = UV_INHERIT_FD;
  stdio[2].data.fd = fds[1];

  uv_process_options_t options{};
  options.exit_cb = &Process::exit_cb;
  options.file = spec_.program.c_str();
  options.args = args.data();
  options.env = env.data();
  options.cwd = "/";
  options.stdio_count = 3;
  options.stdio = stdio;
  options.flags = UV_PROCESS_DETACHED;
  if (spec_.uid) {
    options.flags |= UV_PROCESS_SETUID;
    options.uid = *spec_.uid;
  }
  if (spec_.gid) {
    options.flags |= UV_PROCESS_SETGID;
    options.gid = *spec_.gid;
  }
  process_.data = this;
  started_ns_ = uv_hrtime();
  int rc = uv_spawn(loop_, &process_, &options);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    // uv_spawn initialised the handle even on failure; it must be closed.
    ++open_handles_;
    uv_close(reinterpret_cast<uv_handle_t*>(&process_), &Process::close_cb);
    return fail("spawn_failed", "cannot run " + spec_.program + ": " + uv_strerror(rc));
  }
  pid_ = process_.pid;
  ++open_handles_;

  uv_pipe_init(loop_, &pipe_, 0);
  pipe_.data = this;
  ++open_handles_;
  if (int orc = uv_pipe_open(&pipe_, fds[0]); orc != 0) {
    ::close(fds[0]);
    eof_ = true;
  } else if (uv_read_start(reinterpret_cast<uv_stream_t*>(&pipe_), &Process::alloc_cb,
                           &Process::read_cb) != 0) {
    eof_ = true;
  }
  uv_timer_init(loop_, &timer_);
  timer_.data = this;
  ++open_handles_;
  uv_timer_start(&timer_, &Process::timer_cb, to_ms(spec_.timeout), 0);
  return {};
}

void Process::alloc_cb(uv_handle_t* handle, std::size_t, uv_buf_t* buf) {
  auto* self = static_cast<Process*>(handle->data);
  *buf = uv_buf_init(self->buffer_, sizeof self->buffer_);
}

void Process::read_cb(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  static_cast<Process*>(stream->data)->on_read(nread, buf);
}

void Process::on_read(ssize_t nread, const uv_buf_t* buf) {
  if (nread < 0) {
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&pipe_));
    eof_ = true;
    maybe_finish();
    return;
  }
  auto size = static_cast<std::size_t>(nread);
  std::uint64_t room = spec_.max_output - outcome_.output.size();
  std::size_t kept = size < room ? size : static_cast<std::size_t>(room);
  if (kept < size) outcome_.truncated = true;
  if (kept > 0) {
    std::string_view chunk(buf->base, kept);
    outcome_.output.append(chunk);
    if (on_output_) on_output_(chunk);
  }
  // Past the cap the output is read and dropped, so the child never blocks
  // on a full pipe; the timeout still bounds how long it may run.
}

void Process::exit_cb(uv_process_t* process, std::int64_t exit_status, int term_signal) {
  static_cast<Process*>(process->data)->on_process_exit(exit_status, term_signal);
}

void Process::on_process_exit(std::int64_t exit_status, int term_signal) {
  exited_ = true;
  outcome_.exit_code = exit_status;
  outcome_.signal = term_signal;
  outcome_.duration_ms = elapsed_ms(started_ns_);
  // Whatever the main process left running in its group goes with it.
  signal_group(SIGKILL);
  uv_timer_stop(&timer_);
  uv_timer_start(&timer_, &Process::timer_cb, to_ms(spec_.drain_after_exit), 0);
  maybe_finish();
}

void Process::timer_cb(uv_timer_t* timer) { static_cast<Process*>(timer->data)->on_timeout(); }

void Process::on_timeout() {
  if (exited_) {
    // A descendant that left the process group still holds the pipe.
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&pipe_));
    eof_ = true;
    maybe_finish();
    return;
  }
  if (!outcome_.timed_out) {
    outcome_.timed_out = true;
    signal_group(SIGTERM);
    uv_timer_start(&timer_, &Process::timer_cb, to_ms(spec_.kill_grace), 0);
    return;
  }
  kill_now();
}

void Process::kill_now() { signal_group(SIGKILL); }

void Process::signal_group(int sig) {
  if (pid_ <= 0) return;
  // ESRCH: the group is already empty. Anything else is not expected for
  // our own child's group; there is nothing better to do than carry on.
  (void)::kill(-pid_, sig);
}

void Process::maybe_finish() {
  if (!exited_ || !eof_ || finishing_) return;
  finishing_ = true;
  if (on_exit_) on_exit_(outcome_);
  on_exit_ = nullptr;
  on_output_ = nullptr;
  close_handles();
}

void Process::close_handles() {
  for (uv_handle_t* h :
       {reinterpret_cast<uv_handle_t*>(&process_), reinterpret_cast<uv_handle_t*>(&pipe_),
        reinterpret_cast<uv_handle_t*>(&timer_)}) {
    if (!uv_is_closing(h)) uv_close(h, &Process::close_cb);
  }
}

void Process::close_cb(uv_handle_t* handle) {
  static_cast<Process*>(handle->data)->on_handle_closed();
}

void Process::on_handle_closed() {
  if (--open_handles_ == 0) delete this;
}

}  // namespace helpline::agent::actions
