#include "tests/e2e/relay_fixture.h"

#include <signal.h>

#include <iostream>

#include "common/core/host_port.h"

namespace helpline::e2e {
namespace {

namespace fs = std::filesystem;
using helpline::testing::json_field_bool;
using helpline::testing::json_field_string;
using helpline::testing::parse_json_array;
using helpline::testing::parse_json_object;
using helpline::testing::Process;
using helpline::testing::ProcessOptions;
using helpline::testing::wait_until;

constexpr std::size_t kLogTail = 60;

// Set by tests/e2e/CMakeLists.txt to the freshly built binaries.
const fs::path kRelayBin = HELPLINE_RELAY_BIN;
const fs::path kAgentBin = HELPLINE_AGENT_BIN;
const fs::path kCliBin = HELPLINE_CLI_BIN;

// What the children must not inherit from the developer's shell: a proxy
// would take the agent's loopback connections elsewhere, and these would
// point the tools at the developer's own state.
const std::vector<std::string> kScrubbedEnv = {"https_proxy",
                                               "HTTPS_PROXY",
                                               "http_proxy",
                                               "HTTP_PROXY",
                                               "all_proxy",
                                               "ALL_PROXY",
                                               "no_proxy",
                                               "NO_PROXY",
                                               "HELPLINE_PASSWORD",
                                               "HELPLINE_ENROLL_TOKEN",
                                               "HELPLINE_AGENT_STATE"};

[[nodiscard]] std::uint16_t port_of(const std::string& host_port) {
  auto parsed = parse_host_port(host_port);
  return parsed && parsed->host == "127.0.0.1" ? parsed->port : 0;
}

}  // namespace

// --- lifecycle ---

void RelayFixture::SetUp() {
  data_dir_ = temp_ / "relay";
  admin_config_ = temp_ / "admin-cli.toml";
  ASSERT_NO_FATAL_FAILURE(init_relay());
  ASSERT_NO_FATAL_FAILURE(start_relay({}));
  ASSERT_NO_FATAL_FAILURE(login_admin());
}

void RelayFixture::TearDown() {
  stop_everything();
  if (HasFailure()) print_logs();
}

void RelayFixture::init_relay() {
  RunResult init = relay_command({"init", "--data", data_dir_.string(), "--agent-listen",
                                  "127.0.0.1:0", "--api-listen", "127.0.0.1:0", "--json"});
  ASSERT_EQ(init.exit_code, 0) << init.describe();
  auto report = parse_json_object(init.out);
  ASSERT_TRUE(report) << report.error().message;
  ca_pin_ = json_field_string(*report, "ca_pin");
  admin_user_ = json_field_string(*report, "admin_user");
  admin_password_ = json_field_string(*report, "admin_password");
  ASSERT_EQ(ca_pin_.rfind("SHA256:", 0), 0u) << init.out;
  ASSERT_FALSE(admin_user_.empty()) << init.out;
  ASSERT_FALSE(admin_password_.empty()) << init.out;
  ASSERT_EQ(json_field_string(*report, "data_dir"), fs::absolute(data_dir_).string());
}

void RelayFixture::start_relay(const std::vector<std::string>& listen_overrides) {
  std::vector<std::string> args{"serve", "--data", data_dir_.string(), "--log-level", "debug"};
  args.insert(args.end(), listen_overrides.begin(), listen_overrides.end());
  ProcessOptions options = options_for(kRelayBin, std::move(args));
  ++relay_starts_;
  options.stdout_path = temp_ / ("relay-" + std::to_string(relay_starts_) + ".stdout");
  options.stderr_path = temp_ / ("relay-" + std::to_string(relay_starts_) + ".stderr");
  relay_logs_.push_back(options.stderr_path);
  auto spawned = Process::spawn(options);
  ASSERT_TRUE(spawned) << spawned.error().message;
  relay_.emplace(std::move(*spawned));

  // listen.json appears once both listeners are bound; its pid tells it
  // apart from a file a previous relay might have left.
  const fs::path listen_file = data_dir_ / "listen.json";
  std::optional<Struct> listen;
  bool ready = wait_until(
      [&] {
        if (!relay_->running()) return true;  // stop waiting: it died
        auto parsed = parse_json_object(helpline::testing::read_text_file(listen_file));
        if (!parsed) return false;
        auto pid = helpline::testing::json_field_number(*parsed, "pid");
        if (!pid || static_cast<pid_t>(*pid) != relay_->pid()) return false;
        listen = std::move(*parsed);
        return true;
      },
      kStartTimeout, 20ms);
  ASSERT_TRUE(relay_->running()) << "the relay exited at start with status "
                                 << relay_->exit_status().value_or(-1) << ":\n"
                                 << relay_->stderr_text();
  ASSERT_TRUE(ready && listen) << "no listen.json within " << kStartTimeout.count() << " ms";
  agent_port_ = port_of(json_field_string(*listen, "agent_listen"));
  api_port_ = port_of(json_field_string(*listen, "api_listen"));
  ASSERT_NE(agent_port_, 0) << "listen.json agent_listen is not 127.0.0.1:PORT";
  ASSERT_NE(api_port_, 0) << "listen.json api_listen is not 127.0.0.1:PORT";
}

void RelayFixture::login_admin() {
  RunResult login = cli_with(
      admin_config_, {"login", "--url", api_url(), "--ca-pin", ca_pin_, "--user", admin_user_},
      admin_password_);
  ASSERT_EQ(login.exit_code, 0) << login.describe();
}

void RelayFixture::restart_relay() {
  ASSERT_NO_FATAL_FAILURE(stop_relay());
  ASSERT_NO_FATAL_FAILURE(start_relay_again());
}

void RelayFixture::stop_relay() {
  ASSERT_TRUE(relay_.has_value());
  bool killed = false;
  int status = relay_->terminate(kStopGrace, &killed);
  EXPECT_FALSE(killed) << "the relay did not exit within " << kStopGrace.count()
                       << " ms of SIGTERM";
  EXPECT_EQ(status, 0) << "relay exit status after SIGTERM";
  EXPECT_FALSE(fs::exists(data_dir_ / "listen.json")) << "listen.json left after shutdown";
}

void RelayFixture::start_relay_again() {
  const std::uint16_t agent = agent_port_;
  const std::uint16_t api = api_port_;
  ASSERT_NO_FATAL_FAILURE(start_relay({"--agent-listen", "127.0.0.1:" + std::to_string(agent),
                                       "--api-listen", "127.0.0.1:" + std::to_string(api)}));
  EXPECT_EQ(agent_port_, agent);
  EXPECT_EQ(api_port_, api);
}

std::optional<Struct> RelayFixture::json_output(const RunResult& run) {
  EXPECT_EQ(run.exit_code, 0) << run.describe();
  if (run.exit_code != 0) return std::nullopt;
  auto parsed = parse_json_object(run.out);
  EXPECT_TRUE(parsed) << run.out;
  if (!parsed) return std::nullopt;
  return std::move(*parsed);
}

fs::path RelayFixture::login_new_user(const std::string& name, const std::string& role) {
  auto user = json_output(cli({"user", "add", name, "--role", role, "--json"}));
  const fs::path config = path_for(name + ".toml");
  RunResult done =
      cli_with(config, {"login", "--url", api_url(), "--ca-pin", ca_pin(), "--user", name},
               user ? json_field_string(*user, "password") : "");
  EXPECT_EQ(done.exit_code, 0) << done.describe();
  return config;
}

bool RelayFixture::relay_running() { return relay_ && relay_->running(); }

void RelayFixture::stop_everything() {
  // Signal everyone first so the grace periods overlap, then reap.
  for (auto& child : agents_) child.process.signal(SIGTERM);
  if (relay_) relay_->signal(SIGTERM);
  // terminate() also answers for a child that exited earlier: a crash
  // during the test shows up here as a bad status.
  for (auto& child : agents_) {
    bool killed = false;
    int status = child.process.terminate(kStopGrace, &killed);
    EXPECT_FALSE(killed) << child.name << " did not exit within " << kStopGrace.count()
                         << " ms of SIGTERM";
    EXPECT_TRUE(status == 0 || status == kExitRevoked) << child.name << " exit status " << status;
  }
  if (relay_) {
    bool killed = false;
    int status = relay_->terminate(kStopGrace, &killed);
    EXPECT_FALSE(killed) << "the relay did not exit within " << kStopGrace.count()
                         << " ms of SIGTERM";
    EXPECT_EQ(status, 0) << "relay exit status after SIGTERM";
  }
  for (const auto& log : relay_logs_) {
    EXPECT_FALSE(helpline::testing::has_sanitizer_report(helpline::testing::read_text_file(log)))
        << log.filename().string() << " holds a sanitizer report";
  }
  for (const auto& child : agents_) {
    EXPECT_FALSE(helpline::testing::has_sanitizer_report(child.process.stderr_text()))
        << child.name << " reported a sanitizer error";
  }
}

void RelayFixture::print_logs() {
  for (const auto& log : relay_logs_) {
    std::cerr << "----- " << log.filename().string() << " (last " << kLogTail << " lines) -----\n"
              << helpline::testing::tail_file(log, kLogTail);
  }
  for (const auto& child : agents_) {
    std::cerr << "----- " << child.name << " stderr (last " << kLogTail << " lines) -----\n"
              << helpline::testing::tail_file(child.process.stderr_path(), kLogTail);
  }
  std::cerr << "----- end of logs -----\n";
}

// --- commands ---

std::string RelayFixture::api_url() const {
  return "https://127.0.0.1:" + std::to_string(api_port_);
}

std::string RelayFixture::agent_address() const {
  return "127.0.0.1:" + std::to_string(agent_port_);
}

fs::path RelayFixture::path_for(std::string_view name) const { return temp_ / std::string(name); }

ProcessOptions RelayFixture::options_for(const fs::path& program,
                                         std::vector<std::string> args) const {
  ProcessOptions options;
  options.program = program;
  options.args = std::move(args);
  options.unset_env = kScrubbedEnv;
  // Nothing may read or write the developer's own configuration.
  options.env = {{"HOME", temp_.path().string()},
                 {"XDG_CONFIG_HOME", (temp_ / "xdg").string()},
                 {"HELPLINE_CONFIG", admin_config_.string()}};
  return options;
}

RunResult RelayFixture::run(ProcessOptions options) {
  auto result = helpline::testing::run_command(options, kCommandTimeout);
  if (!result) {
    ADD_FAILURE() << result.error().message;
    return {};
  }
  EXPECT_FALSE(result->timed_out) << options.program.filename().string() << " did not finish in "
                                  << kCommandTimeout.count() << " ms";
  EXPECT_FALSE(helpline::testing::has_sanitizer_report(result->err))
      << options.program.filename().string() << " reported a sanitizer error:\n"
      << result->err;
  return std::move(*result);
}

RunResult RelayFixture::cli(std::vector<std::string> args) {
  return run(options_for(kCliBin, std::move(args)));
}

RunResult RelayFixture::cli_with(const fs::path& config, std::vector<std::string> args,
                                 const std::string& password) {
  ProcessOptions options = options_for(kCliBin, std::move(args));
  for (auto& [key, value] : options.env) {
    if (key == "HELPLINE_CONFIG") value = config.string();
  }
  if (!password.empty()) options.env.emplace_back("HELPLINE_PASSWORD", password);
  return run(std::move(options));
}

RunResult RelayFixture::agent_command(std::vector<std::string> args) {
  return run(options_for(kAgentBin, std::move(args)));
}

RunResult RelayFixture::agent_local(const EnrolledAgent& agent, std::vector<std::string> args) {
  args.push_back("--socket");
  args.push_back(agent.socket().string());
  return agent_command(std::move(args));
}

ProcessOptions RelayFixture::cli_options(std::vector<std::string> args) const {
  return options_for(kCliBin, std::move(args));
}

ProcessOptions RelayFixture::agent_options(std::vector<std::string> args) const {
  return options_for(kAgentBin, std::move(args));
}

RunResult RelayFixture::run_options(ProcessOptions options) { return run(std::move(options)); }

fs::path RelayFixture::agent_binary() { return kAgentBin; }

RunResult RelayFixture::relay_command(std::vector<std::string> args) {
  return run(options_for(kRelayBin, std::move(args)));
}

// --- enrollment and agents ---

EnrollToken RelayFixture::create_token(std::vector<std::string> extra) {
  std::vector<std::string> args{"enroll-token", "create", "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  RunResult created = cli(std::move(args));
  if (created.exit_code != 0) {
    ADD_FAILURE() << "enroll-token create: " << created.describe();
    return {};
  }
  auto token = parse_json_object(created.out);
  if (!token) {
    ADD_FAILURE() << token.error().message;
    return {};
  }
  EnrollToken out{json_field_string(*token, "token"), json_field_string(*token, "id")};
  EXPECT_FALSE(out.token.empty()) << created.out;
  EXPECT_EQ(out.id.rfind("et_", 0), 0u) << created.out;
  return out;
}

RunResult RelayFixture::enroll(const fs::path& state, const std::string& token,
                               const std::string& pin) {
  return agent_command({"enroll", "--relay", agent_address(), "--token", token, "--ca-pin",
                        pin.empty() ? ca_pin_ : pin, "--state", state.string(), "--json"});
}

EnrolledAgent RelayFixture::enroll_agent(std::string_view name) {
  EnrolledAgent agent{path_for(name), "", {}};
  EnrollToken token = create_token();
  if (token.token.empty()) return agent;
  RunResult enrolled = enroll(agent.state, token.token);
  if (enrolled.exit_code != 0) {
    ADD_FAILURE() << "enroll " << name << ": " << enrolled.describe();
    return agent;
  }
  auto answer = parse_json_object(enrolled.out);
  if (!answer) {
    ADD_FAILURE() << answer.error().message;
    return agent;
  }
  agent.device_id = json_field_string(*answer, "device_id");
  EXPECT_EQ(agent.device_id.rfind("dev_", 0), 0u) << enrolled.out;
  return agent;
}

Process* RelayFixture::start_agent(const EnrolledAgent& agent,
                                   std::vector<std::pair<std::string, std::string>> env) {
  std::string name = "agent-" + std::to_string(++names_) + "-" + agent.state.filename().string();
  ProcessOptions options =
      options_for(kAgentBin, {"run", "--state", agent.state.string(), "--heartbeat", "1s",
                              "--log-level", "debug", "--socket", agent.socket().string()});
  options.env.insert(options.env.end(), env.begin(), env.end());
  options.stdout_path = temp_ / (name + ".stdout");
  options.stderr_path = temp_ / (name + ".stderr");
  auto spawned = Process::spawn(options);
  if (!spawned) {
    ADD_FAILURE() << spawned.error().message;
    return nullptr;
  }
  agents_.push_back(Child{std::move(name), std::move(*spawned)});
  return &agents_.back().process;
}

std::vector<Struct> RelayFixture::devices() {
  RunResult listed = cli({"devices", "--json"});
  if (listed.exit_code != 0) {
    ADD_FAILURE() << "devices --json: " << listed.describe();
    return {};
  }
  auto parsed = parse_json_array(listed.out);
  if (!parsed) {
    ADD_FAILURE() << parsed.error().message;
    return {};
  }
  return std::move(*parsed);
}

std::optional<Struct> RelayFixture::device(const std::string& id) {
  for (auto& d : devices()) {
    if (json_field_string(d, "id") == id) return std::move(d);
  }
  return std::nullopt;
}

bool RelayFixture::wait_online(const std::string& id, std::chrono::milliseconds timeout,
                               bool online) {
  // Polls quietly: while a relay restarts, a failing `devices` is expected.
  return wait_until(
      [&] {
        auto listed = helpline::testing::run_command(options_for(kCliBin, {"devices", "--json"}),
                                                     kCommandTimeout);
        if (!listed || listed->exit_code != 0) return false;
        auto parsed = parse_json_array(listed->out);
        if (!parsed) return false;
        for (const auto& d : *parsed) {
          if (json_field_string(d, "id") == id) return json_field_bool(d, "online") == online;
        }
        return false;
      },
      timeout, kPoll);
}

bool RelayFixture::ping(const std::string& id) {
  RunResult pinged = cli({"devices", "ping", id, "--json"});
  if (pinged.exit_code != 0) {
    ADD_FAILURE() << "devices ping: " << pinged.describe();
    return false;
  }
  auto parsed = parse_json_object(pinged.out);
  if (!parsed) {
    ADD_FAILURE() << parsed.error().message;
    return false;
  }
  EXPECT_TRUE(helpline::testing::json_field_number(*parsed, "round_trip_ms").has_value())
      << pinged.out;
  return json_field_string(*parsed, "device_id") == id;
}

// --- raw protocol ---

helpline::testing::TlsClientOptions RelayFixture::raw_client_options(
    const EnrolledAgent* identity) const {
  helpline::testing::TlsClientOptions options;
  options.port = agent_port_;
  options.ca_pem = data_dir_ / "ca.pem";
  if (identity != nullptr) {
    options.cert_pem = identity->state / "cert.pem";
    options.key_pem = identity->state / "key.pem";
  }
  return options;
}

v1::Frame RelayFixture::hello_frame(const std::string& device_id) {
  v1::Frame frame;
  frame.set_channel(0);
  auto* hello = frame.mutable_hello();
  hello->set_device_id(device_id);
  hello->set_agent_version("e2e-raw-client");
  hello->set_platform("linux-test");
  hello->set_hostname("raw-client");
  hello->set_heartbeat_interval_ms(1000);
  return frame;
}

}  // namespace helpline::e2e
