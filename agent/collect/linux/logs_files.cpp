// logs.files: the tail of each configured log file, bounded in bytes and
// lines. Only the last log_file_max_bytes are read, however large the file.
// A file that cannot be read is listed with its error (status PARTIAL).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/collect/linux/collectors.h"
#include "agent/collect/text.h"

namespace helpline::agent::collect::linux_impl {
namespace {

constexpr std::size_t kMaxFiles = 64;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  [[nodiscard]] int get() const { return fd_; }

 private:
  int fd_;
};

[[nodiscard]] std::string os_error() { return std::strerror(errno); }

// Fills `file` with the tail of `path`; returns the error text or "".
[[nodiscard]] std::string tail(Context& context, const std::filesystem::path& path,
                               pb::LogFile& file) {
  const SourceOptions& o = context.options();
  if (!path.is_absolute()) return "not an absolute path";
  std::string real = context.path(path.string()).string();
  Fd fd(::open(real.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (fd.get() < 0) return "cannot open: " + os_error();
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return "cannot stat: " + os_error();
  if (!S_ISREG(st.st_mode)) return "not a regular file";
  auto size = static_cast<std::uint64_t>(st.st_size);
  file.set_size_bytes(size);
  std::uint64_t start = size > o.log_file_max_bytes ? size - o.log_file_max_bytes : 0;
  std::string data(static_cast<std::size_t>(size - start), '\0');
  std::size_t got = 0;
  while (got < data.size()) {
    ssize_t n =
        ::pread(fd.get(), data.data() + got, data.size() - got, static_cast<off_t>(start + got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return "cannot read: " + os_error();
    if (n == 0) break;  // the file shrank while we read
    got += static_cast<std::size_t>(n);
  }
  data.resize(got);
  std::string_view text = data;
  bool truncated = start > 0;
  if (truncated) {
    // The first line read is probably cut: drop it.
    std::size_t nl = text.find('\n');
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
  }
  auto lines = split_lines(text);
  std::size_t first = 0;
  if (lines.size() > o.log_file_max_lines) {
    first = lines.size() - o.log_file_max_lines;
    truncated = true;
  }
  for (std::size_t i = first; i < lines.size(); ++i) {
    file.add_lines(clean(lines[i], o.max_message_bytes));
  }
  file.set_truncated(truncated);
  return {};
}

}  // namespace

Result<void> collect_logs_files(Context& context, pb::DiagnosticBundle& out) {
  const auto& paths = context.options().log_files;
  if (paths.empty()) return skipped("no log files configured");
  pb::LogsInfo& logs = *out.mutable_logs();
  for (std::size_t i = 0; i < paths.size(); ++i) {
    if (i >= kMaxFiles) {
      context.add_error(std::to_string(paths.size() - kMaxFiles) + " log files over the limit of " +
                        std::to_string(kMaxFiles) + " left out");
      break;
    }
    if (context.expired()) return fail("timed_out", "log files did not finish in time");
    pb::LogFile& file = *logs.add_files();
    file.set_path(clean(paths[i].string(), 4096));
    std::string error = tail(context, paths[i], file);
    if (!error.empty()) {
      file.set_error(error);
      context.add_error(file.path() + ": " + error);
    }
  }
  return {};
}

}  // namespace helpline::agent::collect::linux_impl
