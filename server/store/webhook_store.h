// Webhooks (schema v5): the targets ticket events are POSTed to and a
// durable queue of deliveries, one row per (event, webhook), in the order
// the events happened. server/webhooks sends them; the store only keeps
// them, so a restarted relay carries on where it stopped.
//
// enqueue() is meant to run inside the ticket write that caused the event
// (TicketWrite::in_transaction): the change and its deliveries are stored
// together or not at all.
//
// Thread: like Store, one thread at a time (the relay's io_context thread).
// Errors: "store_error" for database faults, plus those named per call.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/result.h"
#include "common/core/time_format.h"

namespace helpline::relay {

struct WebhookRecord {
  std::string id;                   // a name: 1-64 of a-z 0-9 _ -
  std::string url;                  // http:// or https://
  std::string secret;               // the HMAC key; never shown back by the API
  std::vector<std::string> events;  // event kinds it wants; empty: all
  std::string ca_file;         // https: verify against this PEM file instead of the system store
  std::string source = "api";  // "api" or "config" (relay.toml; read-only through the API)
  bool enabled = true;
  UnixMillis created_at = 0;
  std::string created_by;

  friend bool operator==(const WebhookRecord&, const WebhookRecord&) = default;
};

enum class DeliveryState { kPending, kDelivered, kFailed };
// "pending", "delivered", "failed".
[[nodiscard]] const char* to_string(DeliveryState state);

struct WebhookDelivery {
  std::int64_t id = 0;  // increasing: the order events happened in
  std::string webhook_id;
  std::string event_id;  // the same for every webhook the event goes to
  std::string event;     // "ticket.created", ...
  std::int64_t ticket_id = 0;
  std::string payload;  // the JSON body
  DeliveryState state = DeliveryState::kPending;
  int attempts = 0;
  UnixMillis next_attempt_at = 0;
  UnixMillis created_at = 0;
  UnixMillis last_attempt_at = 0;
  int last_status = 0;  // HTTP status of the last attempt; 0: none (connection failed)
  std::string last_error;
};

// What one attempt came to.
struct AttemptOutcome {
  DeliveryState state = DeliveryState::kPending;  // pending: try again at next_attempt_at
  UnixMillis at = 0;
  UnixMillis next_attempt_at = 0;
  int status = 0;
  std::string error;
};

class WebhookStore {
 public:
  virtual ~WebhookStore() = default;

  // Errors: "conflict" when the id is taken.
  [[nodiscard]] virtual Result<WebhookRecord> add_webhook(const WebhookRecord& record) = 0;
  // Makes the source "config" webhooks exactly `records`: adds new ones,
  // updates changed ones (their queue stays), removes the others (and
  // their queue). Errors: "conflict" when an id belongs to an API webhook.
  [[nodiscard]] virtual Result<void> sync_config_webhooks(
      const std::vector<WebhookRecord>& records) = 0;
  // Removes a webhook and its queue. Errors: "not_found".
  [[nodiscard]] virtual Result<void> remove_webhook(std::string_view id) = 0;
  [[nodiscard]] virtual Result<std::optional<WebhookRecord>> find_webhook(std::string_view id) = 0;
  [[nodiscard]] virtual Result<std::vector<WebhookRecord>> list_webhooks() = 0;

  // Queues the event for every enabled webhook that wants `event` (or for
  // `only` when not empty, whatever it wants), with the body `payload()`
  // returns, called once and only when some webhook wants the event.
  // Returns how many deliveries were queued.
  [[nodiscard]] virtual Result<std::size_t> enqueue(std::string_view event_id,
                                                    std::string_view event, std::int64_t ticket_id,
                                                    const std::function<std::string()>& payload,
                                                    UnixMillis now, std::string_view only = {}) = 0;
  // The oldest pending delivery of a webhook (whether or not it is due).
  [[nodiscard]] virtual Result<std::optional<WebhookDelivery>> next_pending(
      std::string_view webhook_id) = 0;
  // Records an attempt of delivery `id`. Errors: "not_found".
  [[nodiscard]] virtual Result<void> record_attempt(std::int64_t id,
                                                    const AttemptOutcome& outcome) = 0;
  // How many deliveries of a webhook wait.
  [[nodiscard]] virtual Result<std::size_t> pending_deliveries(std::string_view webhook_id) = 0;
  // The latest deliveries of a webhook, newest first.
  [[nodiscard]] virtual Result<std::vector<WebhookDelivery>> recent_deliveries(
      std::string_view webhook_id, std::size_t limit) = 0;
  // Deletes delivered and failed deliveries last attempted before `before`.
  [[nodiscard]] virtual Result<std::size_t> purge_deliveries(UnixMillis before) = 0;
};

}  // namespace helpline::relay
