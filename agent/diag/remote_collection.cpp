// The CollectRequest handler (diag.h). A collection can take seconds (its
// collectors' budgets), so it runs on libuv's thread pool; everything that
// touches the link happens back on the loop, in the after-work callback.
#include <spdlog/spdlog.h>

#include <memory>
#include <optional>

#include "agent/collect/bundle.h"
#include "agent/collect/registry.h"
#include "agent/collect/bundle_redaction.h"
#include "agent/diag/bundle_sender.h"
#include "agent/diag/diag.h"

namespace helpline::agent::diag {
namespace {

constexpr int kMaxSections = 32;

class RemoteCollection;

// One collection: queued on the thread pool, finished on the loop.
struct CollectJob {
  uv_work_t work{};
  std::shared_ptr<RemoteCollection> owner;
  collect::Options options;
  std::uint64_t request_id = 0;
  std::uint64_t max_bytes = 0;
  std::uint64_t epoch = 0;  // the link the request came on
  Reply reply;
  Result<std::string> encoded = fail("collect_failed", "the collection did not run");
};

class RemoteCollection : public std::enable_shared_from_this<RemoteCollection> {
 public:
  RemoteCollection(uv_loop_t* loop, Link& link, DiagSettings settings)
      : loop_(loop), link_(link), settings_(std::move(settings)) {
    auto redactor = make_bundle_redactor(settings_.redact_patterns);
    if (redactor) {
      redact_ = std::move(*redactor);
    } else {
      config_error_ = redactor.error().message;
      spdlog::error("remote diagnostics are disabled: {}", config_error_);
    }
  }

  void on_request(const v1::Request& request, Reply reply);

 private:
  static void work(uv_work_t* req);
  static void after_work(uv_work_t* req, int status);
  void send(std::unique_ptr<CollectJob> job);

  uv_loop_t* loop_;
  Link& link_;
  DiagSettings settings_;
  // Each job gets its own copy (and Redactor) to use on the worker thread.
  std::function<void(v1::DiagnosticBundle&)> redact_;
  std::string config_error_;
  bool busy_ = false;  // from the request until the bundle is handed to the link
};

void RemoteCollection::on_request(const v1::Request& request, Reply reply) {
  const v1::CollectRequest& ask = request.collect();
  if (!redact_) {
    reply(error_response(0, "bad_config", "agent.toml: " + config_error_));
    return;
  }
  if (busy_) {
    reply(error_response(0, "busy", "a collection is already running on this device; try again"));
    return;
  }
  if (ask.sections_size() > kMaxSections) {
    reply(error_response(0, "unknown_section",
                         "at most " + std::to_string(kMaxSections) + " sections at once"));
    return;
  }
  std::vector<std::string> sections(ask.sections().begin(), ask.sections().end());
  // Checked here too so a bad name is answered at once, not after a thread hop.
  if (auto selected = collect::select_collectors(collect::platform_collectors(), sections);
      !selected) {
    reply(error_response(0, selected.error().code, selected.error().message));
    return;
  }
  auto job = std::make_unique<CollectJob>();
  job->owner = shared_from_this();
  job->options.sections = std::move(sections);
  job->options.sources.since_ms = ask.since_ms() > 0 ? ask.since_ms() : 0;
  job->options.sources.log_files = settings_.log_files;
  if (settings_.max_log_entries) job->options.sources.max_log_entries = *settings_.max_log_entries;
  if (settings_.top_processes) job->options.sources.top_processes = *settings_.top_processes;
  job->options.device_id = link_.state().config.device_id;
  job->options.redact = redact_;
  job->request_id = request.id();
  job->max_bytes = ask.max_bytes() != 0 && ask.max_bytes() < collect::kMaxBundleBytes
                       ? ask.max_bytes()
                       : collect::kMaxBundleBytes;
  job->epoch = link_.channels().epoch();
  job->reply = std::move(reply);
  job->work.data = job.get();
  if (int rc = uv_queue_work(loop_, &job->work, work, after_work); rc != 0) {
    job->reply(error_response(0, "collect_failed",
                              std::string("cannot start the collection: ") + uv_strerror(rc)));
    return;
  }
  busy_ = true;
  spdlog::info("collecting diagnostics for relay request {} ({})", job->request_id,
               job->options.sections.empty()
                   ? std::string("all sections")
                   : std::to_string(job->options.sections.size()) + " section(s)");
  (void)job.release();  // owned by the work request until after_work
}

// On a thread-pool thread: only the job's own data is touched.
void RemoteCollection::work(uv_work_t* req) {
  auto* job = static_cast<CollectJob*>(req->data);
  auto bundle = collect::collect_bundle(job->options);
  job->encoded = bundle ? collect::encode_bundle(*bundle) : fail(bundle.error());
}

void RemoteCollection::after_work(uv_work_t* req, int status) {
  std::unique_ptr<CollectJob> job(static_cast<CollectJob*>(req->data));
  std::shared_ptr<RemoteCollection> self = std::move(job->owner);
  if (status != 0) {
    self->busy_ = false;
    job->reply(error_response(0, "collect_failed", "the collection was cancelled"));
    return;
  }
  self->send(std::move(job));
}

void RemoteCollection::send(std::unique_ptr<CollectJob> job) {
  if (!job->encoded) {
    busy_ = false;
    spdlog::warn("collection for relay request {} failed: {}", job->request_id,
                 job->encoded.error().to_string());
    job->reply(error_response(0, job->encoded.error().code, job->encoded.error().message));
    return;
  }
  std::string encoded = std::move(*job->encoded);
  if (encoded.size() > job->max_bytes) {
    busy_ = false;
    job->reply(error_response(0, "too_large",
                              "the bundle is " + std::to_string(encoded.size()) +
                                  " bytes; the relay accepts at most " +
                                  std::to_string(job->max_bytes) + " (ask for fewer sections)"));
    return;
  }
  std::string id = collect::bundle_id(encoded);
  bool handed_over = false;
  auto self = shared_from_this();
  auto opened =
      link_.channels().open(job->epoch, "bundle", id, job->request_id, [&](ChannelStream stream) {
        handed_over = true;
        return std::make_unique<BundleSender>(std::move(stream), std::move(encoded), id,
                                              std::move(job->reply),
                                              [self] { self->busy_ = false; });
      });
  if (!opened && !handed_over) {
    busy_ = false;
    spdlog::warn("cannot send bundle {}: {}", id, opened.error().to_string());
    job->reply(error_response(0, opened.error().code, opened.error().message));
  }
}

}  // namespace

DiagSettings settings_from(const AgentState& state) {
  const CollectConfig& config = state.config.collect;
  DiagSettings settings;
  settings.log_files.assign(config.log_files.begin(), config.log_files.end());
  settings.redact_patterns = config.redact_patterns;
  settings.max_log_entries = config.max_log_entries;
  settings.top_processes = config.top_processes;
  return settings;
}

void add_remote_collection(uv_loop_t* loop, Link& link, DiagSettings settings) {
  auto collection = std::make_shared<RemoteCollection>(loop, link, std::move(settings));
  link.requests().add(v1::Request::kCollect, [collection](const v1::Request& request, Reply reply) {
    collection->on_request(request, std::move(reply));
  });
}

void add_remote_collection(uv_loop_t* loop, Link& link) {
  add_remote_collection(loop, link, settings_from(link.state()));
}

}  // namespace helpline::agent::diag
