// The technician CLI's commands. Each returns the process exit code: 0 on
// success, 1 with a one-line reason on stderr on failure.
#pragma once

#include <optional>
#include <string>

#include "common/core/result.h"
#include "server/cli/api_client.h"
#include "server/cli/cli_config.h"

namespace helpline::cli {

struct Output {
  bool json = false;
};

// Prints "helpline: <message>" to stderr and returns 1.
int report_failure(const Error& error);
int report_failure(const std::string& message);

// A logged-in client from the config file.
[[nodiscard]] Result<ApiClient> logged_in_client();

// Sends a call and turns an HTTP error status into an Error carrying the
// relay's JSON error message.
[[nodiscard]] Result<std::string> call_api(ApiClient& client, std::string_view method,
                                           std::string_view path, std::string_view body = {});

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

}  // namespace helpline::cli
