#include "agent/deliver/deliverer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>

#include "agent/link/stream_sender.h"
#include "common/tls/crypto.h"

namespace helpline::agent {

namespace {

constexpr std::array<std::string_view, 6> kPermanentErrors{
    "bad_payload", "bad_value", "bad_bundle", "not_found", "bad_state", "too_large"};

[[nodiscard]] std::uint64_t to_uv_ms(std::chrono::milliseconds ms) {
  return ms.count() > 0 ? static_cast<std::uint64_t>(ms.count()) : 0;
}

}  // namespace

bool is_permanent_delivery_error(std::string_view code) {
  return std::find(kPermanentErrors.begin(), kPermanentErrors.end(), code) !=
         kPermanentErrors.end();
}

Deliverer::Deliverer(uv_loop_t* loop, Link& link, spool::Spool& spool, DelivererOptions options)
    : loop_(loop),
      link_(link),
      spool_(spool),
      options_(options),
      next_retry_(options.first_retry) {}

Deliverer::~Deliverer() = default;

void Deliverer::start() {
  uv_timer_init(loop_, &retry_timer_);
  retry_timer_.data = this;
  timer_open_ = true;
  link_.set_on_up([this] {
    // A fresh link: whatever failed on the old one may go now.
    if (retry_pending_) {
      uv_timer_stop(&retry_timer_);
      retry_pending_ = false;
    }
    pump();
  });
  if (!spool_.empty()) {
    spdlog::info("{} item(s) wait in the spool; they go once the relay is reached",
                 spool_.size());
  }
}

void Deliverer::close(std::function<void()> on_closed) {
  closed_ = true;
  link_.set_on_up(nullptr);
  if (!timer_open_) {
    if (on_closed) on_closed();
    return;
  }
  timer_open_ = false;
  on_closed_ = std::move(on_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&retry_timer_), [](uv_handle_t* handle) {
    auto* self = static_cast<Deliverer*>(handle->data);
    if (self->on_closed_) std::exchange(self->on_closed_, nullptr)();
  });
}

Result<spool::EnqueueResult> Deliverer::enqueue(std::string_view kind, std::string_view payload) {
  auto queued = spool_.enqueue(kind, payload);
  if (!queued) return queued;
  for (const spool::ItemInfo& evicted : queued->evicted) {
    notify(DeliveryOutcome{evicted.id, evicted.kind,
                           fail("evicted", "the spool was full; this " + evicted.kind +
                                               " was dropped to make room for newer items")});
  }
  pump();
  return queued;
}

void Deliverer::watch(const std::string& id, Watcher watcher) {
  watchers_[id].push_back(std::move(watcher));
}

void Deliverer::pump() {
  if (closed_ || busy_ || retry_pending_ || !link_.connected()) return;
  // Each corrupt item leaves the queue (quarantined), so this ends.
  for (std::size_t tries = spool_.size() + 1; tries > 0; --tries) {
    auto next = spool_.peek();
    if (!next && next.error().code == "spool_corrupt") {
      spdlog::error("spool: {}", next.error().message);
      continue;
    }
    if (!next) {
      spdlog::error("spool: {}", next.error().to_string());
      retry_later();
      return;
    }
    if (!*next) return;  // nothing waits
    send(std::move(**next));
    return;
  }
}

void Deliverer::send(spool::Item item) {
  auto payload = std::make_shared<const std::string>(std::move(item.payload));
  std::string digest = tls::sha256_hex(*payload);
  v1::Request request;
  v1::DeliverRequest* deliver = request.mutable_deliver();
  deliver->set_idempotency_id(item.info.id);
  deliver->set_kind(item.info.kind);
  deliver->set_size(payload->size());
  deliver->set_sha256(digest);
  deliver->set_created_at_ms(item.info.created_at);
  std::string id = item.info.id;
  std::string kind = item.info.kind;
  auto sent = link_.request(std::move(request), options_.answer_timeout,
                            [this, id, kind](Result<v1::Response> answer) {
                              on_answer(id, kind, std::move(answer));
                            });
  if (!sent) return;  // not up after all: on_up pumps again
  busy_ = true;
  std::string what = kind + " " + id;
  auto opened = link_.channels().open(
      link_.channels().epoch(), "upload", "sha256:" + digest, *sent, [&](ChannelStream stream) {
        return std::make_unique<StreamSender>(std::move(stream), payload, what,
                                              [what](Result<void> done) {
                                                if (!done) {
                                                  spdlog::warn("upload of {}: {}", what,
                                                               done.error().to_string());
                                                }
                                              });
      });
  // Without the stream the relay answers "timeout"; the item is retried.
  if (!opened) spdlog::warn("cannot open the upload for {}: {}", what, opened.error().to_string());
  spdlog::info("delivering {} ({} bytes, queued {})", what, payload->size(),
               item.info.attempts == 0 ? "first try"
                                       : "attempt " + std::to_string(item.info.attempts + 1));
}

void Deliverer::on_answer(const std::string& id, const std::string& kind,
                          Result<v1::Response> answer) {
  busy_ = false;
  Error error;
  if (!answer) {
    error = answer.error();
  } else if (answer->has_error()) {
    error = Error{answer->error().code(), answer->error().message()};
  } else if (!answer->has_deliver() || answer->deliver().idempotency_id() != id) {
    error = Error{"bad_answer", "the relay's answer does not confirm item " + id};
  } else {
    if (auto done = spool_.acknowledge(id); !done) {
      // It stays and goes again; the relay answers the copy the same way.
      spdlog::error("spool: {}", done.error().to_string());
    }
    spdlog::info("{} {} delivered", kind, id);
    next_retry_ = options_.first_retry;
    notify(DeliveryOutcome{id, kind, answer->deliver()});
    pump();
    return;
  }
  if (is_permanent_delivery_error(error.code)) {
    if (auto dropped = spool_.discard(id, error.to_string()); !dropped) {
      spdlog::error("spool: {}", dropped.error().to_string());
    }
    spdlog::error("the relay refused {} {} for good: {}", kind, id, error.to_string());
    notify(DeliveryOutcome{id, kind, fail(error)});
    pump();
    return;
  }
  if (auto marked = spool_.mark_failed(id, error.to_string()); !marked) {
    spdlog::error("spool: {}", marked.error().to_string());
  }
  if (error.code == "link_lost" || error.code == "stopped") {
    spdlog::info("{} {} stays spooled: {}", kind, id, error.message);
    return;  // on_up pumps
  }
  spdlog::warn("delivering {} {} failed: {}; retrying in {} ms", kind, id, error.to_string(),
               next_retry_.count());
  retry_later();
}

void Deliverer::retry_later() {
  if (!timer_open_ || closed_) return;
  retry_pending_ = true;
  uv_timer_start(&retry_timer_, on_retry_timer, to_uv_ms(next_retry_), 0);
  next_retry_ = std::min(next_retry_ * 2, options_.max_retry);
}

void Deliverer::on_retry_timer(uv_timer_t* timer) {
  auto* self = static_cast<Deliverer*>(timer->data);
  self->retry_pending_ = false;
  self->pump();
}

void Deliverer::notify(const DeliveryOutcome& outcome) {
  auto it = watchers_.find(outcome.item_id);
  if (it == watchers_.end()) return;
  auto watchers = std::move(it->second);
  watchers_.erase(it);
  for (auto& watcher : watchers) watcher(outcome);
}

}  // namespace helpline::agent
