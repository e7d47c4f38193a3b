// Runs collectors concurrently, each on its own worker thread with a time
// budget and a size budget. Internal to agent/collect (bundle.cpp uses it).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

#include "agent/collect/collector.h"

namespace helpline::agent::collect {

struct Budget {
  std::chrono::milliseconds time;
  std::size_t size;
};

struct CollectorRun {
  pb::CollectorStatus status;
  pb::DiagnosticBundle data;  // empty unless OK or PARTIAL
};

// Starts every collector at once and waits for each until its own deadline.
// A worker still running at its deadline is cancelled and abandoned: it owns
// its output message and Context (shared with nothing the caller sees), so
// it can finish late without touching the results. Results are in the
// order of `collectors`. Never fails; a thread that cannot be started is
// reported FAILED.
[[nodiscard]] std::vector<CollectorRun> run_collectors(
    const std::vector<CollectorPtr>& collectors, std::shared_ptr<const SourceOptions> options,
    const std::function<Budget(const Collector&)>& budget_of);

}  // namespace helpline::agent::collect
