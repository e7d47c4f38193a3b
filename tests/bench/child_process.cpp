#include "tests/bench/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace helpline::bench {

Result<pid_t> spawn(const SpawnSpec& spec) {
  std::vector<std::string> argv_strings{spec.program};
  argv_strings.insert(argv_strings.end(), spec.args.begin(), spec.args.end());
  std::vector<char*> argv;
  for (std::string& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);

  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry(*e);
    bool replaced = false;
    for (const auto& [name, value] : spec.env) {
      replaced = replaced || (entry.size() > name.size() && entry.starts_with(name) &&
                              entry[name.size()] == '=');
    }
    if (!replaced) env_strings.emplace_back(entry);
  }
  for (const auto& [name, value] : spec.env) env_strings.push_back(name + "=" + value);
  std::vector<char*> envp;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, spec.output.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, spec.program.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return fail("spawn_failed", "cannot start " + spec.program + ": " + std::strerror(rc));
  return pid;
}

namespace {

// "name: value" lines of a /proc status file.
void read_status(const std::string& path, ProcSample& out, bool memory) {
  std::ifstream status(path);
  std::string line;
  while (std::getline(status, line)) {
    std::istringstream fields(line);
    std::string name;
    long value = 0;
    fields >> name >> value;
    if (memory && name == "VmRSS:") out.rss_kib = value;
    if (memory && name == "VmHWM:") out.peak_rss_kib = value;
    if (name == "voluntary_ctxt_switches:" || name == "nonvoluntary_ctxt_switches:") {
      out.context_switches += value;
    }
  }
}

// The resident pages of shared libraries mapped from files: code and data
// that every process using those libraries shares on a workstation.
[[nodiscard]] long library_rss_kib(const std::string& smaps_path) {
  std::ifstream smaps(smaps_path);
  std::string line;
  bool library = false;
  long total = 0;
  while (std::getline(smaps, line)) {
    std::istringstream fields(line);
    std::string first;
    fields >> first;
    if (first == "Rss:") {
      long value = 0;
      fields >> value;
      if (library) total += value;
    } else if (!first.empty() && first.back() != ':') {
      // A mapping's header: "start-end perms offset dev inode [path]".
      std::string perms, offset, dev, inode, path;
      fields >> perms >> offset >> dev >> inode >> path;
      library = path.find(".so") != std::string::npos && path.front() == '/';
    }
  }
  return total;
}

}  // namespace

Result<ProcSample> sample(pid_t pid) {
  ProcSample out;
  const std::string base = "/proc/" + std::to_string(pid);
  std::error_code ec;
  if (!std::filesystem::exists(base + "/status", ec)) {
    return fail("proc_unreadable", base + ": no such process");
  }
  read_status(base + "/status", out, /*memory=*/true);
  out.library_rss_kib = library_rss_kib(base + "/smaps");
  out.context_switches = 0;  // summed over the threads below
  // Every thread's CPU time in nanoseconds (schedstat's first field):
  // finer than the clock ticks of /proc/PID/stat.
  std::uint64_t cpu_ns = 0;
  for (const auto& task : std::filesystem::directory_iterator(base + "/task", ec)) {
    std::ifstream schedstat(task.path() / "schedstat");
    std::uint64_t ns = 0;
    if (schedstat >> ns) cpu_ns += ns;
    read_status((task.path() / "status").string(), out, /*memory=*/false);
  }
  if (ec) return fail("proc_unreadable", base + "/task: " + ec.message());
  out.cpu_seconds = static_cast<double>(cpu_ns) / 1e9;
  return out;
}

int stop(pid_t pid, int grace_ms) {
  ::kill(pid, SIGTERM);
  int status = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(grace_ms);
  while (true) {
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) return -1;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

Result<Exited> wait_exit(pid_t pid, int timeout_ms) {
  Exited exited;
  int status = 0;
  rusage usage{};
  auto started = std::chrono::steady_clock::now();
  auto deadline = started + std::chrono::milliseconds(timeout_ms);
  while (true) {
    pid_t done = ::wait4(pid, &status, WNOHANG, &usage);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) {
      return fail("wait_failed", "wait4 " + std::to_string(pid) + ": " + std::strerror(errno));
    }
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::wait4(pid, &status, 0, &usage);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  exited.wall_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  exited.max_rss_kib = usage.ru_maxrss;
  exited.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return exited;
}

}  // namespace helpline::bench
