// helpline-relay: the relay server. `init` creates a data dir, `serve` runs it.
#include <CLI/CLI.hpp>

#include <iostream>

#include "server/api/json_codec.h"
#include "server/relay/relay_app.h"

namespace {

using helpline::HostPort;

int die(const std::string& message) {
  std::cerr << "helpline-relay: " << message << "\n";
  return 1;
}

// CLI11 validator text for HOST:PORT options.
HostPort parse_listen(const std::string& text) {
  auto parsed = helpline::parse_host_port(text, /*allow_port_zero=*/true);
  if (!parsed) throw CLI::ValidationError(parsed.error().message);
  return *parsed;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Helpline relay: agent tunnel endpoint and technician API"};
  app.set_version_flag("--version", std::string("helpline-relay ") + HELPLINE_VERSION);
  app.require_subcommand(1);

  helpline::relay::InitOptions init;
  std::string init_agent, init_api;
  bool init_json = false;
  auto* init_cmd = app.add_subcommand("init", "Create a relay data dir: CA, certificate, database, admin");
  init_cmd->add_option("--data", init.data_dir, "Data directory to create")->required();
  init_cmd->add_option("--agent-listen", init_agent, "Agent listener HOST:PORT (default 0.0.0.0:8443)");
  init_cmd->add_option("--api-listen", init_api, "API listener HOST:PORT (default 127.0.0.1:8444)");
  init_cmd->add_option("--name", init.names, "Extra DNS name or IP in the server certificate (repeatable)");
  init_cmd->add_option("--admin", init.admin_user, "Name of the first admin account");
  init_cmd->add_flag("--json", init_json, "Print the result as JSON");

  helpline::relay::ServeOptions serve;
  std::string serve_agent, serve_api;
  auto* serve_cmd = app.add_subcommand("serve", "Run the relay");
  serve_cmd->add_option("--data", serve.data_dir, "Data directory made by init")->required();
  serve_cmd->add_option("--agent-listen", serve_agent, "Override the agent listener HOST:PORT");
  serve_cmd->add_option("--api-listen", serve_api, "Override the API listener HOST:PORT");
  serve_cmd->add_option("--log-level", serve.log_level, "trace, debug, info, warn, error");
  serve_cmd->add_flag("--log-json", serve.log_json, "Log one JSON object per line");

  try {
    app.parse(argc, argv);
    if (*init_cmd) {
      if (!init_agent.empty()) init.agent_listen = parse_listen(init_agent);
      if (!init_api.empty()) init.api_listen = parse_listen(init_api);
      auto report = helpline::relay::init_relay(init);
      if (!report) return die(report.error().message);
      if (init_json) {
        std::cout << helpline::relay::api::to_json(*report) << "\n";
      } else {
        std::cout << "Relay created in " << report->data_dir() << "\n"
                  << "  CA pin:          " << report->ca_pin() << "\n"
                  << "  admin user:      " << report->admin_user() << "\n"
                  << "  admin password:  " << report->admin_password()
                  << "   (shown once; change it after the first login)\n"
                  << "  agent listener:  " << report->agent_listen() << "\n"
                  << "  API listener:    " << report->api_listen() << "\n"
                  << "Start it with: helpline-relay serve --data " << report->data_dir() << "\n";
      }
      return 0;
    }
    if (!serve_agent.empty()) serve.agent_listen = parse_listen(serve_agent);
    if (!serve_api.empty()) serve.api_listen = parse_listen(serve_api);
    auto served = helpline::relay::serve_relay(serve);
    if (!served) return die(served.error().message);
    return 0;
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    std::cerr << "helpline-relay: " << e.what() << " (see --help)\n";
    return 2;
  } catch (const std::exception& e) {
    return die(e.what());
  }
}
