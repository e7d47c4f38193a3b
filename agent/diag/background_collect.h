// Collects and encodes one bundle on libuv's thread pool, so the loop keeps
// serving heartbeats meanwhile (a collection takes up to its collectors'
// budgets). Used by remote collection and by end-user reports.
//
// Thread: call from the loop's thread; `done` runs there too, once, with
// the encoded bundle or the collection's error ("collect_failed", ...).
// The loop must run until `done` ran (uv_run does: it waits for queued work).
#pragma once

#include <uv.h>

#include <functional>
#include <string>

#include "agent/collect/bundle.h"
#include "common/core/result.h"

namespace helpline::agent::diag {

using CollectDone = std::function<void(Result<std::string> encoded)>;

// Errors (done is then not called): "collect_failed" when the work cannot
// be queued.
[[nodiscard]] Result<void> collect_in_background(uv_loop_t* loop, collect::Options options,
                                                 CollectDone done);

}  // namespace helpline::agent::diag
