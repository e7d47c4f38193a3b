// helpline-agent: argument parsing and exit codes; the work is in agent/cli.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <exception>
#include <string>

#include "agent/cli/commands.h"
#include "common/log/log.h"

namespace {

constexpr int kExitUsage = 2;

int report(const helpline::Error& error) {
  std::fprintf(stderr, "helpline-agent: %s\n", error.message.c_str());
  return helpline::agent::exit_code_for(error);
}

int print(const helpline::Result<std::string>& output) {
  if (!output) return report(output.error());
  std::fputs(output->c_str(), stdout);
  return 0;
}

int run(int argc, char** argv) {
  namespace agent = helpline::agent;
  CLI::App app{
      "helpline-agent: the Helpline endpoint agent. It keeps one outbound TLS tunnel "
      "to the relay so the helpdesk can diagnose and assist this machine.",
      "helpline-agent"};
  app.set_version_flag("--version", "helpline-agent " HELPLINE_VERSION);
  app.require_subcommand(1);

  std::string state;
  const std::string state_help = std::string("state directory (default $") + agent::kStateDirEnv +
                                 ", else " + agent::kDefaultStateDir + ")";

  agent::EnrollArgs enroll;
  CLI::App* enroll_cmd = app.add_subcommand("enroll", "enroll this device with a relay");
  enroll_cmd->add_option("--relay", enroll.relay, "relay address, HOST:PORT")->required();
  enroll_cmd->add_option("--token", enroll.token, "enrollment token from the relay admin")
      ->envname("HELPLINE_ENROLL_TOKEN")
      ->required();
  enroll_cmd->add_option("--ca-pin", enroll.ca_pin, "relay CA fingerprint, SHA256:<hex>")
      ->required();
  enroll_cmd->add_option("--state", state, state_help);
  enroll_cmd->add_flag("--force", enroll.force, "replace an existing enrollment");
  enroll_cmd->add_flag("--json", enroll.json, "print the result as JSON");

  agent::RunArgs run_args;
  std::string heartbeat;
  std::string log_level = "info";
  bool log_json = false;
  CLI::App* run_cmd = app.add_subcommand("run", "keep the tunnel to the relay open (the daemon)");
  run_cmd->add_option("--state", state, state_help);
  run_cmd->add_option("--heartbeat", heartbeat,
                      "heartbeat interval, e.g. 30s (overrides agent.toml)");
  run_cmd->add_option("--log-level", log_level, "trace, debug, info, warn, error or off");
  run_cmd->add_flag("--log-json", log_json, "log one JSON object per line");

  agent::StatusArgs status;
  CLI::App* status_cmd = app.add_subcommand("status", "show enrollment and connection state");
  status_cmd->add_option("--state", state, state_help);
  status_cmd->add_flag("--json", status.json, "print as JSON");

  agent::CollectArgs collect;
  std::string collect_out;
  std::string since;
  std::string root;
  CLI::App* collect_cmd = app.add_subcommand(
      "collect", "collect a redacted diagnostic bundle into a local file (no relay needed)");
  collect_cmd->add_option("--sections", collect.sections,
                          "comma-separated sections or collectors (default: all): system, "
                          "hardware, storage, network, software, services, processes, logs");
  collect_cmd->add_option("--since", since,
                          "journal entries from this long ago, e.g. 2h (default: the most recent only)");
  collect_cmd->add_option("--out", collect_out,
                          "bundle file to write (default ./helpline-bundle-<host>-<time>.hlb)");
  collect_cmd->add_option("--state", state, state_help);
  collect_cmd->add_flag("--json", collect.json, "print the result as JSON");
  // Tests collect from a recorded tree (tests/data/fake-root); hidden from --help.
  collect_cmd->add_option("--root", root, "read system files below this directory")->group("");

  agent::ShowArgs show;
  CLI::App* show_cmd =
      app.add_subcommand("show", "print a summary of a bundle file and its findings");
  show_cmd->add_option("file", show.file, "bundle file (from collect or helpline diag get)")
      ->required();
  show_cmd->add_flag("--json", show.json, "print as JSON");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    std::fprintf(stderr, "helpline-agent: %s (see --help)\n", e.what());
    return kExitUsage;
  }

  std::optional<std::string> state_flag;
  if (!state.empty()) state_flag = state;
  auto state_dir = agent::state_dir_from(state_flag);

  bool is_run = run_cmd->parsed();
  helpline::log::Options log_options;
  log_options.level = is_run ? std::string_view(log_level) : std::string_view("warn");
  log_options.json = is_run && log_json;
  log_options.name = "helpline-agent";
  if (auto logging = helpline::log::setup(log_options); !logging) {
    std::fprintf(stderr, "helpline-agent: --log-level: %s\n", logging.error().message.c_str());
    return kExitUsage;
  }

  if (enroll_cmd->parsed()) {
    enroll.state_dir = state_dir;
    return print(agent::enroll_command(enroll));
  }
  if (is_run) {
    run_args.state_dir = state_dir;
    if (!heartbeat.empty()) run_args.heartbeat = heartbeat;
    auto ran = agent::run_command(run_args);
    return ran ? 0 : report(ran.error());
  }
  if (collect_cmd->parsed()) {
    collect.state_dir = state_dir;
    if (!since.empty()) collect.since = since;
    if (!collect_out.empty()) collect.out = collect_out;
    if (!root.empty()) collect.root = root;
    return print(agent::collect_command(collect));
  }
  if (show_cmd->parsed()) return print(agent::show_command(show));
  status.state_dir = state_dir;
  return print(agent::status_command(status));
}

}  // namespace

int main(int argc, char** argv) {
  // A write to a socket the relay closed must be an EPIPE error, not death.
  std::signal(SIGPIPE, SIG_IGN);
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "helpline-agent: %s\n", e.what());
    return 1;
  }
}
