#include "agent/cli/commands.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <uv.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>

#include "agent/cli/action_wiring.h"
#include "agent/deliver/deliverer.h"
#include "agent/diag/diag.h"
#include "agent/local/action_desk.h"
#include "agent/local/local_desk.h"
#include "agent/local/local_server.h"
#include "agent/local/session_desk.h"
#include "agent/session/session.h"
#include "agent/actions/session_user.h"
#include "agent/spool/spool.h"
#include "agent/enroll/enroll.h"
#include "agent/link/link.h"
#include "agent/state/agent_state.h"
#include "common/core/duration.h"
#include "common/core/files.h"
#include "common/core/json_writer.h"

namespace helpline::agent {
namespace {

// Everything a running agent's signal handles need.
struct RunContext {
  Link* link = nullptr;
  Deliverer* deliverer = nullptr;
  local::LocalServer* local = nullptr;
  ActionRuntime* actions = nullptr;
  session::SessionManager* sessions = nullptr;
  int closing = 0;  // components still closing after the link stopped
  uv_signal_t sigterm{};
  uv_signal_t sigint{};
};

void on_signal(uv_signal_t* handle, int signum) {
  auto* context = static_cast<RunContext*>(handle->data);
  spdlog::info("received {}", signum == SIGTERM ? "SIGTERM" : "SIGINT");
  context->link->stop();
}

void log_open_handle(uv_handle_t* handle, void* /*arg*/) {
  spdlog::error("libuv handle still open at exit: {}",
                uv_handle_type_name(uv_handle_get_type(handle)));
}

// Whether `pid` is a live helpline-agent (a stale status.json may name a
// pid that now belongs to something else).
[[nodiscard]] bool agent_running(std::int64_t pid) {
  if (pid <= 0 || pid > 0x7fffffff) return false;
  if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno != EPERM) return false;
  auto comm = files::read("/proc/" + std::to_string(pid) + "/comm", 256);
  if (!comm) return true;  // no /proc: kill() is all we know
  return comm->rfind("helpline-agent", 0) == 0;
}

[[nodiscard]] Result<std::chrono::seconds> heartbeat_override(const std::string& text) {
  auto parsed = parse_duration(text);
  if (!parsed) return fail(parsed.error().code, "--heartbeat: " + parsed.error().message);
  if (*parsed < kMinHeartbeat || *parsed > kMaxHeartbeat) {
    return fail("bad_duration", "--heartbeat: must be between 1s and 1h");
  }
  return *parsed;
}

}  // namespace

std::filesystem::path state_dir_from(const std::optional<std::string>& flag) {
  if (flag && !flag->empty()) return *flag;
  if (const char* env = std::getenv(kStateDirEnv); env != nullptr && *env != '\0') return env;
  return kDefaultStateDir;
}

int exit_code_for(const Error& error) { return error.code == "revoked" ? kExitRevoked : 1; }

Result<std::string> enroll_command(const EnrollArgs& args) {
  // The organisation key is checked before enrolling, so a wrong file
  // never leaves a half-configured agent behind.
  std::string org_key_pem;
  if (!args.org_key.empty()) {
    auto pem = read_org_key(args.org_key);
    if (!pem) return fail(pem.error());
    org_key_pem = std::move(*pem);
  }
  EnrollOptions options;
  options.relay = args.relay;
  options.token = args.token;
  options.ca_pin = args.ca_pin;
  options.state_dir = args.state_dir;
  options.force = args.force;
  options.proxy_env = ProxyEnv::from_environment();
  options.host = read_host_info();
  auto enrolled = enroll(options);
  if (!enrolled) return fail(enrolled.error());
  std::string key_id;
  if (!org_key_pem.empty()) {
    auto pinned = pin_org_key(args.state_dir, org_key_pem,
                              args.by_installer ? actions::PinSource::kInstaller
                                                : actions::PinSource::kEnroll);
    if (!pinned) return fail(pinned.error());
    key_id = std::move(*pinned);
  }
  if (args.json) {
    JsonWriter json;
    json.begin_object()
        .field("device_id", enrolled->device_id)
        .field("group", enrolled->group)
        .field("relay", enrolled->relay.to_string())
        .field("org_key", key_id)
        .end_object();
    return json.str() + "\n";
  }
  std::string group = enrolled->group.empty() ? "" : " (group " + enrolled->group + ")";
  return "enrolled as " + enrolled->device_id + group + " with relay " +
         enrolled->relay.to_string() + "\n" +
         (key_id.empty() ? "" : "pinned the organisation key " + key_id + "\n");
}

