// processes.table: process count, zombies, and the top N by CPU and by
// memory from /proc/<pid>/{stat,status,cmdline}. CPU% is measured over a
// short sample (SourceOptions::cpu_sample, default 200 ms), or averaged
// over each process's life when the sample is 0.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "agent/collect/linux/collectors.h"
#include "agent/collect/linux/source_files.h"
#include "agent/collect/text.h"

namespace helpline::agent::collect::linux_impl {
namespace {

constexpr std::size_t kMaxProcesses = 100000;
constexpr std::size_t kMaxCmdline = 256;

struct Sample {
  std::uint32_t pid = 0;
  std::uint32_t ppid = 0;
  std::string comm;
  char state = '?';
  std::uint64_t ticks = 0;  // utime + stime
  std::uint32_t threads = 0;
  std::uint64_t start_ticks = 0;  // since boot
  std::uint64_t rss_pages = 0;
  double cpu_percent = 0;
};

// /proc/<pid>/stat: "pid (comm) state ppid ...". comm may hold spaces and
// parentheses, so it ends at the last ')'.
[[nodiscard]] std::optional<Sample> parse_stat(std::string_view text) {
  std::size_t open = text.find('(');
  std::size_t close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    return std::nullopt;
  }
  auto pid = to_u64(text.substr(0, open));
  auto f = split_fields(text.substr(close + 1));
  if (!pid || *pid > UINT32_MAX || f.size() < 22 || f[0].empty()) return std::nullopt;
  auto ppid = to_u64(f[1]);
  auto utime = to_u64(f[11]);
  auto stime = to_u64(f[12]);
  auto threads = to_u64(f[17]);
  auto start = to_u64(f[19]);
  auto rss = to_i64(f[21]);
  if (!ppid || !utime || !stime || !threads || !start || !rss) return std::nullopt;
  Sample s;
  s.pid = static_cast<std::uint32_t>(*pid);
  s.ppid = static_cast<std::uint32_t>(*ppid & 0xffffffffu);
  s.comm = clean(text.substr(open + 1, close - open - 1), 64);
  s.state = f[0].front();
  s.ticks = *utime + *stime;
  s.threads = static_cast<std::uint32_t>(*threads & 0xffffffffu);
  s.start_ticks = *start;
  s.rss_pages = *rss > 0 ? static_cast<std::uint64_t>(*rss) : 0;
  return s;
}

[[nodiscard]] std::map<std::uint32_t, Sample> snapshot(Context& context) {
  std::map<std::uint32_t, Sample> out;
  for (const std::string& entry : list_dir(context, "/proc")) {
    if (out.size() >= kMaxProcesses) break;
    if (!to_u64(entry)) continue;
    // A process may exit between listing and reading: just skip it.
    auto text = read_source(context, "/proc/" + entry + "/stat", 64 * 1024);
    if (!text) continue;
    if (auto s = parse_stat(*text)) out.emplace(s->pid, std::move(*s));
  }
  return out;
}

[[nodiscard]] std::map<std::uint32_t, std::string> user_names(Context& context) {
  std::map<std::uint32_t, std::string> out;
  auto passwd = read_source(context, "/etc/passwd");
  if (!passwd) return out;
  for (std::string_view line : split_lines(*passwd)) {
    std::size_t c1 = line.find(':');
    std::size_t c2 = c1 == std::string_view::npos ? c1 : line.find(':', c1 + 1);
    std::size_t c3 = c2 == std::string_view::npos ? c2 : line.find(':', c2 + 1);
    if (c3 == std::string_view::npos) continue;
    auto uid = to_u64(line.substr(c2 + 1, c3 - c2 - 1));
    if (uid && *uid <= UINT32_MAX) {
      out.emplace(static_cast<std::uint32_t>(*uid), clean(line.substr(0, c1), 64));
    }
  }
  return out;
}

[[nodiscard]] std::string user_of(Context& context, std::uint32_t pid,
                                  const std::map<std::uint32_t, std::string>& names) {
  auto status = read_source(context, "/proc/" + std::to_string(pid) + "/status", 64 * 1024);
  if (!status) return {};
  auto uid_line = colon_value(*status, "Uid");
  if (!uid_line) return {};
  auto fields = split_fields(*uid_line);
  auto uid = fields.empty() ? std::nullopt : to_u64(fields[0]);
  if (!uid || *uid > UINT32_MAX) return {};
  auto it = names.find(static_cast<std::uint32_t>(*uid));
  return it != names.end() ? it->second : std::to_string(*uid);
}

[[nodiscard]] std::string cmdline_of(Context& context, std::uint32_t pid) {
  auto raw = read_source(context, "/proc/" + std::to_string(pid) + "/cmdline", 256 * 1024);
  if (!raw) return {};
  std::string text = *raw;
  while (!text.empty() && text.back() == '\0') text.pop_back();
  std::replace(text.begin(), text.end(), '\0', ' ');
  return clean(text, kMaxCmdline);
}

void set_lifetime_cpu(Context& context, std::map<std::uint32_t, Sample>& samples) {
  auto uptime_text = read_source(context, "/proc/uptime");
  auto fields = uptime_text ? split_fields(*uptime_text) : std::vector<std::string_view>();
  auto uptime = fields.empty() ? std::nullopt : to_double(fields[0]);
  if (!uptime) {
    context.add_error("uptime unreadable: CPU% left at 0");
    return;
  }
  auto hz = static_cast<double>(::sysconf(_SC_CLK_TCK));
  for (auto& [pid, s] : samples) {
    double age = *uptime - static_cast<double>(s.start_ticks) / hz;
    if (age > 0) s.cpu_percent = 100.0 * static_cast<double>(s.ticks) / hz / age;
  }
}

void set_sampled_cpu(const std::map<std::uint32_t, Sample>& before,
                     std::map<std::uint32_t, Sample>& after, double seconds) {
  auto hz = static_cast<double>(::sysconf(_SC_CLK_TCK));
  for (auto& [pid, s] : after) {
    auto it = before.find(pid);
    // A new process, or a pid reused by another one, has no baseline.
    if (it == before.end() || it->second.start_ticks != s.start_ticks) continue;
    if (s.ticks < it->second.ticks || seconds <= 0) continue;
    s.cpu_percent = 100.0 * static_cast<double>(s.ticks - it->second.ticks) / hz / seconds;
  }
}

[[nodiscard]] pb::Process to_process(Context& context, const Sample& s,
                                     const std::map<std::uint32_t, std::string>& names) {
  static const auto kPageSize = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  pb::Process p;
  p.set_pid(s.pid);
  p.set_ppid(s.ppid);
  p.set_name(s.comm);
  p.set_user(user_of(context, s.pid, names));
  p.set_cpu_percent(std::round(s.cpu_percent * 10) / 10);
  p.set_rss_bytes(s.rss_pages * kPageSize);
  p.set_state(clean(std::string_view(&s.state, 1), 4));
  p.set_cmdline(cmdline_of(context, s.pid));
  p.set_threads(s.threads);
  return p;
}

}  // namespace

