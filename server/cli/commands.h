// The technician CLI's commands. Each returns the process exit code: 0 on
// success, 1 with a one-line reason on stderr on failure.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "common/core/result.h"
#include "server/cli/api_client.h"
#include "server/cli/cli_config.h"

namespace CLI {
class App;
}

namespace helpline::cli {

struct Output {
  bool json = false;
};

// Prints "helpline: <message>" to stderr and returns 1.
int report_failure(const Error& error);
int report_failure(const std::string& message);

// A ticket id from "HL-12" or "12" (--ticket). Errors: "bad_value".
[[nodiscard]] Result<std::int64_t> parse_ticket(std::string_view text);

// A logged-in client from the config file.
[[nodiscard]] Result<ApiClient> logged_in_client();

// How long one API call may take unless a command says otherwise.
inline constexpr std::chrono::seconds kCallTimeout{60};

// Sends a call and turns an HTTP error status into an Error carrying the
// relay's JSON error message.
[[nodiscard]] Result<std::string> call_api(ApiClient& client, std::string_view method,
                                           std::string_view path, std::string_view body = {},
                                           std::chrono::seconds timeout = kCallTimeout,
                                           std::string_view content_type = "application/json");

int cmd_login(const std::string& url, const std::string& ca_pin, const std::string& user,
              const Output& out);
int cmd_logout();
int cmd_status(const Output& out);

int cmd_token_create(const std::string& group, unsigned uses, const std::string& expires,
                     const Output& out);
int cmd_token_list(const Output& out);
int cmd_token_revoke(const std::string& id);

int cmd_devices(const Output& out);
int cmd_device_show(const std::string& id, const Output& out);
int cmd_device_revoke(const std::string& id, const Output& out);
int cmd_device_ping(const std::string& id, const Output& out);

int cmd_user_add(const std::string& name, const std::string& role, const Output& out);
int cmd_user_list(const Output& out);

// `helpline admin installer` (installer_commands.cpp): creates a multi-use
// enrollment token for the group on the relay (admin), then writes an
// installer carrying the relay address, the CA pin from the CLI config and
// that token: a self-contained POSIX shell script embedding the agent
// tarball (format "sh"), or a helpline-agent-<group> package built with
// dpkg-deb (format "deb") or rpmbuild (format "rpm"). The file is written
// 0600. If the installer cannot be written, the token is revoked again.
struct InstallerArgs {
  std::string group;
  std::string format;         // "deb", "rpm" or "sh"
  std::string relay;          // HOST:PORT the agents dial (the relay's agent listener)
  std::string expires = "7d";
  unsigned uses = 1000;
  std::string out;
  std::string agent_package;  // the agent .tar.gz; required for "sh", refused otherwise
  std::string org_key;        // org.pub to carry; empty: the relay's (GET /api/v1/catalog/org-key)
  bool no_org_key = false;    // carry none: agents trust the key the relay offers first
};
int cmd_admin_installer(const InstallerArgs& args, const Output& out);

// `helpline admin keygen|sign-catalog` (catalog_commands.cpp): adds both to
// `admin`; the returned function runs the one chosen and returns its exit
// code, or std::nullopt when neither was chosen. `out` must outlive it.
std::function<std::optional<int>()> add_catalog_commands(CLI::App& admin, Output& out);

// `helpline action run|list` (action_commands.cpp): adds them to `app`; the
// returned function runs the one chosen, or returns std::nullopt.
std::function<std::optional<int>()> add_action_commands(CLI::App& app, Output& out);

// `helpline session ...`, `helpline audit ...` and `helpline admin
// session-policy` (remote_session_commands.cpp): remote sessions and the
// audit log. Returns the function that runs the one chosen, or nullopt.
std::function<std::optional<int>()> add_session_commands(CLI::App& app, CLI::App& admin,
                                                         Output& out);
// `helpline kb ...` (kb_commands.cpp): the knowledge base; `helpline
// webhook ...` (webhook_commands.cpp): where ticket events go (admin). Like
// add_action_commands.
std::function<std::optional<int>()> add_kb_commands(CLI::App& app, Output& out);
std::function<std::optional<int>()> add_webhook_commands(CLI::App& app, Output& out);

// `helpline diag ...` (diag_commands.cpp): remote diagnostics.
struct DiagCollectArgs {
  std::string device;
  std::string sections;      // "system,logs"; empty: all
  std::string since;         // "2h"; empty: the last log entries
  std::string ticket;        // attach to this ticket (HL-12 or 12); empty: none
  std::uint64_t max_bytes = 0;
};
int cmd_diag_collect(const DiagCollectArgs& args, const Output& out);
int cmd_diag_list(const std::string& device, const std::string& ticket, const Output& out);
int cmd_diag_show(const std::string& id, const Output& out);
// Writes the bundle byte for byte (0600) after checking its SHA-256 is `id`.
int cmd_diag_get(const std::string& id, const std::string& out_file);

// `helpline tickets` and `helpline ticket ...`: see ticket_commands.h.

}  // namespace helpline::cli