Result<void> run_command(const RunArgs& args) {
  auto state = load_state(args.state_dir);
  if (!state) return fail(state.error());
  std::chrono::seconds heartbeat = state->config.heartbeat;
  if (args.heartbeat) {
    auto parsed = heartbeat_override(*args.heartbeat);
    if (!parsed) return fail(parsed.error());
    heartbeat = *parsed;
  }
  auto proxy = choose_proxy(ProxyEnv::from_environment(), state->config.proxy, state->config.relay);
  if (!proxy) return fail(proxy.error());

  LinkConfig config;
  config.heartbeat = heartbeat;
  config.host = read_host_info();
  config.proxy = *proxy;
  config.state = std::move(*state);
  spdlog::info("helpline-agent {} starting: device {}, relay {}, heartbeat {}, state {}",
               HELPLINE_VERSION, config.state.config.device_id,
               config.state.config.relay.to_string(), format_duration(heartbeat),
               config.state.dir.string());

  uv_loop_t loop;
  if (int rc = uv_loop_init(&loop); rc != 0) {
    return fail("loop_failed", std::string("cannot start the event loop: ") + uv_strerror(rc));
  }
  auto link = Link::create(&loop, std::move(config));
  if (!link) {
    (void)uv_loop_close(&loop);
    return fail(link.error());
  }
  // What waits for the relay survives restarts in the spool.
  spool::SpoolOptions spool_options;
  spool_options.dir = spool::default_dir(args.state_dir);
  auto spool = spool::Spool::open(std::move(spool_options));
  if (!spool) {
    (*link).reset();
    (void)uv_loop_close(&loop);
    return fail(spool.error());
  }
  // Who counts as logged in at the seat: systemd-logind, or (tests only)
  // agent.toml [sessions] test_seat_user.
  std::function<std::optional<std::string>()> seat_user = &actions::active_session_user;
  if (const auto& pinned = (*link)->state().config.sessions.test_seat_user) {
    seat_user = [name = *pinned]() -> std::optional<std::string> {
      if (name.empty()) return std::nullopt;
      return name;
    };
  }
  // What sessions and actions did here, for the person at the machine.
  auto audit = LocalAudit::open(args.state_dir / kLocalAuditFile);
  if (!audit) {
    (*link).reset();
    (void)uv_loop_close(&loop);
    return fail(audit.error());
  }
  // Remediation actions: the signed catalog, consent and the executor.
  auto actions = ActionRuntime::open(&loop, args.state_dir, seat_user, audit->get());
  if (!actions) {
    (*link).reset();
    (void)uv_loop_close(&loop);
    return fail(actions.error());
  }
  (*actions)->attach(**link);
  // Remote sessions share the consent broker with the actions.
  auto sessions = session::SessionManager::create(&loop, **link, (*actions)->broker(),
                                                  (*link)->state().config.sessions, **audit);
  if (!sessions) {
    actions->reset();
    (*link).reset();
    (void)uv_loop_close(&loop);
    return fail(sessions.error());
  }
  (*sessions)->attach();
  Deliverer deliverer(&loop, **link, *spool);
  deliverer.start();
  auto settings = diag::settings_from((*link)->state());
  diag::add_remote_collection(&loop, **link, settings, &deliverer);

  // People at this machine reach the helpdesk through the local socket; the
  // tunnel still runs without it.
  auto desk = std::make_shared<local::LocalDesk>(&loop, **link, deliverer, settings);
  auto action_desk = std::make_shared<local::ActionDesk>(
      (*actions)->catalogs(), (*actions)->executor(), (*actions)->broker(), seat_user);
  auto session_desk = std::make_shared<local::SessionDesk>(**sessions, **audit, seat_user);
  auto local_server = local::LocalServer::listen(
      &loop, args.socket, [desk, action_desk, session_desk](const local::Peer& peer,
                                                            v1::LocalRequest request,
                                                            local::Respond respond) {
        if (local::SessionDesk::handles(request)) {
          session_desk->handle(peer, request, std::move(respond));
          return;
        }
        if (local::ActionDesk::handles(request)) {
          action_desk->handle(peer, request, std::move(respond));
          return;
        }
        desk->handle(peer, std::move(request), std::move(respond));
      });
  if (!local_server) {
    spdlog::error("{}; `helpline-agent report` and the other end-user commands will not work",
                  local_server.error().message);
  } else {
    spdlog::info("listening for local requests on {}", args.socket.string());
  }

  RunContext context;
  context.link = link->get();
  context.deliverer = &deliverer;
  context.local = local_server ? local_server->get() : nullptr;
  context.actions = actions->get();
  context.sessions = sessions->get();
  for (auto [handle, signum] : {std::pair{&context.sigterm, SIGTERM}, {&context.sigint, SIGINT}}) {
    uv_signal_init(&loop, handle);
    handle->data = &context;
    uv_signal_start(handle, on_signal, signum);
  }
  // The signal handles go last: a second SIGTERM while the rest closes
  // (the fixture and systemd both may send one) must not kill the process
  // half-way. After them, a repeated signal is ignored: the stop is under
  // way, and SIGKILL still ends a process that hangs.
  (*link)->set_on_stopped([&context] {
    auto closed_one = [&context] {
      if (--context.closing > 0) return;
      uv_close(reinterpret_cast<uv_handle_t*>(&context.sigterm), nullptr);
      uv_close(reinterpret_cast<uv_handle_t*>(&context.sigint), nullptr);
      std::signal(SIGTERM, SIG_IGN);
      std::signal(SIGINT, SIG_IGN);
    };
    context.closing = context.local != nullptr ? 4 : 3;
    context.deliverer->close(closed_one);
    if (context.local != nullptr) context.local->close(closed_one);
    // Sessions first: their consent requests are withdrawn before the
    // broker refuses what is left.
    context.sessions->close(closed_one);
    context.actions->close(closed_one);
  });
  (*link)->start();
  uv_run(&loop, UV_RUN_DEFAULT);

  int exit_code = (*link)->exit_code();
  std::string exit_message = (*link)->exit_message();
  if (local_server) local_server->reset();
  sessions->reset();
  actions->reset();
  link->reset();
  if (uv_loop_close(&loop) != 0) {
    uv_walk(&loop, log_open_handle, nullptr);
    return fail("loop_failed", "the event loop still had open handles at exit");
  }
  if (exit_code == kExitRevoked) return fail("revoked", exit_message);
  spdlog::info("stopped");
  return {};
}

