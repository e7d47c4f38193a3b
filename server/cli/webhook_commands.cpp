// `helpline webhook list|add|remove|deliveries|test` (admin): where ticket
// events are POSTed, through /api/v1/webhooks.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "helpline/v1/api.pb.h"
#include "server/api/json_codec.h"
#include "server/cli/api_fetch.h"
#include "server/cli/table.h"

namespace helpline::cli {

using relay::api::to_json;

namespace {

struct WebhookArgs {
  std::string id, url, secret, ca_file;
  std::vector<std::string> events;
  unsigned limit = 0;
};

[[nodiscard]] std::string webhook_path(const std::string& id, std::string_view rest = {}) {
  return "/api/v1/webhooks/" + url_encode(id) + std::string(rest);
}

int list_webhooks(const Output& out) {
  v1::api::WebhookList list;
  if (int rc = fetch("GET", "/api/v1/webhooks", list); rc != 0) return rc;
  if (out.json) {
    print_json_array(list.webhooks());
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& w : list.webhooks()) {
    std::string events;
    for (const auto& e : w.events()) events += (events.empty() ? "" : ",") + e;
    rows.push_back({w.id(), w.url(), events.empty() ? "all" : events, w.source(),
                    std::to_string(w.pending())});
  }
  print_table(std::cout, {"WEBHOOK", "URL", "EVENTS", "SOURCE", "PENDING"}, rows);
  return 0;
}

int add_webhook(const WebhookArgs& a, const Output& out) {
  v1::api::CreateWebhookRequest request;
  request.set_id(a.id);
  request.set_url(a.url);
  request.set_secret(a.secret);
  request.set_ca_file(a.ca_file);
  for (const auto& e : a.events) request.add_events(e);
  v1::api::Webhook created;
  if (int rc = fetch("POST", "/api/v1/webhooks", created, to_json(request)); rc != 0) return rc;
  if (out.json) {
    std::cout << to_json(created) << "\n";
  } else {
    std::cout << "Webhook " << created.id() << " added.";
    if (!created.secret().empty()) {
      std::cout << " Secret (shown once; the receiver checks X-Helpline-Signature with it): "
                << created.secret();
    }
    std::cout << "\n";
  }
  return 0;
}

int remove_webhook(const WebhookArgs& a) {
  auto client = logged_in_client();
  if (!client) return report_failure(client.error());
  auto reply = call_api(*client, "DELETE", webhook_path(a.id));
  if (!reply) return report_failure(reply.error());
  std::cout << "Webhook " << a.id << " removed with its queue.\n";
  return 0;
}

int list_deliveries(const WebhookArgs& a, const Output& out) {
  v1::api::WebhookDeliveryList list;
  std::string path = webhook_path(a.id, "/deliveries");
  if (a.limit != 0) path += "?limit=" + std::to_string(a.limit);
  if (int rc = fetch("GET", path, list); rc != 0) return rc;
  if (out.json) {
    print_json_array(list.deliveries());
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& d : list.deliveries()) {
    rows.push_back(
        {std::to_string(d.id()), d.event(), ticket_or_dash(d.ticket_id()), d.state(),
         std::to_string(d.attempts()), d.last_status() == 0 ? "-" : std::to_string(d.last_status()),
         d.state() == "pending" ? d.next_attempt_at() : d.last_attempt_at(), d.last_error()});
  }
  print_table(std::cout, {"ID", "EVENT", "TICKET", "STATE", "TRIES", "HTTP", "WHEN", "ERROR"},
              rows);
  return 0;
}

int test_webhook(const WebhookArgs& a, const Output& out) {
  v1::api::WebhookDelivery queued;
  if (int rc = fetch("POST", webhook_path(a.id, "/test"), queued); rc != 0) return rc;
  if (out.json) {
    std::cout << to_json(queued) << "\n";
  } else {
    std::cout << "Test event " << queued.event_id() << " queued; see helpline webhook deliveries "
              << a.id << ".\n";
  }
  return 0;
}

}  // namespace

std::function<std::optional<int>()> add_webhook_commands(CLI::App& app, Output& out) {
  auto a = std::make_shared<WebhookArgs>();
  auto* webhook = app.add_subcommand("webhook", "Where ticket events are sent (admin)");
  webhook->require_subcommand(1);
  auto* list = webhook->add_subcommand("list", "List webhooks");
  list->add_flag("--json", out.json, "Print JSON");
  auto* add = webhook->add_subcommand("add", "Send ticket events to a URL");
  add->add_option("ID", a->id, "A name: a-z 0-9 _ -")->required();
  add->add_option("URL", a->url, "http:// or https:// URL")->required();
  add->add_option("--secret", a->secret, "HMAC key (default: generated and shown once)");
  add->add_option("--event", a->events,
                  "ticket.created, ticket.status_changed, ticket.sla_breach, ticket.escalated, "
                  "ticket.notify (repeat; default all)");
  add->add_option("--ca-file", a->ca_file, "Verify https against this PEM file on the relay");
  add->add_flag("--json", out.json, "Print JSON");
  auto* remove = webhook->add_subcommand("remove", "Remove a webhook and its queue");
  remove->add_option("ID", a->id, "Webhook")->required();
  auto* deliveries = webhook->add_subcommand("deliveries", "Recent deliveries, newest first");
  deliveries->add_option("ID", a->id, "Webhook")->required();
  deliveries->add_option("--limit", a->limit, "How many (default 50, at most 200)")
      ->check(CLI::Range(1u, 200u));
  deliveries->add_flag("--json", out.json, "Print JSON");
  auto* test = webhook->add_subcommand("test", "Queue a ping event to one webhook");
  test->add_option("ID", a->id, "Webhook")->required();
  test->add_flag("--json", out.json, "Print JSON");
  return [=, &out]() -> std::optional<int> {
    if (*list) return list_webhooks(out);
    if (*add) return add_webhook(*a, out);
    if (*remove) return remove_webhook(*a);
    if (*deliveries) return list_deliveries(*a, out);
    if (*test) return test_webhook(*a, out);
    return std::nullopt;
  };
}

}  // namespace helpline::cli
