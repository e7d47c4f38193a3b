#include "agent/collect/runner.h"

#include <condition_variable>
#include <exception>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

#include "agent/collect/truncate.h"

namespace helpline::agent::collect {
namespace {

// Everything a worker touches. Shared by the runner and the worker so an
// abandoned worker keeps it alive; the runner reads `data`, `result` and
// the context's errors only after seeing `done` under the mutex.
struct Job {
  Job(CollectorPtr c, std::shared_ptr<const SourceOptions> options, Clock::time_point start,
      Budget b)
      : collector(std::move(c)),
        budget(b),
        started(start),
        deadline(start + b.time),
        context(std::move(options), start + b.time, b.size) {}

  CollectorPtr collector;
  Budget budget;
  Clock::time_point started;
  Clock::time_point deadline;
  Context context;
  pb::DiagnosticBundle data;

  std::mutex mutex;
  std::condition_variable cv;
  bool done = false;
  Result<void> result;
  Clock::time_point finished;
};

void work(const std::shared_ptr<Job>& job) {
  Result<void> result;
  // The thread boundary: an exception (std::bad_alloc, a library throwing)
  // must become this collector's failure, not std::terminate.
  try {
    result = job->collector->collect(job->context, job->data);
  } catch (const std::exception& e) {
    result = fail("internal_error", std::string("collector threw: ") + e.what());
  } catch (...) {
    result = fail("internal_error", "collector threw an unknown exception");
  }
  auto finished = Clock::now();
  {
    std::lock_guard lock(job->mutex);
    job->result = std::move(result);
    job->finished = finished;
    job->done = true;
  }
  job->cv.notify_all();
}

[[nodiscard]] std::uint32_t to_ms(Clock::duration d) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  if (ms < 0) return 0;
  return ms > UINT32_MAX ? UINT32_MAX : static_cast<std::uint32_t>(ms);
}

[[nodiscard]] pb::CollectorStatus::State state_for(const Error& error) {
  if (error.code == "unavailable") return pb::CollectorStatus::STATE_UNAVAILABLE;
  if (error.code == "skipped") return pb::CollectorStatus::STATE_SKIPPED;
  if (error.code == "timed_out") return pb::CollectorStatus::STATE_TIMED_OUT;
  return pb::CollectorStatus::STATE_FAILED;
}

// Status and data of a worker that finished in time.
void finish(Job& job, CollectorRun& run) {
  pb::CollectorStatus& status = run.status;
  status.set_duration_ms(to_ms(job.finished - job.started));
  for (const std::string& e : job.context.errors()) status.add_errors(e);
  if (!job.result) {
    const Error& error = job.result.error();
    status.set_state(state_for(error));
    // FAILED keeps the code ("read_failed: ..."); the other states say it already.
    status.add_errors(status.state() == pb::CollectorStatus::STATE_FAILED ? error.to_string()
                                                                          : error.message);
    return;
  }
  run.data = std::move(job.data);
  status.set_state(job.context.errors().empty() ? pb::CollectorStatus::STATE_OK
                                                : pb::CollectorStatus::STATE_PARTIAL);
  std::size_t size = run.data.ByteSizeLong();
  if (size > job.budget.size) {
    for (std::string& dropped : trim_to_budget(run.data, job.budget.size)) {
      status.add_errors("over the size budget (" + std::to_string(size) + " > " +
                        std::to_string(job.budget.size) + " bytes): " + dropped);
    }
    status.set_state(pb::CollectorStatus::STATE_PARTIAL);
  }
  status.set_bytes(run.data.ByteSizeLong());
}

}  // namespace

std::vector<CollectorRun> run_collectors(const std::vector<CollectorPtr>& collectors,
                                         std::shared_ptr<const SourceOptions> options,
                                         const std::function<Budget(const Collector&)>& budget_of) {
  std::vector<CollectorRun> runs(collectors.size());
  std::vector<std::shared_ptr<Job>> jobs(collectors.size());
  std::vector<std::thread> threads(collectors.size());
  for (std::size_t i = 0; i < collectors.size(); ++i) {
    const CollectorPtr& c = collectors[i];
    runs[i].status.set_name(std::string(c->name()));
    runs[i].status.set_section(std::string(c->section()));
    jobs[i] = std::make_shared<Job>(c, options, Clock::now(), budget_of(*c));
    try {
      threads[i] = std::thread(work, jobs[i]);
    } catch (const std::system_error& e) {
      runs[i].status.set_state(pb::CollectorStatus::STATE_FAILED);
      runs[i].status.add_errors(std::string("cannot start a worker thread: ") + e.what());
      jobs[i].reset();
    }
  }
  for (std::size_t i = 0; i < collectors.size(); ++i) {
    if (!jobs[i]) continue;
    Job& job = *jobs[i];
    bool in_time = false;
    {
      std::unique_lock lock(job.mutex);
      job.cv.wait_until(lock, job.deadline, [&job] { return job.done; });
      // A worker that finished late (while we waited on an earlier one) is
      // over its budget all the same.
      in_time = job.done && job.finished <= job.deadline;
    }
    if (in_time) {
      threads[i].join();
      finish(job, runs[i]);
      continue;
    }
    job.context.cancel();
    bool done = false;
    {
      std::lock_guard lock(job.mutex);
      done = job.done;
    }
    if (done) {
      threads[i].join();
    } else {
      threads[i].detach();  // owns its Job through the shared_ptr
    }
    runs[i].status.set_state(pb::CollectorStatus::STATE_TIMED_OUT);
    runs[i].status.set_duration_ms(to_ms(Clock::now() - job.started));
    runs[i].status.add_errors("did not finish within its time budget of " +
                              std::to_string(job.budget.time.count()) +
                              " ms; its data was discarded");
  }
  return runs;
}

}  // namespace helpline::agent::collect
