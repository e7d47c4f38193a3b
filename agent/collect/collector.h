// One diagnostic collector = one data source (os-release, /proc/meminfo,
// smartctl, the journal...). Collectors are listed in one table
// (registry.h) and run by collect_bundle (bundle.h), each on its own worker
// thread with a time budget and a size budget.
//
// A collector writes only into the DiagnosticBundle it is handed: a private,
// empty message that the runner merges into the real bundle only if the
// collector finished within its time budget. It must not keep pointers to
// it, nor to the Context, after collect() returns.
//
// Outcome of collect():
//   - success, no Context::add_error       -> STATE_OK
//   - success after Context::add_error     -> STATE_PARTIAL (data kept)
//   - unavailable("reason")                -> STATE_UNAVAILABLE (data dropped)
//   - skipped("reason")                    -> STATE_SKIPPED (data dropped)
//   - fail("timed_out", ...)               -> STATE_TIMED_OUT (data dropped)
//   - any other error                      -> STATE_FAILED (data dropped)
//   - still running at the deadline        -> STATE_TIMED_OUT (data dropped)
// A collector therefore reports a missing sub-source with add_error and
// carries on; it fails only when it has nothing at all to say.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/result.h"
#include "common/core/time_format.h"
#include "helpline/v1/bundle.pb.h"

namespace helpline::agent::collect {

namespace pb = ::helpline::v1;
using Clock = std::chrono::steady_clock;

// What collectors read and how much. Immutable while collectors run.
struct SourceOptions {
  // Prefix for every file path (/proc, /sys, /etc, /var, /run, /dev/kmsg).
  // "/" is this machine. Anything else is a fake tree (tests): collectors
  // then read only files below it and skip OS APIs that would describe the
  // real machine (sd-bus, sd-journal, getifaddrs, statvfs, spawned tools).
  std::filesystem::path root{"/"};
  UnixMillis now_ms = 0;    // collection time; set by collect_bundle
  UnixMillis since_ms = 0;  // logs from this time; 0: the last N entries only

  std::size_t max_log_entries = 500;             // journal and kernel, each
  unsigned max_log_priority = 4;                 // keep entries with priority <= this (4: warning)
  std::vector<std::string> units;                // journal: only these units (empty: all)
  std::vector<std::filesystem::path> log_files;  // extra files to tail (absolute)
  std::size_t log_file_max_lines = 200;
  std::size_t log_file_max_bytes = 64u * 1024;
  std::size_t unit_log_lines = 10;       // last lines per failed unit
  std::size_t max_message_bytes = 2048;  // one log message / line
  std::size_t top_processes = 10;
  std::chrono::milliseconds cpu_sample{200};  // 0: CPU% averaged since process start
};

// [[nodiscard]] helpers for a collector's return value.
[[nodiscard]] inline tl::unexpected<Error> unavailable(std::string reason) {
  return fail("unavailable", std::move(reason));
}
[[nodiscard]] inline tl::unexpected<Error> skipped(std::string reason) {
  return fail("skipped", std::move(reason));
}

// The per-run environment of one collector: options, deadline, size budget,
// and the non-fatal errors it reports.
//
// Thread: used by the collector's worker thread; cancel() may be called from
// the runner's thread at any time. Owned by the runner (shared with the
// worker until both are done).
class Context {
 public:
  Context(std::shared_ptr<const SourceOptions> options, Clock::time_point deadline,
          std::size_t size_budget);
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  [[nodiscard]] const SourceOptions& options() const { return *options_; }

  // `absolute` ("/proc/meminfo") under the configured root.
  [[nodiscard]] std::filesystem::path path(std::string_view absolute) const;
  // True when the root is "/": OS APIs describe the same machine as the files.
  [[nodiscard]] bool live() const { return live_; }

  [[nodiscard]] Clock::time_point deadline() const { return deadline_; }
  // The deadline passed or the runner gave up on this collector. Check it
  // between steps and return fail("timed_out", ...) when true.
  [[nodiscard]] bool expired() const;
  // Waits `duration`, returning early when cancelled or at the deadline.
  // True if the full duration elapsed.
  bool pause(std::chrono::milliseconds duration);
  // Waits until cancel() or `max` elapsed (not the deadline). True if
  // cancelled. For collectors that block on something outside (tests).
  bool wait_for_cancel(std::chrono::milliseconds max);
  void cancel();
  [[nodiscard]] bool cancelled() const { return cancelled_.load(); }

  // Size budget of this collector's contribution (serialized bytes). The
  // runner enforces it after collect(); collectors may use it to stop early.
  [[nodiscard]] std::size_t size_budget() const { return size_budget_; }

  // A problem that did not stop the collector: the status becomes PARTIAL.
  void add_error(std::string message);
  [[nodiscard]] const std::vector<std::string>& errors() const { return errors_; }

 private:
  std::shared_ptr<const SourceOptions> options_;
  Clock::time_point deadline_;
  std::size_t size_budget_;
  bool live_;
  std::vector<std::string> errors_;
  std::atomic<bool> cancelled_{false};
  std::mutex mutex_;
  std::condition_variable cv_;
};

// A data source. Implementations are stateless (collect is const) so one
// instance serves every run; the runner holds them by shared_ptr so an
// abandoned (timed-out) worker keeps its collector alive.
class Collector {
 public:
  virtual ~Collector() = default;
  [[nodiscard]] virtual std::string_view name() const = 0;     // "hardware.smart"
  [[nodiscard]] virtual std::string_view section() const = 0;  // "hardware"
  // Default budgets; Options can override them by collector name.
  [[nodiscard]] virtual std::chrono::milliseconds time_budget() const;
  [[nodiscard]] virtual std::size_t size_budget() const;
  // Fills `out` (a fresh, private bundle). See the outcome table above.
  [[nodiscard]] virtual Result<void> collect(Context& context, pb::DiagnosticBundle& out) const = 0;
};

using CollectorPtr = std::shared_ptr<const Collector>;
using CollectFunction = Result<void> (*)(Context&, pb::DiagnosticBundle&);

// The usual collector: a free function plus its names and budgets, as listed
// in the platform table.
class FunctionCollector final : public Collector {
 public:
  FunctionCollector(std::string_view name, std::string_view section, CollectFunction function,
                    std::chrono::milliseconds time_budget, std::size_t size_budget);
  [[nodiscard]] std::string_view name() const override { return name_; }
  [[nodiscard]] std::string_view section() const override { return section_; }
  [[nodiscard]] std::chrono::milliseconds time_budget() const override { return time_budget_; }
  [[nodiscard]] std::size_t size_budget() const override { return size_budget_; }
  [[nodiscard]] Result<void> collect(Context& context, pb::DiagnosticBundle& out) const override;

 private:
  std::string name_;
  std::string section_;
  CollectFunction function_;
  std::chrono::milliseconds time_budget_;
  std::size_t size_budget_;
};

inline constexpr std::chrono::milliseconds kDefaultTimeBudget{2000};
inline constexpr std::size_t kDefaultSizeBudget = 1u << 20;

}  // namespace helpline::agent::collect
