// The CollectRequest handler (diag.h). A collection can take seconds (its
// collectors' budgets), so it runs on libuv's thread pool
// (background_collect.h); everything that touches the link happens back on
// the loop.
#include <spdlog/spdlog.h>

#include <memory>
#include <optional>

#include "agent/collect/bundle.h"
#include "agent/collect/registry.h"
#include "agent/collect/bundle_redaction.h"
#include "agent/diag/background_collect.h"
#include "agent/link/stream_sender.h"
#include "agent/diag/diag.h"

namespace helpline::agent::diag {
namespace {

constexpr int kMaxSections = 32;

// What a collection remembers from its request until the bundle is sent.
struct CollectJob {
  std::uint64_t request_id = 0;
  std::uint64_t max_bytes = 0;
  std::uint64_t epoch = 0;  // the link the request came on
  v1::CollectRequest ask;
  Reply reply;
};

class RemoteCollection : public std::enable_shared_from_this<RemoteCollection> {
 public:
  RemoteCollection(uv_loop_t* loop, Link& link, DiagSettings settings, Deliverer* spool)
      : loop_(loop), link_(link), settings_(std::move(settings)), spool_(spool) {
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
  void send(CollectJob job, Result<std::string> encoded);
  void keep_for_later(const CollectJob& job, const std::string& encoded, const Error& why);

  uv_loop_t* loop_;
  Link& link_;
  DiagSettings settings_;
  Deliverer* spool_;
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
  collect::Options options = collect_options(settings_, link_.state().config.device_id);
  options.sections = std::move(sections);
  options.sources.since_ms = ask.since_ms() > 0 ? ask.since_ms() : 0;
  options.redact = redact_;
  CollectJob job;
  job.request_id = request.id();
  job.max_bytes = ask.max_bytes() != 0 && ask.max_bytes() < collect::kMaxBundleBytes
                      ? ask.max_bytes()
                      : collect::kMaxBundleBytes;
  job.epoch = link_.channels().epoch();
  job.ask = ask;
  job.reply = std::move(reply);
  std::string what = options.sections.empty()
                         ? std::string("all sections")
                         : std::to_string(options.sections.size()) + " section(s)";
  auto self = shared_from_this();
  auto shared_job = std::make_shared<CollectJob>(std::move(job));
  auto started = collect_in_background(
      loop_, std::move(options), [self, shared_job](Result<std::string> encoded) {
        self->send(std::move(*shared_job), std::move(encoded));
      });
  if (!started) {
    shared_job->reply(error_response(0, started.error().code, started.error().message));
    return;
  }
  busy_ = true;
  spdlog::info("collecting diagnostics for relay request {} ({})", shared_job->request_id, what);
}

void RemoteCollection::send(CollectJob job, Result<std::string> encoded) {
  if (!encoded) {
    busy_ = false;
    spdlog::warn("collection for relay request {} failed: {}", job.request_id,
                 encoded.error().to_string());
    job.reply(error_response(0, encoded.error().code, encoded.error().message));
    return;
  }
  if (encoded->size() > job.max_bytes) {
    busy_ = false;
    job.reply(error_response(0, "too_large",
                             "the bundle is " + std::to_string(encoded->size()) +
                                 " bytes; the relay accepts at most " +
                                 std::to_string(job.max_bytes) + " (ask for fewer sections)"));
    return;
  }
  auto bytes = std::make_shared<const std::string>(std::move(*encoded));
  std::string id = collect::bundle_id(*bytes);
  auto self = shared_from_this();
  auto shared_job = std::make_shared<CollectJob>(std::move(job));
  auto on_sent = [self, shared_job, bytes, id](Result<void> sent) {
    self->busy_ = false;
    if (!sent) {
      self->keep_for_later(*shared_job, *bytes, sent.error());
      shared_job->reply(error_response(0, sent.error().code, sent.error().message));
      return;
    }
    spdlog::info("bundle {} ({} bytes) sent to the relay", id, bytes->size());
    v1::Response response;
    response.mutable_collect()->set_bundle_id(id);
    response.mutable_collect()->set_size(bytes->size());
    shared_job->reply(std::move(response));
  };
  bool handed_over = false;
  auto opened = link_.channels().open(shared_job->epoch, "bundle", id, shared_job->request_id,
                                      [&](ChannelStream stream) {
                                        handed_over = true;
                                        return std::make_unique<StreamSender>(
                                            std::move(stream), bytes, "bundle " + id, on_sent);
                                      });
  if (!opened && !handed_over) {
    busy_ = false;
    spdlog::warn("cannot send bundle {}: {}", id, opened.error().to_string());
    keep_for_later(*shared_job, *bytes, opened.error());
    shared_job->reply(error_response(0, opened.error().code, opened.error().message));
  }
}

// The link went away under the bundle: the technician asked for it, so it
// waits in the spool and reaches the relay (and its ticket) once the link
// is back. A bundle the relay refused is not kept.
void RemoteCollection::keep_for_later(const CollectJob& job, const std::string& encoded,
                                      const Error& why) {
  bool link_lost = why.code == "link_lost" ||
                   (why.code == "stream_reset" && why.message.find("link lost") != std::string::npos);
  if (spool_ == nullptr || !link_lost) return;
  v1::SpooledBundle spooled;
  spooled.set_encoded(encoded);
  spooled.set_ticket_id(job.ask.ticket_id());
  spooled.set_requested_by(job.ask.requested_by());
  for (const std::string& section : job.ask.sections()) spooled.add_sections(section);
  auto queued = spool_->enqueue("bundle", spooled.SerializeAsString());
  if (!queued) {
    spdlog::error("the link was lost and the bundle cannot be spooled: {}",
                  queued.error().to_string());
    return;
  }
  spdlog::info("the link was lost while sending a bundle; it waits in the spool as {}",
               queued->item.id);
}

}  // namespace

collect::Options collect_options(const DiagSettings& settings, const std::string& device_id) {
  collect::Options options;
  options.sources.log_files = settings.log_files;
  if (settings.max_log_entries) options.sources.max_log_entries = *settings.max_log_entries;
  if (settings.top_processes) options.sources.top_processes = *settings.top_processes;
  options.device_id = device_id;
  return options;
}

DiagSettings settings_from(const AgentState& state) {
  const CollectConfig& config = state.config.collect;
  DiagSettings settings;
  settings.log_files.assign(config.log_files.begin(), config.log_files.end());
  settings.redact_patterns = config.redact_patterns;
  settings.max_log_entries = config.max_log_entries;
  settings.top_processes = config.top_processes;
  return settings;
}

void add_remote_collection(uv_loop_t* loop, Link& link, DiagSettings settings,
                           Deliverer* spool) {
  auto collection = std::make_shared<RemoteCollection>(loop, link, std::move(settings), spool);
  link.requests().add(v1::Request::kCollect, [collection](const v1::Request& request, Reply reply) {
    collection->on_request(request, std::move(reply));
  });
}

void add_remote_collection(uv_loop_t* loop, Link& link, Deliverer* spool) {
  add_remote_collection(loop, link, settings_from(link.state()), spool);
}

}  // namespace helpline::agent::diag
