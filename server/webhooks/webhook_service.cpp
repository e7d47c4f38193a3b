// The webhook sender: queued deliveries go out one at a time per webhook,
// oldest first, with backoff between attempts (webhooks.h).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <utility>

#include "common/tls/crypto.h"
#include "server/webhooks/http_post.h"
#include "server/webhooks/webhooks.h"

namespace helpline::relay::webhooks {

namespace asio = boost::asio;

namespace {

constexpr UnixMillis kPurgeEvery = 3'600'000;
// Even with nothing due the sender looks again this often (a webhook added
// through the API, a clock that jumped).
constexpr UnixMillis kIdleLook = 60'000;

[[nodiscard]] std::string new_event_id() { return "evt_" + tls::random_token(12); }

}  // namespace

WebhookRecord to_record(const Target& target, std::string source, std::string created_by,
                        UnixMillis created_at) {
  WebhookRecord r;
  r.id = target.id;
  r.url = target.url;
  r.secret = target.secret;
  r.events = target.events;
  r.ca_file = target.ca_file;
  r.enabled = target.enabled;
  r.source = std::move(source);
  r.created_at = created_at;
  r.created_by = std::move(created_by);
  return r;
}

WebhookService::WebhookService(asio::io_context& io, Store& store, Settings settings, Render render,
                               Clock clock)
    : io_(io),
      store_(store),
      settings_(settings),
      render_(std::move(render)),
      clock_(std::move(clock)),
      timer_(io) {}

WebhookService::~WebhookService() { stop(); }

Result<void> WebhookService::record(const helpdesk::TicketEvent& event) {
  const std::string name = "ticket." + event.kind;
  const std::string id = new_event_id();
  auto queued = store_.webhook_store().enqueue(
      id, name, event.ticket.id, [&] { return render_(event, id); }, clock_());
  if (!queued) return fail(queued.error());
  return {};
}

Result<std::string> WebhookService::ping(std::string_view webhook_id, const std::string& by) {
  auto found = store_.webhook_store().find_webhook(webhook_id);
  if (!found) return fail(found.error());
  if (!*found) return fail("not_found", "no webhook '" + std::string(webhook_id) + "'");
  helpdesk::TicketEvent event;
  event.kind = std::string(kPingEvent);
  event.actor = by;
  event.at = clock_();
  event.detail = "a test delivery asked for by " + by;
  const std::string id = new_event_id();
  auto queued = store_.webhook_store().enqueue(
      id, kPingEvent, 0, [&] { return render_(event, id); }, clock_(), webhook_id);
  if (!queued) return fail(queued.error());
  wake();
  return id;
}

void WebhookService::start() {
  running_ = true;
  wake();
}

void WebhookService::stop() {
  running_ = false;
  *alive_ = false;
  alive_ = std::make_shared<bool>(true);
  timer_.cancel();
  timer_at_ = 0;
  pump_posted_ = false;
}

void WebhookService::wake() {
  if (!running_ || pump_posted_) return;
  pump_posted_ = true;
  asio::post(io_, [this, alive = alive_] {
    if (!*alive) return;
    pump_posted_ = false;
    pump();
  });
}

void WebhookService::arm_timer(UnixMillis at) {
  if (timer_at_ != 0 && timer_at_ <= at) return;
  timer_at_ = at;
  timer_.expires_after(std::chrono::milliseconds(std::max<UnixMillis>(0, at - clock_())));
  timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (ec || !*alive) return;
    timer_at_ = 0;
    pump();
  });
}

void WebhookService::purge_if_due(UnixMillis now) {
  if (now - last_purge_ < kPurgeEvery) return;
  last_purge_ = now;
  auto purged = store_.webhook_store().purge_deliveries(now - settings_.keep.count());
  if (!purged) {
    spdlog::error("webhooks: cannot purge old deliveries: {}", purged.error().to_string());
  } else if (*purged > 0) {
    spdlog::info("webhooks: purged {} finished deliveries", *purged);
  }
}

void WebhookService::pump() {
  if (!running_) return;
  const UnixMillis now = clock_();
  purge_if_due(now);
  UnixMillis next_look = now + kIdleLook;
  auto webhooks = store_.webhook_store().list_webhooks();
  if (!webhooks) {
    spdlog::error("webhooks: {}", webhooks.error().to_string());
    arm_timer(next_look);
    return;
  }
  for (WebhookRecord& webhook : *webhooks) {
    if (!webhook.enabled || in_flight_.contains(webhook.id)) continue;
    auto next = store_.webhook_store().next_pending(webhook.id);
    if (!next) {
      spdlog::error("webhooks: {}: {}", webhook.id, next.error().to_string());
      continue;
    }
    if (!*next) continue;
    if ((*next)->next_attempt_at > now) {
      next_look = std::min(next_look, (*next)->next_attempt_at);
      continue;
    }
    in_flight_.insert(webhook.id);
    asio::co_spawn(io_, deliver(std::move(webhook), std::move(**next), alive_), asio::detached);
  }
  arm_timer(next_look);
}

asio::awaitable<void> WebhookService::deliver(WebhookRecord webhook, WebhookDelivery delivery,
                                              std::shared_ptr<bool> alive) {
  PostResult answer;
  auto url = parse_url(webhook.url);
  if (!url) {
    answer.error = url.error().message;
  } else {
    const std::string timestamp = std::to_string(clock_() / 1000);
    Headers headers{
        {"X-Helpline-Event", delivery.event},
        {"X-Helpline-Delivery", delivery.event_id},
        {"X-Helpline-Timestamp", timestamp},
        {"X-Helpline-Signature", signature(webhook.secret, timestamp, delivery.payload)}};
    answer = co_await http_post(*url, std::move(headers), delivery.payload, settings_.timeout,
                                webhook.ca_file);
  }
  // The relay may be stopping; then the next run sends it again.
  if (!*alive) co_return;
  in_flight_.erase(webhook.id);

  const UnixMillis now = clock_();
  AttemptOutcome outcome;
  outcome.at = now;
  outcome.status = answer.status;
  const int attempts = delivery.attempts + 1;
  if (answer.status >= 200 && answer.status < 300) {
    outcome.state = DeliveryState::kDelivered;
  } else {
    outcome.error = !answer.error.empty()
                        ? answer.error
                        : "HTTP " + std::to_string(answer.status) +
                              (answer.body.empty() ? "" : ": " + answer.body.substr(0, 200));
    if (attempts >= settings_.max_attempts) {
      outcome.state = DeliveryState::kFailed;
      spdlog::error("webhook {}: {} {} for ticket {} failed for good after {} attempts: {}",
                    webhook.id, delivery.event, delivery.event_id, delivery.ticket_id, attempts,
                    outcome.error);
    } else {
      outcome.next_attempt_at = now + retry_delay(settings_, attempts).count();
      spdlog::warn("webhook {}: {} {} attempt {} failed ({}); next in {} s", webhook.id,
                   delivery.event, delivery.event_id, attempts, outcome.error,
                   (outcome.next_attempt_at - now) / 1000);
    }
  }
  if (auto recorded = store_.webhook_store().record_attempt(delivery.id, outcome); !recorded) {
    // Removed meanwhile: nothing left to record.
    if (recorded.error().code != "not_found") {
      spdlog::error("webhook {}: cannot record delivery {}: {}", webhook.id, delivery.id,
                    recorded.error().to_string());
    }
  }
  pump();
}

}  // namespace helpline::relay::webhooks
