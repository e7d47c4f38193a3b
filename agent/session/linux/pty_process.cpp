#include "agent/session/linux/pty_process.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <pty.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace helpline::agent::session {

namespace {

[[nodiscard]] std::optional<pid_t> session_of(const std::string& stat) {
  // "pid (comm) state ppid pgrp session ...": comm may hold spaces and ')'.
  auto close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::string rest = stat.substr(close + 1);
  char state = 0;
  long ppid = 0, pgrp = 0, sid = 0;
  if (std::sscanf(rest.c_str(), " %c %ld %ld %ld", &state, &ppid, &pgrp, &sid) != 4) {
    return std::nullopt;
  }
  return static_cast<pid_t>(sid);
}

}  // namespace

std::vector<pid_t> session_members(pid_t sid) {
  std::vector<pid_t> out;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return out;
  while (dirent* entry = ::readdir(proc)) {
    char* end = nullptr;
    long pid = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || pid <= 0) continue;
    std::ifstream in("/proc/" + std::string(entry->d_name) + "/stat");
    std::string stat;
    if (!std::getline(in, stat)) continue;
    if (auto s = session_of(stat); s && *s == sid) out.push_back(static_cast<pid_t>(pid));
  }
  ::closedir(proc);
  return out;
}

PtyProcess::PtyProcess(uv_loop_t* loop, OutputFn on_output, ExitFn on_exit)
    : loop_(loop), on_output_(std::move(on_output)), on_exit_(std::move(on_exit)) {}

PtyProcess::~PtyProcess() {
  if (master_ >= 0) ::close(master_);
}

Result<std::unique_ptr<PtyProcess>> PtyProcess::start(uv_loop_t* loop, PtySpec spec,
                                                      OutputFn on_output, ExitFn on_exit) {
  std::unique_ptr<PtyProcess> self(new PtyProcess(loop, std::move(on_output), std::move(on_exit)));
  // Everything the child needs is prepared before fork: after it, only
  // async-signal-safe calls.
  std::string shell_name = spec.shell;
  auto slash = shell_name.rfind('/');
  std::string argv0 = "-" + (slash == std::string::npos ? shell_name : shell_name.substr(slash + 1));
  std::vector<char*> argv{argv0.data(), nullptr};
  std::vector<char*> envp;
  for (auto& e : spec.env) envp.push_back(e.data());
  envp.push_back(nullptr);
  struct winsize size {};
  size.ws_col = spec.cols;
  size.ws_row = spec.rows;

  int master = -1;
  pid_t pid = ::forkpty(&master, nullptr, nullptr, &size);
  if (pid < 0) {
    int err = errno;
    return fail("spawn_failed", std::string("cannot open a pseudo-terminal: ") + std::strerror(err));
  }
  if (pid == 0) {
    // The child: a new session whose controlling terminal is the PTY.
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, nullptr);
    for (int s = 1; s < NSIG; ++s) ::signal(s, SIG_DFL);
    if (spec.uid) {
      if (::setgroups(spec.groups.size(), spec.groups.data()) != 0 || ::setgid(spec.gid) != 0 ||
          ::setuid(*spec.uid) != 0) {
        static const char kMsg[] = "helpline: cannot switch to the session's account\r\n";
        (void)!::write(STDERR_FILENO, kMsg, sizeof kMsg - 1);
        ::_exit(126);
      }
    }
    if (::chdir(spec.cwd.c_str()) != 0) (void)!::chdir("/");
    ::execve(spec.shell.c_str(), argv.data(), envp.data());
    static const char kMsg[] = "helpline: cannot start the shell\r\n";
    (void)!::write(STDERR_FILENO, kMsg, sizeof kMsg - 1);
    ::_exit(127);
  }
  self->pid_ = pid;
  self->master_ = master;
  int flags = ::fcntl(master, F_GETFL);
  ::fcntl(master, F_SETFL, flags | O_NONBLOCK);
  ::fcntl(master, F_SETFD, FD_CLOEXEC);
  // An exit before the watcher starts is caught by the on_sigchld() below.
  uv_signal_init(loop, &self->sigchld_);
  self->sigchld_.data = self.get();
  uv_signal_start(
      &self->sigchld_,
      [](uv_signal_t* handle, int) { static_cast<PtyProcess*>(handle->data)->on_sigchld(); },
      SIGCHLD);
  uv_poll_init(loop, &self->poll_, master);
  self->poll_.data = self.get();
  self->handles_open_ = true;
  self->update_poll();
  // It may have exited before the watcher saw the signal's delivery.
  self->on_sigchld();
  return self;
}

