#include "tests/support/process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace helpline::testing {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr milliseconds kPollStep{10};

[[nodiscard]] int decode_status(int raw) {
  if (WIFEXITED(raw)) return WEXITSTATUS(raw);
  if (WIFSIGNALED(raw)) return 128 + WTERMSIG(raw);
  return -1;
}

[[nodiscard]] std::string name_of(const std::string& entry) {
  return entry.substr(0, entry.find('='));
}

// The test's environment minus `unset_env` and the overridden names, plus
// the overrides.
[[nodiscard]] std::vector<std::string> child_environment(const ProcessOptions& options) {
  std::vector<std::string> out;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string text(*entry);
    std::string name = name_of(text);
    bool dropped = std::find(options.unset_env.begin(), options.unset_env.end(), name) !=
                   options.unset_env.end();
    for (const auto& [key, value] : options.env) dropped = dropped || key == name;
    if (!dropped) out.push_back(std::move(text));
  }
  for (const auto& [key, value] : options.env) out.push_back(key + "=" + value);
  return out;
}

[[nodiscard]] std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// posix_spawn's file actions, freed on every path.
class FileActions {
 public:
  FileActions() { ok_ = ::posix_spawn_file_actions_init(&actions_) == 0; }
  ~FileActions() {
    if (ok_) ::posix_spawn_file_actions_destroy(&actions_);
  }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;

  [[nodiscard]] bool open(int fd, const std::filesystem::path& path, int flags) {
    return ok_ && ::posix_spawn_file_actions_addopen(&actions_, fd, path.c_str(), flags, 0600) == 0;
  }
  [[nodiscard]] posix_spawn_file_actions_t* get() { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_{};
  bool ok_ = false;
};

[[nodiscard]] std::filesystem::path or_dev_null(const std::filesystem::path& path) {
  return path.empty() ? std::filesystem::path("/dev/null") : path;
}

// A file name for captured output that nobody else uses.
[[nodiscard]] std::filesystem::path scratch_file(const char* what) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") +
                        "/helpline-e2e-" + what + "-XXXXXX";
  int fd = ::mkstemp(pattern.data());
  if (fd >= 0) ::close(fd);
  return pattern;
}

}  // namespace

Result<Process> Process::spawn(const ProcessOptions& options) {
  std::vector<std::string> argv_strings{options.program.string()};
  argv_strings.insert(argv_strings.end(), options.args.begin(), options.args.end());
  std::vector<std::string> env_strings = child_environment(options);
  auto argv = pointers(argv_strings);
  auto envp = pointers(env_strings);

  const int out_flags =
      O_WRONLY | O_CREAT | O_TRUNC;  // no O_CLOEXEC: these are the child's own fds
  FileActions actions;
  if (!actions.open(STDIN_FILENO, or_dev_null(options.stdin_path), O_RDONLY) ||
      !actions.open(STDOUT_FILENO, or_dev_null(options.stdout_path), out_flags) ||
      !actions.open(STDERR_FILENO, or_dev_null(options.stderr_path), out_flags)) {
    return fail("spawn_failed", "cannot prepare the file actions for " + options.program.string());
  }
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, options.program.c_str(), actions.get(), nullptr, argv.data(),
                         envp.data());
  if (rc != 0) {
    return fail("spawn_failed",
                "cannot start " + options.program.string() + ": " + std::strerror(rc));
  }
  return Process(pid, options.stdout_path, options.stderr_path);
}

Process::Process(Process&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      status_(std::exchange(other.status_, std::nullopt)),
      stdout_path_(std::move(other.stdout_path_)),
      stderr_path_(std::move(other.stderr_path_)) {}

Process& Process::operator=(Process&& other) noexcept {
  if (this != &other) {
    kill_and_reap();
    pid_ = std::exchange(other.pid_, -1);
    status_ = std::exchange(other.status_, std::nullopt);
    stdout_path_ = std::move(other.stdout_path_);
    stderr_path_ = std::move(other.stderr_path_);
  }
  return *this;
}

Process::~Process() { kill_and_reap(); }

void Process::kill_and_reap() {
  if (pid_ <= 0 || status_) return;
  ::kill(pid_, SIGKILL);
  int raw = 0;
  pid_t got = -1;
  do {
    got = ::waitpid(pid_, &raw, 0);
  } while (got < 0 && errno == EINTR);
  status_ = got == pid_ ? decode_status(raw) : -1;
}

bool Process::running() {
  if (pid_ <= 0 || status_) return false;
  int raw = 0;
  pid_t got = ::waitpid(pid_, &raw, WNOHANG);
  if (got == pid_) {
    status_ = decode_status(raw);
    return false;
  }
  if (got < 0 && errno != EINTR) {
    status_ = -1;  // not our child any more: nothing left to wait for
    return false;
  }
  return true;
}

std::optional<int> Process::wait_exit(milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (running()) {
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(kPollStep);
  }
  return status_;
}

int Process::terminate(milliseconds grace, bool* killed) {
  if (killed != nullptr) *killed = false;
  if (!running()) return status_.value_or(-1);
  if (!term_sent_) signal(SIGTERM);
  if (auto status = wait_exit(grace)) return *status;
  if (killed != nullptr) *killed = true;
  kill_and_reap();
  return status_.value_or(-1);
}

void Process::signal(int signum) {
  if (!running()) return;
  ::kill(pid_, signum);
  if (signum == SIGTERM) term_sent_ = true;
}

std::string Process::stdout_text() const { return read_text_file(stdout_path_); }
std::string Process::stderr_text() const { return read_text_file(stderr_path_); }

std::string RunResult::describe() const {
  std::string text = timed_out ? "timed out" : "exit " + std::to_string(exit_code);
  text += "; stdout: " + out + "; stderr: " + err;
  return text;
}

Result<RunResult> run_command(const ProcessOptions& options, milliseconds timeout) {
  ProcessOptions actual = options;
  const bool own_out = actual.stdout_path.empty();
  const bool own_err = actual.stderr_path.empty();
  if (own_out) actual.stdout_path = scratch_file("out");
  if (own_err) actual.stderr_path = scratch_file("err");

  RunResult result;
  {
    auto process = Process::spawn(actual);
    if (!process) return fail(process.error());
    if (auto status = process->wait_exit(timeout)) {
      result.exit_code = *status;
    } else {
      result.timed_out = true;
      (void)process->terminate(milliseconds(0));
    }
    result.out = process->stdout_text();
    result.err = process->stderr_text();
  }
  std::error_code ignored;
  if (own_out) std::filesystem::remove(actual.stdout_path, ignored);
  if (own_err) std::filesystem::remove(actual.stderr_path, ignored);
  return result;
}

bool has_sanitizer_report(std::string_view stderr_text) {
  for (std::string_view marker : {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                                  "runtime error: ", "SUMMARY: UndefinedBehaviorSanitizer"}) {
    if (stderr_text.find(marker) != std::string_view::npos) return true;
  }
  return false;
}

std::string read_text_file(const std::filesystem::path& path) {
  if (path.empty()) return {};
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string tail_file(const std::filesystem::path& path, std::size_t lines) {
  std::istringstream in(read_text_file(path));
  std::deque<std::string> last;
  std::string line;
  while (std::getline(in, line)) {
    last.push_back(std::move(line));
    if (last.size() > lines) last.pop_front();
  }
  std::string out;
  for (const auto& l : last) out += l + "\n";
  return out;
}

}  // namespace helpline::testing
