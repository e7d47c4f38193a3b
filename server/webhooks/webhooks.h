// server/webhooks: ticket events POSTed as signed JSON to the URLs an
// organisation configured, so an existing ITSM (GLPI, Zammad, Jira) can
// follow along (docs/helpdesk.md, "Webhooks"; docs/api.md for the routes).
//
// Every event a ticket change causes (server/helpdesk's TicketEvent) is
// queued in the store in the same transaction as the change
// (WebhookService is the helpdesk's EventOutbox), one delivery per webhook
// that wants it. The service sends each webhook's deliveries one at a
// time in the order the events happened: a delivery that fails is retried
// with exponential backoff (retry_base, doubling, at most retry_max apart)
// and later events of that webhook wait for it, until it succeeds or
// max_attempts is reached (then it is marked failed and the next one goes).
// The queue is a table, so a restarted relay carries on; a delivery whose
// answer was lost is sent again (receivers deduplicate by event id).
//
// Each request:
//   POST <url>   Content-Type: application/json
//   X-Helpline-Event: ticket.status_changed
//   X-Helpline-Delivery: <event id>      (the same for every webhook and retry)
//   X-Helpline-Timestamp: <unix seconds of this attempt>
//   X-Helpline-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>
// Any 2xx answer is success; anything else (other statuses, connection or
// TLS failure, no answer within `timeout`) is retried. Redirects are not
// followed. https targets are verified (chain and host name) against the
// system's CA store or the webhook's ca_file; TLS 1.2 or newer.
//
// Thread: the relay's io_context thread. Network I/O is asynchronous, so a
// slow receiver never holds the thread; the store calls are the same short
// SQLite statements every relay request makes.
// Errors: "bad_value" naming the field for malformed targets; the store's.
#pragma once

#include <array>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/result.h"
#include "common/core/time_format.h"
#include "server/helpdesk/helpdesk_service.h"
#include "server/store/store.h"
#include "server/webhooks/webhook_target.h"

namespace helpline::relay::webhooks {

// The JSON body of one event (server/api renders the ticket as the API
// does). `event_id` is the delivery id receivers deduplicate by.
using Render =
    std::function<std::string(const helpdesk::TicketEvent& event, std::string_view event_id)>;
using Clock = std::function<UnixMillis()>;

// A checked target as the store keeps it (enabled; source "api" or "config").
[[nodiscard]] WebhookRecord to_record(const Target& target, std::string source,
                                      std::string created_by, UnixMillis created_at);

class WebhookService final : public helpdesk::EventOutbox {
 public:
  // References outlive the service.
  WebhookService(boost::asio::io_context& io, Store& store, Settings settings, Render render,
                 Clock clock = unix_now_ms);
  ~WebhookService() override;
  WebhookService(const WebhookService&) = delete;
  WebhookService& operator=(const WebhookService&) = delete;

  [[nodiscard]] const Settings& settings() const { return settings_; }

  // EventOutbox: queues "ticket.<kind>" for every enabled webhook that
  // wants it. Runs inside the ticket's transaction; sends nothing itself.
  [[nodiscard]] Result<void> record(const helpdesk::TicketEvent& event) override;
  // Queues a "ping" for one webhook (whatever its events) and wakes the
  // sender. Returns the event id. Errors: "not_found".
  [[nodiscard]] Result<std::string> ping(std::string_view webhook_id, const std::string& by);

  // Starts sending what is queued (also what a previous run left) and
  // keeps at it until stop(). Purges finished deliveries older than
  // settings.keep once an hour.
  void start();
  void stop();
  // Something was queued: look for due deliveries now (coalesced).
  void wake();

  // Deliveries in flight right now (tests, status).
  [[nodiscard]] std::size_t in_flight() const { return in_flight_.size(); }

 private:
  void pump();
  boost::asio::awaitable<void> deliver(WebhookRecord webhook, WebhookDelivery delivery,
                                       std::shared_ptr<bool> alive);
  void arm_timer(UnixMillis at);
  void purge_if_due(UnixMillis now);

  boost::asio::io_context& io_;
  Store& store_;
  Settings settings_;
  Render render_;
  Clock clock_;
  boost::asio::steady_timer timer_;
  UnixMillis timer_at_ = 0;  // 0: not armed
  UnixMillis last_purge_ = 0;
  bool running_ = false;
  bool pump_posted_ = false;
  std::set<std::string> in_flight_;  // webhook ids with a request on the wire
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace helpline::relay::webhooks
