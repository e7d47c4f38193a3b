#include "agent/collect/linux/spawn.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <thread>

namespace helpline::agent::collect::linux_impl {
namespace {

constexpr std::string_view kProgramDirs[] = {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin",
                                             "/usr/bin",        "/sbin",          "/bin"};

[[nodiscard]] int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
  if (left <= 0) return 0;
  return left > INT_MAX ? INT_MAX : static_cast<int>(left);
}

class FileActions {
 public:
  FileActions() { ::posix_spawn_file_actions_init(&actions_); }
  ~FileActions() { ::posix_spawn_file_actions_destroy(&actions_); }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;
  posix_spawn_file_actions_t* get() { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
};

class SpawnAttr {
 public:
  SpawnAttr() { ::posix_spawnattr_init(&attr_); }
  ~SpawnAttr() { ::posix_spawnattr_destroy(&attr_); }
  SpawnAttr(const SpawnAttr&) = delete;
  SpawnAttr& operator=(const SpawnAttr&) = delete;
  posix_spawnattr_t* get() { return &attr_; }

 private:
  posix_spawnattr_t attr_;
};

// Reads the child's stdout until EOF or the deadline. False on timeout.
bool drain(int fd, Clock::time_point deadline, std::size_t max_output, ProgramOutput& out) {
  char buf[16384];
  for (;;) {
    int wait = remaining_ms(deadline);
    if (wait == 0) return false;
    pollfd p{fd, POLLIN, 0};
    int n = ::poll(&p, 1, wait);
    if (n < 0 && errno != EINTR) return true;
    if (n <= 0) continue;
    ssize_t got = ::read(fd, buf, sizeof buf);
    if (got < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return true;
    }
    if (got == 0) return true;
    auto size = static_cast<std::size_t>(got);
    std::size_t room = max_output - out.output.size();
    // Past the cap the child keeps running to completion; its output is
    // read and dropped so it never blocks on a full pipe.
    if (size > room) out.output_truncated = true;
    out.output.append(buf, size < room ? size : room);
  }
}

// Waits for the child to exit until the deadline. False on timeout.
bool reap(pid_t pid, Clock::time_point deadline, int& status) {
  // The child closed stdout, so it is exiting; poll in short steps rather
  // than block, because a child that closed stdout early may keep running.
  for (;;) {
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) return true;
    if (done < 0 && errno != EINTR) return true;  // already reaped elsewhere
    if (remaining_ms(deadline) == 0) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

}  // namespace

std::string find_program(std::string_view name) {
  for (std::string_view dir : kProgramDirs) {
    std::string path = std::string(dir) + "/" + std::string(name);
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(path.c_str(), X_OK) == 0) {
      return path;
    }
  }
  return {};
}

Result<ProgramOutput> run_program(const std::vector<std::string>& argv, Clock::time_point deadline,
                                  std::size_t max_output) {
  if (argv.empty() || argv[0].empty() || argv[0][0] != '/') {
    return fail("spawn_failed", "program path must be absolute");
  }
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return fail("spawn_failed", "pipe for " + argv[0] + ": " + std::strerror(errno));
  }
  FileActions actions;
  ::posix_spawn_file_actions_addopen(actions.get(), 0, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_adddup2(actions.get(), fds[1], 1);
  ::posix_spawn_file_actions_addopen(actions.get(), 2, "/dev/null", O_WRONLY, 0);
  // The agent's threads may block or ignore signals (libuv does); the child
  // starts with a clean mask and default dispositions.
  SpawnAttr attr;
  sigset_t none;
  sigset_t all;
  sigemptyset(&none);
  sigfillset(&all);
  ::posix_spawnattr_setsigmask(attr.get(), &none);
  ::posix_spawnattr_setsigdefault(attr.get(), &all);
  ::posix_spawnattr_setflags(attr.get(), POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::string path_var = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
  std::string locale_var = "LC_ALL=C";
  char* env[] = {path_var.data(), locale_var.data(), nullptr};

  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, argv[0].c_str(), actions.get(), attr.get(), args.data(), env);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    return fail("spawn_failed", "cannot run " + argv[0] + ": " + std::strerror(rc));
  }
  ProgramOutput out;
  bool finished = drain(fds[0], deadline, max_output, out);
  ::close(fds[0]);
  int status = 0;
  if (finished) finished = reap(pid, deadline, status);
  if (!finished) {
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return fail("timed_out", argv[0] + " did not finish in time and was killed");
  }
  out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

}  // namespace helpline::agent::collect::linux_impl
