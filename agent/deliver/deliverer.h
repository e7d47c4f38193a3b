// agent/deliver: sends what waits in the spool (agent/spool) to the relay,
// oldest first, one item at a time, each exactly once (tunnel.proto,
// "store-and-forward deliveries"; docs/protocol.md).
//
// For each item: a DeliverRequest (idempotency id = the spool item id,
// kind, size, SHA-256), then its payload on an "upload" stream. The
// relay's answer decides:
//   DeliverResult            acknowledge (the item is deleted for good);
//   a permanent error        discard (bad_payload, bad_value, bad_bundle,
//                            not_found, bad_state, too_large): sending it
//                            again cannot succeed; logged and reported;
//   anything else            mark_failed; retried after a backoff delay
//                            (2 s doubling to 5 min), or as soon as the
//                            link is up again when the link was lost.
// A crash between the relay storing an item and the agent acknowledging it
// makes the agent send it again; the relay applies it once and answers the
// copy with the first result.
//
// Thread: the loop's thread. Lifetime: create after the Link, start()
// before link.start(); close() before the loop ends (it closes a timer
// handle); destroy after the on_closed callback ran.
#pragma once

#include <uv.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "agent/link/link.h"
#include "agent/spool/spool.h"
#include "common/core/result.h"

namespace helpline::agent {

// How one item ended: delivered (result), or dropped for good (error:
// the relay's permanent refusal, or "evicted" when the spool made room).
struct DeliveryOutcome {
  std::string item_id;
  std::string kind;
  Result<v1::DeliverResult> result;
};

// True for the relay's error codes that sending again cannot cure.
[[nodiscard]] bool is_permanent_delivery_error(std::string_view code);

struct DelivererOptions {
  std::chrono::milliseconds answer_timeout{180'000};  // upload + apply on the relay
  std::chrono::milliseconds first_retry{2'000};
  std::chrono::milliseconds max_retry{300'000};
};

class Deliverer {
 public:
  using Watcher = std::function<void(const DeliveryOutcome&)>;

  // `link` and `spool` must outlive the Deliverer.
  Deliverer(uv_loop_t* loop, Link& link, spool::Spool& spool, DelivererOptions options = {});
  Deliverer(const Deliverer&) = delete;
  Deliverer& operator=(const Deliverer&) = delete;
  ~Deliverer();

  // Takes the link's on_up callback and starts sending when it is up.
  void start();
  // Stops sending and closes the retry timer; `on_closed` runs once it is.
  void close(std::function<void()> on_closed);

  // Spools a new item durably and sends it when its turn comes. Items
  // evicted to make room are reported to their watchers ("evicted").
  // Errors: the spool's (spool_invalid, spool_full, spool_io).
  [[nodiscard]] Result<spool::EnqueueResult> enqueue(std::string_view kind,
                                                     std::string_view payload);

  // Calls `watcher` once when item `id` is delivered or dropped for good.
  // Never called if the agent stops first (the item stays spooled).
  void watch(const std::string& id, Watcher watcher);

  [[nodiscard]] const spool::Spool& spool() const { return spool_; }
  // True while an item is on its way.
  [[nodiscard]] bool busy() const { return busy_; }

 private:
  static void on_retry_timer(uv_timer_t* timer);

  void pump();
  void send(spool::Item item);
  void on_answer(const std::string& id, const std::string& kind, Result<v1::Response> answer);
  void retry_later();
  void notify(const DeliveryOutcome& outcome);

  uv_loop_t* loop_;
  Link& link_;
  spool::Spool& spool_;
  DelivererOptions options_;
  uv_timer_t retry_timer_{};
  bool timer_open_ = false;
  bool retry_pending_ = false;
  bool busy_ = false;
  bool closed_ = false;
  std::chrono::milliseconds next_retry_;
  std::map<std::string, std::vector<Watcher>, std::less<>> watchers_;
  std::function<void()> on_closed_;
};

}  // namespace helpline::agent
