#include "agent/diag/background_collect.h"

#include <memory>

namespace helpline::agent::diag {

namespace {

struct CollectWork {
  uv_work_t work{};
  collect::Options options;
  CollectDone done;
  Result<std::string> encoded = fail("collect_failed", "the collection did not run");
};

// On a thread-pool thread: only the job's own data is touched.
void run_collection(uv_work_t* req) {
  auto* job = static_cast<CollectWork*>(req->data);
  auto bundle = collect::collect_bundle(job->options);
  job->encoded = bundle ? collect::encode_bundle(*bundle) : fail(bundle.error());
}

void after_collection(uv_work_t* req, int status) {
  std::unique_ptr<CollectWork> job(static_cast<CollectWork*>(req->data));
  if (status != 0) {
    job->done(fail("collect_failed", "the collection was cancelled"));
    return;
  }
  job->done(std::move(job->encoded));
}

}  // namespace

Result<void> collect_in_background(uv_loop_t* loop, collect::Options options, CollectDone done) {
  auto job = std::make_unique<CollectWork>();
  job->options = std::move(options);
  job->done = std::move(done);
  job->work.data = job.get();
  if (int rc = uv_queue_work(loop, &job->work, run_collection, after_collection); rc != 0) {
    return fail("collect_failed", std::string("cannot start the collection: ") + uv_strerror(rc));
  }
  (void)job.release();  // owned by the work request until after_collection
  return {};
}

}  // namespace helpline::agent::diag
