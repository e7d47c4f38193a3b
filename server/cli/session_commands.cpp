#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "common/tls/tls.h"
#include "helpline/v1/api.pb.h"
#include "server/api/json_codec.h"
#include "server/cli/commands.h"

namespace helpline::cli {

namespace {

// HELPLINE_PASSWORD, else one line from stdin (echo off on a terminal).
[[nodiscard]] Result<std::string> read_password() {
  if (const char* env = std::getenv("HELPLINE_PASSWORD"); env != nullptr && *env != '\0') {
    return std::string(env);
  }
  bool tty = ::isatty(STDIN_FILENO) != 0;
  termios saved{};
  if (tty) {
    std::cerr << "Password: " << std::flush;
    ::tcgetattr(STDIN_FILENO, &saved);
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string password;
  std::getline(std::cin, password);
  if (tty) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    std::cerr << "\n";
  }
  if (!password.empty() && password.back() == '\r') password.pop_back();
  if (password.empty()) {
    return fail("no_password", "no password given (set HELPLINE_PASSWORD or pipe it on stdin)");
  }
  return password;
}

}  // namespace

int report_failure(const Error& error) { return report_failure(error.message); }

int report_failure(const std::string& message) {
  std::cerr << "helpline: " << message << "\n";
  return 1;
}

Result<ApiClient> logged_in_client() {
  auto config = load_config(config_path());
  if (!config) return fail(config.error());
  if (config->token.empty()) {
    return fail("not_logged_in", "not logged in; run: helpline login --url " + config->url +
                                     " --ca-pin " + config->ca_pin + " --user NAME");
  }
  auto url = parse_url(config->url);
  if (!url) return fail(url.error());
  return ApiClient(*url, config->ca_pin, config->token);
}

Result<std::string> call_api(ApiClient& client, std::string_view method, std::string_view path,
                             std::string_view body, std::chrono::seconds timeout,
                             std::string_view content_type) {
  auto reply = client.call(method, path, body, timeout, content_type);
  if (!reply) return fail(reply.error());
  if (reply->status >= 200 && reply->status < 300) return std::move(reply->body);
  v1::api::ErrorBody error;
  std::string message;
  if (relay::api::parse_json(reply->body, error) && !error.message().empty()) {
    message = error.message();
    if (error.code() == "unauthorized") message += " (log in again with helpline login)";
  } else {
    message = "the relay answered HTTP " + std::to_string(reply->status);
  }
  return fail(error.code().empty() ? "http_" + std::to_string(reply->status) : error.code(),
              message);
}

int cmd_login(const std::string& url_text, const std::string& ca_pin, const std::string& user,
              const Output& out) {
  auto url = parse_url(url_text);
  if (!url) return report_failure(url.error());
  auto pin = tls::normalize_pin(ca_pin);
  if (!pin) return report_failure(pin.error());
  auto password = read_password();
  if (!password) return report_failure(password.error());

  v1::api::LoginRequest request;
  request.set_user(user);
  request.set_password(*password);
  ApiClient client(*url, *pin);
  auto body = call_api(client, "POST", "/api/v1/login", relay::api::to_json(request));
  if (!body) return report_failure(body.error());
  v1::api::LoginResponse response;
  if (auto parsed = relay::api::parse_json(*body, response); !parsed) {
    return report_failure("the relay's login answer did not parse: " + parsed.error().message);
  }
  CliConfig config{url_text, *pin, response.user(), response.token(), response.expires_at()};
  if (auto saved = save_config(config_path(), config); !saved) return report_failure(saved.error());
  if (out.json) {
    response.clear_token();  // the token stays in the 0600 config file
    std::cout << relay::api::to_json(response) << "\n";
  } else {
    std::cout << "Logged in to " << url_text << " as " << response.user() << " ("
              << response.role() << "), token valid until " << response.expires_at() << "\n";
  }
  return 0;
}

int cmd_logout() {
  auto config = load_config(config_path());
  if (!config) return report_failure(config.error());
  if (auto client = logged_in_client()) (void)call_api(*client, "POST", "/api/v1/logout");
  config->token.clear();
  config->expires_at.clear();
  if (auto saved = save_config(config_path(), *config); !saved) return report_failure(saved.error());
  std::cout << "Logged out.\n";
  return 0;
}

int cmd_status(const Output& out) {
  auto client = logged_in_client();
  if (!client) return report_failure(client.error());
  auto body = call_api(*client, "GET", "/api/v1/health");
  if (!body) return report_failure(body.error());
  v1::api::Health health;
  if (auto parsed = relay::api::parse_json(*body, health); !parsed) {
    return report_failure(parsed.error());
  }
  if (out.json) {
    std::cout << relay::api::to_json(health) << "\n";
  } else {
    std::cout << "relay " << health.version() << ": " << health.status() << ", "
              << health.agents_online() << " agents online\n";
  }
  return 0;
}

}  // namespace helpline::cli