Result<void> collect_processes_table(Context& context, pb::DiagnosticBundle& out) {
  auto samples = snapshot(context);
  if (samples.empty()) return fail("read_failed", "no process could be read from /proc");
  auto interval = context.options().cpu_sample;
  if (interval.count() > 0) {
    auto start = Clock::now();
    if (!context.pause(interval)) return fail("timed_out", "no time left for the CPU sample");
    auto after = snapshot(context);
    std::chrono::duration<double> elapsed = Clock::now() - start;
    set_sampled_cpu(samples, after, elapsed.count());
    samples = std::move(after);
  } else {
    set_lifetime_cpu(context, samples);
  }

  pb::ProcessesInfo& p = *out.mutable_processes();
  p.set_cpu_sample_ms(static_cast<std::uint32_t>(interval.count()));
  p.set_process_count(static_cast<std::uint32_t>(samples.size()));
  std::vector<const Sample*> all;
  std::uint32_t zombies = 0;
  for (const auto& [pid, s] : samples) {
    all.push_back(&s);
    if (s.state == 'Z') ++zombies;
  }
  p.set_zombie_count(zombies);

  std::size_t n = std::min(context.options().top_processes, all.size());
  auto names = user_names(context);
  // Ties go to the lower pid, so equal inputs give the same bundle.
  std::sort(all.begin(), all.end(), [](const Sample* a, const Sample* b) {
    return a->cpu_percent != b->cpu_percent ? a->cpu_percent > b->cpu_percent : a->pid < b->pid;
  });
  for (std::size_t i = 0; i < n; ++i) *p.add_top_by_cpu() = to_process(context, *all[i], names);
  std::sort(all.begin(), all.end(), [](const Sample* a, const Sample* b) {
    return a->rss_pages != b->rss_pages ? a->rss_pages > b->rss_pages : a->pid < b->pid;
  });
  for (std::size_t i = 0; i < n; ++i) *p.add_top_by_memory() = to_process(context, *all[i], names);
  return {};
}

}  // namespace helpline::agent::collect::linux_impl