Result<std::string> status_command(const StatusArgs& args) {
  const std::filesystem::path& dir = args.state_dir;
  std::optional<AgentConfig> config;
  if (has_enrollment(dir)) {
    auto text = files::read(dir / kConfigFile, 64u * 1024);
    if (!text) return fail(text.error());
    auto parsed = parse_agent_config(*text);
    if (!parsed) return fail(parsed.error());
    config = std::move(*parsed);
  }
  AgentStatus status;
  if (config) {
    auto read = read_status(dir);
    if (!read) return fail(read.error());
    if (*read) status = **read;
  }
  bool running = agent_running(status.pid);
  bool connected = running && status.connected;

  if (args.json) {
    JsonWriter json;
    json.begin_object()
        .field("enrolled", config.has_value())
        .field("state_dir", dir.string())
        .field("device_id", config ? config->device_id : "")
        .field("group", config ? config->group : "")
        .field("relay", config ? config->relay.to_string() : "")
        .field("ca_pin", config ? config->ca_pin : "")
        .field("enrolled_at", config ? format_rfc3339(config->enrolled_at) : "")
        .field("running", running)
        .field("pid", running ? status.pid : std::int64_t{0})
        .field("connected", connected)
        .field("connected_since", connected ? format_rfc3339(status.connected_since) : "")
        .field("last_error", status.last_error)
        .field("last_error_at", format_rfc3339(status.last_error_at))
        .end_object();
    return json.str() + "\n";
  }

  if (!config) {
    return "not enrolled (no " + (dir / kConfigFile).string() +
           "); run: helpline-agent enroll --relay HOST:PORT --token TOKEN --ca-pin SHA256:...\n";
  }
  std::string out;
  auto line = [&out](std::string_view label, const std::string& value) {
    out += std::string(label);
    out.append(14 - std::min<std::size_t>(label.size(), 13), ' ');
    out += value + "\n";
  };
  line("device:",
       config->device_id + (config->group.empty() ? "" : " (group " + config->group + ")"));
  line("relay:", config->relay.to_string());
  line("ca pin:", config->ca_pin);
  line("enrolled at:", format_rfc3339(config->enrolled_at));
  line("agent:", running ? "running (pid " + std::to_string(status.pid) + ")" : "not running");
  line("connection:",
       connected ? "connected since " + format_rfc3339(status.connected_since) : "not connected");
  if (!status.last_error.empty()) {
    line("last error:", status.last_error + " (at " + format_rfc3339(status.last_error_at) + ")");
  }
  return out;
}

}  // namespace helpline::agent
