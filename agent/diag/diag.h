// agent/diag: remote collection. The relay sends Request{collect}; the agent
// collects a bundle (agent/collect) on a libuv worker thread so the loop
// keeps serving heartbeats, redacts it (agent/collect/bundle_redaction.h), encodes it
// (common/bundle), opens a "bundle" stream with request_id = the request's
// id and metadata = the bundle id, streams the bytes with flow control,
// closes the stream and answers Response{collect{bundle_id, size}}. If the
// link is lost on the way, the bundle goes to the spool instead (see
// add_remote_collection).
// Errors answered instead: "unknown_section" (listing the valid ones),
// "too_large" (the bundle exceeds the request's max_bytes), "busy" (one
// collection at a time), "bad_config" (a redaction pattern in agent.toml
// does not compile: nothing is collected unredacted), "collect_failed".
//
// Thread: the loop's thread; collection itself runs on libuv's thread pool.
// Lifetime: the Link must outlive the collections in flight, as it does in
// `run` (uv_run returns only after every queued work request completed).
#pragma once

#include <uv.h>

#include <cstddef>
#include <filesystem>
#include <optional>
#include <vector>

#include "agent/collect/bundle.h"
#include "agent/deliver/deliverer.h"
#include "agent/link/link.h"
#include "common/redact/redact.h"

namespace helpline::agent::diag {

struct DiagSettings {
  std::vector<std::filesystem::path> log_files;  // extra files to tail (absolute)
  std::vector<std::string> redact_patterns;  // organisation-specific secrets (regexes)
  std::optional<std::size_t> max_log_entries;    // journal and kernel, each
  std::optional<std::size_t> top_processes;      // per list
};

// What agent.toml's [collect] table configures (AgentConfig::collect).
[[nodiscard]] DiagSettings settings_from(const AgentState& state);

// Collection options from the settings (sources, limits) for `device_id`;
// sections, since and redaction are the caller's.
[[nodiscard]] collect::Options collect_options(const DiagSettings& settings,
                                               const std::string& device_id);

// Registers the CollectRequest handler on `link` (before link.start()).
// A redaction pattern that does not compile is logged here and every
// collect request is then refused with "bad_config". With `spool`, a
// bundle whose link is lost while it is sent is spooled (with the
// request's ticket and technician) and delivered after reconnecting.
void add_remote_collection(uv_loop_t* loop, Link& link, DiagSettings settings,
                           Deliverer* spool = nullptr);
// The same with settings_from(link.state()).
void add_remote_collection(uv_loop_t* loop, Link& link, Deliverer* spool = nullptr);

}  // namespace helpline::agent::diag
