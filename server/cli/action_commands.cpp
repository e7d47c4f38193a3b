// `helpline action run|list`: remediation actions from the organisation's
// signed catalog (docs/catalog.md, docs/api.md "Actions and the catalog").
#include <CLI/CLI.hpp>
#include <charconv>
#include <iostream>

#include "common/tls/crypto.h"
#include "helpline/v1/action_api.pb.h"
#include "server/cli/api_fetch.h"
#include "server/cli/commands.h"
#include "server/cli/table.h"

namespace helpline::cli {
namespace {

using relay::api::to_json;

// The relay waits for the action's timeout plus the user's consent.
constexpr std::chrono::seconds kRunMargin{180};
constexpr std::chrono::seconds kDefaultRunTimeout{6 * 3600};

struct RunArgs {
  std::string device;
  std::string action;
  std::vector<std::string> parameters;
  std::string ticket;
  std::string idempotency_key;
};

struct ListArgs {
  std::string device;
};

int cmd_action_run(const RunArgs& args, const Output& out) {
  v1::api::RunActionRequest request;
  request.set_action(args.action);
  for (const std::string& p : args.parameters) {
    auto eq = p.find('=');
    if (eq == std::string::npos || eq == 0) {
      return report_failure(Error{"bad_value", "parameter '" + p.substr(0, 64) +
                                                   "' is not name=value"});
    }
    (*request.mutable_parameters())[p.substr(0, eq)] = p.substr(eq + 1);
  }
  if (!args.ticket.empty()) {
    auto ticket = parse_ticket(args.ticket);
    if (!ticket) return report_failure(ticket.error());
    request.set_ticket(*ticket);
  }
  // One key per run of this command: a retry of the same command with
  // --idempotency-key reuses the first result instead of running again.
  request.set_idempotency_key(args.idempotency_key.empty() ? tls::random_token(18)
                                                           : args.idempotency_key);
  v1::api::ActionRunResult result;
  if (int rc = fetch("POST", "/api/v1/devices/" + args.device + "/actions", result,
                     to_json(request), kDefaultRunTimeout + kRunMargin);
      rc != 0) {
    return rc;
  }
  if (out.json) {
    std::cout << to_json(result) << "\n";
    return result.ran() && result.exit_code() == 0 && !result.timed_out() ? 0 : 1;
  }
  if (!result.ran()) {
    return report_failure(Error{result.refusal_rule(), "the device refused " + result.action() +
                                                           ": " + result.refusal_message() + " (" +
                                                           result.refusal_rule() + ")"});
  }
  std::cout << result.output();
  if (!result.output().empty() && result.output().back() != '\n') std::cout << "\n";
  if (result.truncated()) std::cout << "[output truncated]\n";
  std::cerr << result.action() << " on " << result.device_id() << ": "
            << (result.timed_out() ? "timed out" : "exit " + std::to_string(result.exit_code()))
            << (result.signal() != 0 ? ", signal " + std::to_string(result.signal()) : "")
            << ", " << result.duration_ms() << " ms"
            << (result.attachment().empty() ? "" : ", attached to ticket HL-" +
                                                        std::to_string(result.ticket()))
            << " (idempotency key " << result.idempotency_key() << ")\n";
  return result.exit_code() == 0 && !result.timed_out() && result.signal() == 0 ? 0 : 1;
}

int cmd_action_list(const ListArgs& args, const Output& out) {
  v1::api::CatalogInfo info;
  if (int rc = fetch("GET", "/api/v1/catalog", info); rc != 0) return rc;
  if (!args.device.empty()) {
    // The device must exist; its catalog is the one the relay offers it.
    auto client = logged_in_client();
    if (!client) return report_failure(client.error());
    auto reply = call_api(*client, "GET", "/api/v1/devices/" + args.device);
    if (!reply) return report_failure(reply.error());
  }
  if (out.json) {
    std::cout << to_json(info) << "\n";
    return 0;
  }
  if (info.version() == 0) {
    std::cout << "No catalog is published (helpline admin publish catalog.signed).\n";
    return 0;
  }
  std::cout << "Catalog version " << info.version() << " (" << info.issuer() << ", key "
            << info.key_id() << ")\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& a : info.actions()) {
    std::string params;
    for (const auto& p : a.parameters()) {
      if (!params.empty()) params += " ";
      params += p.name() + "=<" + p.type() + ">" + (p.required() ? "" : "?");
    }
    rows.push_back({a.id(), a.risk(), a.min_role(), a.needs_consent() ? "yes" : "no",
                    a.self_service() ? "yes" : "no", params});
  }
  print_table(std::cout, {"ACTION", "RISK", "ROLE", "CONSENT", "SELF", "PARAMETERS"}, rows);
  return 0;
}

}  // namespace

Result<std::int64_t> parse_ticket(std::string_view text) {
  if (text.size() > 3 && (text.substr(0, 3) == "HL-" || text.substr(0, 3) == "hl-")) {
    text.remove_prefix(3);
  }
  std::int64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id <= 0) {
    return fail("bad_value", "--ticket: '" + std::string(text) + "' is not a ticket id (HL-12)");
  }
  return id;
}

std::function<std::optional<int>()> add_action_commands(CLI::App& app, Output& out) {
  auto run_args = std::make_shared<RunArgs>();
  auto list_args = std::make_shared<ListArgs>();
  auto* action = app.add_subcommand("action", "Remediation actions from the signed catalog");
  action->require_subcommand(1);
  auto* run = action->add_subcommand("run", "Run a catalog action on a device");
  run->add_option("DEVICE", run_args->device, "Device id")->required();
  run->add_option("ACTION", run_args->action, "Action id, e.g. dns.flush_cache")->required();
  run->add_option("PARAMS", run_args->parameters, "Parameters, name=value");
  run->add_option("--ticket", run_args->ticket, "Attach the result to this ticket (HL-12)");
  run->add_option("--idempotency-key", run_args->idempotency_key,
                  "Reuse the key of an earlier run: never runs twice, returns its result");
  run->add_flag("--json", out.json, "Print JSON");
  auto* list = action->add_subcommand("list", "List the catalog's actions");
  list->add_option("--device", list_args->device, "The device the actions are for");
  list->add_flag("--json", out.json, "Print JSON");
  return [run, list, run_args, list_args, &out]() -> std::optional<int> {
    if (*run) return cmd_action_run(*run_args, out);
    if (*list) return cmd_action_list(*list_args, out);
    return std::nullopt;
  };
}

}  // namespace helpline::cli
