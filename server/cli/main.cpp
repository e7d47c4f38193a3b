// helpline: the technician CLI, a client of the relay's HTTPS JSON API.
#include <CLI/CLI.hpp>

#include <iostream>

#include "server/cli/commands.h"

int main(int argc, char** argv) {
  using namespace helpline::cli;
  CLI::App app{"Helpline technician CLI"};
  app.set_version_flag("--version", std::string("helpline ") + HELPLINE_VERSION);
  app.require_subcommand(1);
  Output out;

  std::string url, ca_pin, user;
  auto* login = app.add_subcommand("login", "Log in to a relay and store the token (0600)");
  login->add_option("--url", url, "Relay API, https://HOST:PORT")->required();
  login->add_option("--ca-pin", ca_pin, "Relay CA fingerprint, SHA256:<hex>")->required();
  login->add_option("--user", user, "User name")->required();
  login->add_flag("--json", out.json, "Print JSON");
  auto* logout = app.add_subcommand("logout", "Forget the stored token");
  auto* status = app.add_subcommand("status", "Show the relay's health");
  status->add_flag("--json", out.json, "Print JSON");

  auto* token = app.add_subcommand("enroll-token", "Enrollment tokens for new agents (admin)");
  token->require_subcommand(1);
  std::string group = "default", expires = "24h", token_id;
  unsigned uses = 1;
  auto* token_create = token->add_subcommand("create", "Create a token");
  token_create->add_option("--group", group, "Group the enrolled devices join");
  token_create->add_option("--uses", uses, "How many devices may enroll with it")
      ->check(CLI::Range(1u, 100000u));
  token_create->add_option("--expires", expires, "Lifetime, e.g. 30m, 24h, 7d");
  token_create->add_flag("--json", out.json, "Print JSON");
  auto* token_list = token->add_subcommand("list", "List tokens");
  token_list->add_flag("--json", out.json, "Print JSON");
  auto* token_revoke = token->add_subcommand("revoke", "Revoke a token");
  token_revoke->add_option("ID", token_id, "Token id (et_...)")->required();

  auto* devices = app.add_subcommand("devices", "List devices, or act on one");
  devices->add_flag("--json", out.json, "Print JSON");
  std::string device_id;
  auto* device_show = devices->add_subcommand("show", "Show one device");
  device_show->add_option("ID", device_id, "Device id")->required();
  device_show->add_flag("--json", out.json, "Print JSON");
  auto* device_revoke = devices->add_subcommand("revoke", "Revoke a device (admin)");
  device_revoke->add_option("ID", device_id, "Device id")->required();
  device_revoke->add_flag("--json", out.json, "Print JSON");
  auto* device_ping = devices->add_subcommand("ping", "Round trip to a device through the tunnel");
  device_ping->add_option("ID", device_id, "Device id")->required();
  device_ping->add_flag("--json", out.json, "Print JSON");

  auto* users = app.add_subcommand("user", "Technician accounts (admin)");
  users->require_subcommand(1);
  std::string user_name, role = "l1";
  auto* user_add = users->add_subcommand("add", "Create a user; prints a generated password");
  user_add->add_option("NAME", user_name, "User name")->required();
  user_add->add_option("--role", role, "viewer, l1, l2, l3 or admin");
  user_add->add_flag("--json", out.json, "Print JSON");
  auto* user_list = users->add_subcommand("list", "List users");
  user_list->add_flag("--json", out.json, "Print JSON");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    std::cerr << "helpline: " << e.what() << " (see --help)\n";
    return 2;
  }
  try {
    if (*login) return cmd_login(url, ca_pin, user, out);
    if (*logout) return cmd_logout();
    if (*status) return cmd_status(out);
    if (*token_create) return cmd_token_create(group, uses, expires, out);
    if (*token_list) return cmd_token_list(out);
    if (*token_revoke) return cmd_token_revoke(token_id);
    if (*device_show) return cmd_device_show(device_id, out);
    if (*device_revoke) return cmd_device_revoke(device_id, out);
    if (*device_ping) return cmd_device_ping(device_id, out);
    if (*devices) return cmd_devices(out);
    if (*user_add) return cmd_user_add(user_name, role, out);
    if (*user_list) return cmd_user_list(out);
  } catch (const std::exception& e) {
    return report_failure(e.what());
  }
  return report_failure("no command given; see helpline --help");
}
