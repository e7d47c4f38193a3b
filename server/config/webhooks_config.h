// The [webhooks] part of relay.toml: how deliveries are retried and the
// webhooks the relay keeps in step with the file (server/webhooks). Targets
// added here appear in the API read-only; removing one here removes it
// (and its queue) at the next start. The file is 0600: secrets may sit in
// it, or in a file of their own (secret_file, read at start).
//
//   [webhooks]
//   max_attempts = 10        # 1..100; then the delivery is marked failed
//   retry_base = "10s"       # first retry; doubles each time
//   retry_max = "1h"         # the backoff cap
//   timeout = "10s"          # per attempt: connect, TLS, send, answer
//   keep = "7d"              # finished deliveries kept for inspection
//
//   [[webhooks.target]]
//   id = "glpi"
//   url = "https://glpi.example.org/helpline-hook"
//   secret_file = "/etc/helpline/glpi.secret"   # or secret = "..."
//   events = ["ticket.created", "ticket.status_changed"]   # optional; all when left out
//   ca_file = "/etc/helpline/glpi-ca.pem"       # optional; the system CA store otherwise
//   enabled = false                             # optional: queue nothing for it, send nothing
#pragma once

#include <string_view>
#include <vector>

#include "common/core/result.h"
#include "server/webhooks/webhook_target.h"

namespace helpline::relay {

struct WebhooksConfig {
  webhooks::Settings settings;
  std::vector<webhooks::Target> targets;
};

// Errors: "bad_config" naming `origin` and the field
// ("relay.toml: webhooks.target[0].url: ...").
[[nodiscard]] Result<WebhooksConfig> parse_webhooks_config(std::string_view toml_text,
                                                           std::string_view origin);

}  // namespace helpline::relay