void PtyProcess::update_poll() {
  if (!handles_open_ || eof_) {
    if (handles_open_) uv_poll_stop(&poll_);
    return;
  }
  int events = 0;
  if (!paused_) events |= UV_READABLE;
  if (!pending_input_.empty()) events |= UV_WRITABLE;
  if (events == 0) {
    uv_poll_stop(&poll_);
    return;
  }
  uv_poll_start(&poll_, events, [](uv_poll_t* handle, int status, int ready) {
    static_cast<PtyProcess*>(handle->data)->on_poll(status, ready);
  });
}

void PtyProcess::on_poll(int status, int events) {
  if (status < 0) {
    eof_ = true;
  } else {
    if ((events & UV_WRITABLE) != 0 && !pending_input_.empty()) {
      ssize_t n = ::write(master_, pending_input_.data(), pending_input_.size());
      if (n > 0) pending_input_.erase(0, static_cast<std::size_t>(n));
    }
    if ((events & UV_READABLE) != 0 && !paused_) {
      char buffer[16384];
      ssize_t n = ::read(master_, buffer, sizeof buffer);
      if (n > 0) {
        on_output_(std::string_view(buffer, static_cast<std::size_t>(n)));
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        // EIO: every slave descriptor is closed (the shell and its jobs are gone).
        eof_ = true;
      }
    }
  }
  update_poll();
  maybe_finish();
}

void PtyProcess::on_sigchld() {
  if (exited_ || pid_ <= 0) return;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r != pid_) return;
  exited_ = true;
  if (WIFEXITED(status)) exit_code_ = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) exit_signal_ = WTERMSIG(status);
  // What the shell left behind in its session goes with it.
  kill_all();
  maybe_finish();
}

void PtyProcess::maybe_finish() {
  if (finished_ || !exited_) return;
  // Output still buffered in the PTY is read first, unless reading is
  // paused: then the exit waits for the reader to resume.
  if (!eof_ && !paused_) {
    char buffer[16384];
    while (true) {
      ssize_t n = ::read(master_, buffer, sizeof buffer);
      if (n > 0) {
        on_output_(std::string_view(buffer, static_cast<std::size_t>(n)));
        continue;
      }
      if (n < 0 && errno == EAGAIN) {
        // Nothing now, but a writer may still hold the slave: done anyway,
        // the shell's session was killed.
      }
      break;
    }
    eof_ = true;
  }
  if (!eof_) return;
  finished_ = true;
  update_poll();
  if (on_exit_) std::exchange(on_exit_, nullptr)(exit_code_, exit_signal_);
}

Result<void> PtyProcess::write(std::string_view bytes) {
  if (pending_input_.size() + bytes.size() > kMaxPendingInput) {
    return fail("too_much_input", "the shell is not reading its input");
  }
  pending_input_.append(bytes);
  update_poll();
  return {};
}

void PtyProcess::resize(std::uint16_t cols, std::uint16_t rows) {
  if (master_ < 0) return;
  struct winsize size {};
  size.ws_col = cols;
  size.ws_row = rows;
  ::ioctl(master_, TIOCSWINSZ, &size);  // the kernel sends SIGWINCH to the foreground group
}

void PtyProcess::signal(int sig) {
  if (exited_ || pid_ <= 0) return;
  pid_t group = master_ >= 0 ? ::tcgetpgrp(master_) : -1;
  if (group > 0) {
    ::kill(-group, sig);
  } else {
    ::kill(-pid_, sig);
  }
}

void PtyProcess::pause_output(bool paused) {
  if (paused_ == paused) return;
  paused_ = paused;
  update_poll();
  if (!paused_) maybe_finish();
}

void PtyProcess::kill_all() {
  if (pid_ <= 0) return;
  for (int sig : {SIGHUP, SIGCONT, SIGKILL}) {
    if (!exited_) ::kill(pid_, sig);
    ::kill(-pid_, sig);
    for (pid_t member : session_members(pid_)) ::kill(member, sig);
  }
}

void PtyProcess::close(std::function<void()> closed) {
  on_exit_ = nullptr;
  on_output_ = [](std::string_view) {};
  kill_all();
  on_closed_ = std::move(closed);
  auto done = [](uv_handle_t* handle) {
    auto* self = static_cast<PtyProcess*>(handle->data);
    if (--self->closes_pending_ == 0 && self->on_closed_) {
      // The shell may not have been reaped yet: SIGKILL is certain, so
      // reap it now rather than leave a zombie.
      if (!self->exited_ && self->pid_ > 0) {
        int status = 0;
        ::waitpid(self->pid_, &status, 0);
        self->exited_ = true;
      }
      std::exchange(self->on_closed_, nullptr)();
    }
  };
  if (!handles_open_) {
    if (on_closed_) std::exchange(on_closed_, nullptr)();
    return;
  }
  handles_open_ = false;
  closes_pending_ = 2;
  uv_close(reinterpret_cast<uv_handle_t*>(&sigchld_), done);
  uv_close(reinterpret_cast<uv_handle_t*>(&poll_), done);
}

}  // namespace helpline::agent::session
