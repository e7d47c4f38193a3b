#include <utility>

#include "agent/collect/collector.h"

namespace helpline::agent::collect {

Context::Context(std::shared_ptr<const SourceOptions> options, Clock::time_point deadline,
                 std::size_t size_budget)
    : options_(std::move(options)),
      deadline_(deadline),
      size_budget_(size_budget),
      live_(options_->root.empty() || options_->root == "/") {}

std::filesystem::path Context::path(std::string_view absolute) const {
  if (live_) return std::filesystem::path(absolute);
  // operator/ would discard the root for an absolute right-hand side.
  std::string joined = options_->root.string();
  while (!joined.empty() && joined.back() == '/') joined.pop_back();
  if (absolute.empty() || absolute.front() != '/') joined.push_back('/');
  joined.append(absolute);
  return joined;
}

bool Context::expired() const { return cancelled_.load() || Clock::now() >= deadline_; }

bool Context::pause(std::chrono::milliseconds duration) {
  auto until = Clock::now() + duration;
  bool full = until <= deadline_;
  if (!full) until = deadline_;
  std::unique_lock lock(mutex_);
  bool woke = cv_.wait_until(lock, until, [this] { return cancelled_.load(); });
  return full && !woke;
}

bool Context::wait_for_cancel(std::chrono::milliseconds max) {
  std::unique_lock lock(mutex_);
  return cv_.wait_for(lock, max, [this] { return cancelled_.load(); });
}

void Context::cancel() {
  {
    // Under the mutex so a waiter cannot miss the wake-up between its
    // predicate check and its wait.
    std::lock_guard lock(mutex_);
    cancelled_.store(true);
  }
  cv_.notify_all();
}

void Context::add_error(std::string message) { errors_.push_back(std::move(message)); }

std::chrono::milliseconds Collector::time_budget() const { return kDefaultTimeBudget; }
std::size_t Collector::size_budget() const { return kDefaultSizeBudget; }

FunctionCollector::FunctionCollector(std::string_view name, std::string_view section,
                                     CollectFunction function,
                                     std::chrono::milliseconds time_budget, std::size_t size_budget)
    : name_(name),
      section_(section),
      function_(function),
      time_budget_(time_budget),
      size_budget_(size_budget) {}

Result<void> FunctionCollector::collect(Context& context, pb::DiagnosticBundle& out) const {
  return function_(context, out);
}

}  // namespace helpline::agent::collect
