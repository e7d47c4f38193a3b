// helpline-loadgen: holds N simulated agents on a relay with real mutual
// TLS and the real protocol, and times technician requests through them.
// See tests/bench/README.md.
#include <sys/resource.h>

#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>

#include "common/core/files.h"
#include "common/core/json_writer.h"
#include "tests/bench/loadgen/controller.h"

namespace {

using helpline::loadgen::Controller;
using helpline::loadgen::LoadgenOptions;

// Descriptors beyond the agents: enrollment, the API connection, files.
constexpr rlim_t kSpareDescriptors = 256;

// Raises RLIMIT_NOFILE to `wanted` (the hard limit too when allowed) and
// says so when it cannot: the swarm would then stop at the limit.
void raise_fd_limit(rlim_t wanted) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur >= wanted) return;
  rlimit raised = limit;
  raised.rlim_cur = wanted;
  if (raised.rlim_max < wanted) raised.rlim_max = wanted;
  if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) {
    std::cerr << "helpline-loadgen: file-descriptor limit raised from " << limit.rlim_cur << " to "
              << wanted << "\n";
    return;
  }
  std::string why = std::strerror(errno);
  raised.rlim_max = limit.rlim_max;
  raised.rlim_cur = limit.rlim_max;
  (void)::setrlimit(RLIMIT_NOFILE, &raised);
  std::cerr << "helpline-loadgen: cannot raise the file-descriptor limit to " << wanted << " ("
            << why << "); it is " << raised.rlim_cur << ", so at most about "
            << (raised.rlim_cur > kSpareDescriptors ? raised.rlim_cur - kSpareDescriptors : 0)
            << " agents can connect\n";
}

helpline::HostPort parse_address(const std::string& text) {
  auto parsed = helpline::parse_host_port(text);
  if (!parsed) throw CLI::ValidationError(parsed.error().message);
  return *parsed;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Helpline load generator: simulated agents with real mutual TLS and protocol"};
  LoadgenOptions options;
  std::string relay, api, password_file;
  std::size_t agents = 0, pings = 0, ping_agent = 0, max_agents = 0;
  double heartbeat_s = 30, hold_s = 0;
  long ramp_timeout_s = 300;
  bool control = false;
  app.add_option("--relay", relay, "Agent listener HOST:PORT (an IP address)")->required();
  app.add_option("--api", api, "Technician API HOST:PORT")->required();
  app.add_option("--ca-pin", options.ca_pin, "Relay CA pin SHA256:...")->required();
  app.add_option("--state", options.state_dir, "Directory caching the enrolled agents")->required();
  app.add_option("--user", options.user, "API user that logs in (default admin)");
  app.add_option("--password-file", password_file, "File holding its password (else $HELPLINE_PASSWORD)");
  app.add_option("--agents", agents, "Agents to hold (one-shot run)");
  app.add_option("--max-agents", max_agents, "Most agents a --control session will ask for (sizes the fd limit)");
  app.add_option("--ramp", options.ramp, "New connections per second (default 2000)");
  app.add_option("--heartbeat", heartbeat_s, "Heartbeat interval in seconds (default 30)");
  app.add_option("--threads", options.threads, "Threads running the agents (default 2)");
  app.add_option("--sources", options.sources, "Loopback source addresses to spread over (default 8)");
  app.add_option("--source-base", options.source_base, "First source address (default 127.0.0.2)");
  app.add_option("--ramp-timeout", ramp_timeout_s, "Seconds a ramp may take (default 300)");
  app.add_option("--hold", hold_s, "Seconds to hold the agents after the ramp (one-shot run)");
  app.add_option("--pings", pings, "Technician pings after the hold (one-shot run)");
  app.add_option("--ping-agent", ping_agent, "Which agent the pings go to (default 0)");
  app.add_flag("--control", control, "Read commands from stdin, answer each with a JSON line");
  CLI11_PARSE(app, argc, argv);

  try {
    options.relay = parse_address(relay);
    options.api = parse_address(api);
  } catch (const CLI::ValidationError& e) {
    std::cerr << "helpline-loadgen: " << e.what() << "\n";
    return 2;
  }
  options.heartbeat = std::chrono::milliseconds(static_cast<long>(heartbeat_s * 1000));
  options.ramp_timeout = std::chrono::seconds(ramp_timeout_s);
  if (!password_file.empty()) {
    auto text = helpline::files::read(password_file);
    if (!text) {
      std::cerr << "helpline-loadgen: " << text.error().message << "\n";
      return 2;
    }
    options.password = *text;
    while (!options.password.empty() && (options.password.back() == '\n' || options.password.back() == '\r')) {
      options.password.pop_back();
    }
  } else if (const char* env = std::getenv("HELPLINE_PASSWORD")) {
    options.password = env;
  }
  raise_fd_limit(static_cast<rlim_t>(std::max(agents, max_agents)) + kSpareDescriptors);
  // Parsing keys is slow (OpenSSL 3's decoders): load only what may be used.
  if (std::max(agents, max_agents) > 0) options.max_load = std::max(agents, max_agents);

  auto controller = Controller::create(std::move(options));
  if (!controller) {
    std::cerr << "helpline-loadgen: " << controller.error().to_string() << "\n";
    return 1;
  }
  auto run = [&](const std::string& line) {
    auto answer = (*controller)->run(line);
    if (!answer) {
      std::cout << R"({"command":"error","code":")" << answer.error().code << R"(","message":)";
      std::string quoted;
      helpline::append_json_string(quoted, answer.error().message);
      std::cout << quoted << "}" << std::endl;
      return false;
    }
    std::cout << *answer << std::endl;
    return true;
  };
  if (control) {
    std::string line;
    while (std::getline(std::cin, line)) {
      if (line == "quit") break;
      if (line.empty()) continue;
      run(line);
    }
    return 0;
  }
  if (agents > 0 && !run("connect " + std::to_string(agents))) return 1;
  auto hold_until = std::chrono::steady_clock::now() + std::chrono::duration<double>(hold_s);
  while (std::chrono::steady_clock::now() < hold_until) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  if (pings > 0 && !run("ping " + std::to_string(pings) + " " + std::to_string(ping_agent))) return 1;
  run("stats");
  return 0;
}
