// helpline: the technician CLI, a client of the relay's HTTPS JSON API.
#include <CLI/CLI.hpp>

#include <iostream>

#include "server/cli/commands.h"
#include "server/cli/ticket_commands.h"

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

  auto* admin = app.add_subcommand("admin", "Administration (admin)");
  admin->require_subcommand(1);
  auto run_catalog_command = add_catalog_commands(*admin, out);
  InstallerArgs installer;
  auto* admin_installer = admin->add_subcommand(
      "installer", "Build an installer that enrolls machines into a group");
  admin_installer->add_option("--group", installer.group, "Group the machines join")->required();
  admin_installer->add_option("--format", installer.format, "deb, rpm or sh")->required();
  admin_installer->add_option("--relay", installer.relay, "Agent address of the relay, HOST:PORT")
      ->required();
  admin_installer->add_option("--expires", installer.expires, "Token lifetime, e.g. 7d (default)");
  admin_installer->add_option("--uses", installer.uses, "Machines that may enroll (default 1000)")
      ->check(CLI::Range(1u, 100000u));
  admin_installer->add_option("--out", installer.out, "File to write (0600)")->required();
  admin_installer->add_option("--agent-package", installer.agent_package,
                              "Agent .tar.gz to embed (--format sh)");
  admin_installer->add_option("--org-key", installer.org_key,
                              "Organisation public key (org.pub) to pin (default: the relay's)");
  admin_installer->add_flag("--no-org-key", installer.no_org_key,
                            "Pin no catalog key: agents trust the first one the relay offers");
  admin_installer->add_flag("--json", out.json, "Print JSON");

  auto* diag = app.add_subcommand("diag", "Diagnostic bundles from devices");
  diag->require_subcommand(1);
  DiagCollectArgs collect;
  auto* diag_collect = diag->add_subcommand("collect", "Ask a device for a diagnostic bundle");
  diag_collect->add_option("DEVICE", collect.device, "Device id")->required();
  diag_collect->add_option("--sections", collect.sections,
                           "Sections or collectors, comma-separated (default: all)");
  diag_collect->add_option("--since", collect.since, "Logs from this long ago, e.g. 2h");
  diag_collect->add_option("--ticket", collect.ticket, "Attach the bundle to this ticket (HL-12)");
  diag_collect->add_option("--max-bytes", collect.max_bytes,
                           "Refuse a bundle larger than this (default: the relay's limit)")
      ->check(CLI::PositiveNumber);
  diag_collect->add_flag("--json", out.json, "Print JSON");
  std::string diag_device, diag_ticket, bundle_id, bundle_out;
  auto* diag_list = diag->add_subcommand("list", "List collected bundles");
  diag_list->add_option("--device", diag_device, "Only this device's bundles");
  diag_list->add_option("--ticket", diag_ticket, "Only bundles attached to this ticket (HL-12)");
  diag_list->add_flag("--json", out.json, "Print JSON");
  auto* diag_show = diag->add_subcommand("show", "Findings and collector statuses of a bundle");
  diag_show->add_option("BUNDLE_ID", bundle_id, "Bundle id (sha256:...)")->required();
  diag_show->add_flag("--json", out.json, "Print JSON");
  auto* diag_get = diag->add_subcommand("get", "Download a bundle, checked against its id");
  diag_get->add_option("BUNDLE_ID", bundle_id, "Bundle id (sha256:...)")->required();
  diag_get->add_option("--out", bundle_out, "File to write (0600)")->required();

  auto ticket_commands = add_ticket_commands(app, out);
  auto run_action_command = add_action_commands(app, out);
  auto run_session_command = add_session_commands(app, *admin, out);
  auto run_kb_command = add_kb_commands(app, out);
  auto run_webhook_command = add_webhook_commands(app, out);

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
    if (*diag_collect) return cmd_diag_collect(collect, out);
    if (*diag_list) return cmd_diag_list(diag_device, diag_ticket, out);
    if (*diag_show) return cmd_diag_show(bundle_id, out);
    if (*diag_get) return cmd_diag_get(bundle_id, bundle_out);
    if (auto rc = run_ticket_commands(*ticket_commands, out)) return *rc;
    if (*admin_installer) return cmd_admin_installer(installer, out);
    if (auto rc = run_catalog_command()) return *rc;
    if (auto rc = run_action_command()) return *rc;
    if (auto rc = run_session_command()) return *rc;
    if (auto rc = run_kb_command()) return *rc;
    if (auto rc = run_webhook_command()) return *rc;
  } catch (const std::exception& e) {
    return report_failure(e.what());
  }
  return report_failure("no command given; see helpline --help");
}
