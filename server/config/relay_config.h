// relay.toml in the relay's data dir: listeners, timing and limits, the
// helpdesk rules (helpdesk_config.h) and webhooks (webhooks_config.h). Written
// by `helpline-relay init`, read by `serve`; every field is validated and an
// error names the file and the field.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/core/host_port.h"
#include "common/core/result.h"
#include "server/config/helpdesk_config.h"
#include "server/config/webhooks_config.h"

namespace helpline::relay {

struct RelayConfig {
  HostPort agent_listen{"0.0.0.0", 8443};
  HostPort api_listen{"127.0.0.1", 8444};
  std::chrono::seconds heartbeat{30};          // what agents are asked to use
  std::uint32_t max_frame_size = 1u << 20;
  std::chrono::seconds token_ttl{12 * 3600};   // technician bearer tokens
  std::uint32_t max_body = 1u << 20;           // API request bodies
  std::vector<std::string> names;              // names in the server certificate
  std::string log_level = "info";
  HelpdeskConfig helpdesk;                     // [helpdesk]; not written by to_toml()
  WebhooksConfig webhooks;                     // [webhooks]; not written by to_toml()

  [[nodiscard]] std::string to_toml() const;
};

// Errors: "read_failed"; "bad_config" naming file and field.
[[nodiscard]] Result<RelayConfig> load_relay_config(const std::filesystem::path& path);
// Parses TOML text (for tests); `origin` names the source in errors.
[[nodiscard]] Result<RelayConfig> parse_relay_config(std::string_view text,
                                                     std::string_view origin);

}  // namespace helpline::relay
