#include "server/relay/relay_app.h"

#include <malloc.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <csignal>
#include <functional>

#include "common/core/files.h"
#include "common/core/json_writer.h"
#include "common/log/log.h"
#include "server/api/api_server.h"
#include "server/api/routes.h"
#include "server/auth/auth.h"
#include "server/blobs/blob_store.h"
#include "server/ca/relay_ca.h"
#include "server/config/relay_config.h"
#include "server/helpdesk/helpdesk_service.h"
#include "server/intake/delivery_service.h"
#include "server/store/store.h"
#include "server/audit/audit_log.h"
#include "server/sessions/sessions.h"
#include "server/tunnel/agent_request_router.h"
#include "server/tunnel/tunnel.h"
#include "server/webhooks/webhooks.h"

namespace helpline::relay {

namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

constexpr std::chrono::seconds kShutdownGrace{3};
constexpr std::chrono::milliseconds kShutdownPoll{20};

[[nodiscard]] bool is_wildcard(const std::string& host) {
  return host == "0.0.0.0" || host == "::" || host.empty();
}

[[nodiscard]] std::vector<std::string> certificate_names(const InitOptions& options) {
  std::vector<std::string> names = options.names;
  char hostname[256] = {};
  if (::gethostname(hostname, sizeof hostname - 1) == 0 && hostname[0] != '\0') {
    names.emplace_back(hostname);
  }
  for (const auto* listen : {&options.agent_listen, &options.api_listen}) {
    if (!is_wildcard(listen->host)) names.push_back(listen->host);
  }
  for (const char* local : {"localhost", "127.0.0.1", "::1"}) names.emplace_back(local);
  std::vector<std::string> unique;
  for (auto& name : names) {
    if (std::find(unique.begin(), unique.end(), name) == unique.end()) unique.push_back(name);
  }
  return unique;
}

[[nodiscard]] Result<void> create_data(const InitOptions& options, v1::api::InitReport& report) {
  const fs::path& dir = options.data_dir;
  if (auto r = files::ensure_private_dir(dir); !r) return r;
  if (auto r = RelayCa::create(dir, certificate_names(options)); !r) return r;
  RelayConfig config;
  config.agent_listen = options.agent_listen;
  config.api_listen = options.api_listen;
  config.names = certificate_names(options);
  if (auto r = files::write_atomic(dir / "relay.toml", config.to_toml(), 0600); !r) return r;

  auto store = open_sqlite_store(dir / "relay.db");
  if (!store) return fail(store.error());
  std::string password = auth::random_password();
  auto hash = auth::hash_password(password);
  if (!hash) return fail(hash.error());
  auto admin = (*store)->create_user(options.admin_user, Role::kAdmin, *hash, unix_now_ms());
  if (!admin) return fail(admin.error());

  auto ca = RelayCa::load(dir);
  if (!ca) return fail(ca.error());
  report.set_data_dir(fs::absolute(dir).string());
  report.set_ca_pin(ca->pin());
  report.set_admin_user(options.admin_user);
  report.set_admin_password(password);
  report.set_agent_listen(options.agent_listen.to_string());
  report.set_api_listen(options.api_listen.to_string());
  return {};
}

[[nodiscard]] Result<void> write_listen_file(const fs::path& dir, const HostPort& agent,
                                             const HostPort& api) {
  JsonWriter json;
  json.begin_object()
      .field("agent_listen", agent.to_string())
      .field("api_listen", api.to_string())
      .field("pid", static_cast<std::int64_t>(::getpid()))
      .end_object();
  return files::write_atomic(dir / "listen.json", json.str() + "\n", 0644);
}

// Every agent link holds a descriptor, and the usual soft limit (1024)
// would stop a relay near a thousand agents: raise it to the hard limit
// (what systemd's LimitNOFILE= or the caller allow) and say what it is.
void raise_descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised{limit.rlim_max, limit.rlim_max};
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  if (limit.rlim_cur == RLIM_INFINITY) return;
  spdlog::info("up to {} open files: room for about that many agent links", limit.rlim_cur);
}

// A stream through the relay queues up to a channel window (1 MiB) of
// 16 KiB pieces and frees them as they go out. With glibc's default trim
// threshold (128 KiB) each drained queue gave its pages back to the kernel
// and the next took them again: 46,779 page faults and at least a quarter
// of the relay's CPU over 2.5 GiB pulled (docs/performance.md). Keeping
// 4 MiB of free heap, and serving blocks up to the largest WebSocket
// message (1 MiB) from the heap rather than from mmap, ends that churn;
// the price is at most those 4 MiB of resident memory.
void keep_heap_for_streams() {
  constexpr int kTrimThreshold = 4 << 20;
  constexpr int kMmapThreshold = 1 << 20;
  if (::mallopt(M_TRIM_THRESHOLD, kTrimThreshold) != 1 ||
      ::mallopt(M_MMAP_THRESHOLD, kMmapThreshold) != 1) {
    // Only a replaced allocator refuses (a sanitizer's): nothing to tune.
    spdlog::debug("allocator not tuned: mallopt refused");
  }
}

asio::awaitable<void> wait_for_links(asio::io_context& io, const Tunnel& tunnel) {
  asio::steady_timer poll(io);
  auto deadline = std::chrono::steady_clock::now() + kShutdownGrace;
  while (tunnel.session_count() > 0 && std::chrono::steady_clock::now() < deadline) {
    poll.expires_after(kShutdownPoll);
    boost::system::error_code ec;
    co_await poll.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  io.stop();
}

// relay.toml's webhooks become the store's "config" webhooks (added,
// updated, removed); API-made ones are left alone.
[[nodiscard]] Result<void> sync_config_webhooks(Store& store, const WebhooksConfig& config) {
  std::vector<WebhookRecord> records;
  for (const webhooks::Target& t : config.targets) {
    records.push_back(webhooks::to_record(t, "config", "relay.toml", unix_now_ms()));
  }
  auto synced = store.webhook_store().sync_config_webhooks(records);
  if (!synced) {
    if (synced.error().code == "conflict") {
      return fail("bad_config", "relay.toml: webhooks.target: " + synced.error().message);
    }
    return synced;
  }
  if (!records.empty()) spdlog::info("{} webhooks from relay.toml", records.size());
  return {};
}

}  // namespace

Result<v1::api::InitReport> init_relay(const InitOptions& options) {
  std::error_code ec;
  if (fs::exists(options.data_dir, ec) && !fs::is_empty(options.data_dir, ec)) {
    return fail("data_dir_exists", "data dir " + options.data_dir.string() +
                                       " already exists and is not empty; refusing to overwrite "
                                       "a relay's keys and database");
  }
  bool existed = fs::exists(options.data_dir, ec);
  v1::api::InitReport report;
  if (auto r = create_data(options, report); !r) {
    // Leave nothing half-made behind: init can simply be run again.
    if (existed) {
      for (const auto& entry : fs::directory_iterator(options.data_dir, ec)) {
        fs::remove_all(entry.path(), ec);
      }
    } else {
      fs::remove_all(options.data_dir, ec);
    }
    return fail(r.error());
  }
  return report;
}

Result<void> serve_relay(const ServeOptions& options) {
  const fs::path& dir = options.data_dir;
  if (!fs::exists(dir / "relay.toml")) {
    return fail("not_initialized", "no relay in " + dir.string() +
                                       "; create one with: helpline-relay init --data " +
                                       dir.string());
  }
  auto config = load_relay_config(dir / "relay.toml");
  if (!config) return fail(config.error());
  if (options.agent_listen) config->agent_listen = *options.agent_listen;
  if (options.api_listen) config->api_listen = *options.api_listen;
  if (!options.log_level.empty()) config->log_level = options.log_level;
  if (auto r = log::setup({.level = config->log_level, .json = options.log_json,
                           .name = "helpline-relay"});
      !r) {
    return r;
  }

  raise_descriptor_limit();
  keep_heap_for_streams();
  auto ca = RelayCa::load(dir);
  if (!ca) return fail(ca.error());
  auto store = open_sqlite_store(dir / "relay.db");
  if (!store) return fail(store.error());
  auto blob_store = blobs::BlobStore::open(dir / "blobs");
  if (!blob_store) return fail(blob_store.error());

  asio::io_context io(1);
  // Declared before the helpdesk, which records its events there.
  webhooks::WebhookService webhook_service(io, **store, config->webhooks.settings,
                                           api::webhook_payload);
  if (auto synced = sync_config_webhooks(**store, config->webhooks); !synced) return synced;
  helpdesk::HelpdeskService helpdesk_service(**store, config->helpdesk.rules);
  helpdesk_service.set_outbox(&webhook_service);
  helpdesk_service.set_event_sink(
      [&webhook_service](const helpdesk::TicketEvent&) { webhook_service.wake(); });
  // The audit log (docs/sessions.md, "Audit"): sessions, actions,
  // diagnostics requests, enrollments and administration.
  auto audit_log = audit::AuditLog::open(dir / audit::kAuditFile, **store);
  if (!audit_log) return fail(audit_log.error());
  Tunnel tunnel(io, **store, *ca, *config);
  tunnel.set_device_desk(&helpdesk_service);
  tunnel.enrollment().set_audit(audit_log->get());
  intake::DeliveryService deliveries(**store, **blob_store, tunnel);
  deliveries.set_audit(audit_log->get());
  sessions::SessionService session_service(io, **store, tunnel, **blob_store, **audit_log);
  AgentRequestRouter agent_requests;
  agent_requests.set_fallback(&deliveries);
  agent_requests.route(v1::Request::kSessionEnded, &session_service);
  tunnel.set_agent_requests(&agent_requests);
  auto agent_at = tunnel.listen(config->agent_listen);
  if (!agent_at) return fail(agent_at.error());

  api::Router router(**store);
  api::ApiContext api_context{**store,      tunnel,           *config,
                              **blob_store, helpdesk_service, webhook_service};
  api_context.sessions = &session_service;
  api_context.audit = audit_log->get();
  api::register_all_routes(router, api_context);
  api::ApiServer api_server(io, router, config->max_body);
  auto api_at = api_server.listen(config->api_listen, ca->server_identity());
  if (!api_at) return fail(api_at.error());

  if (auto r = write_listen_file(dir, *agent_at, *api_at); !r) return r;
  tunnel.start();
  api_server.start();
  helpdesk_service.start_sweep(io, config->helpdesk.sweep_interval);
  webhook_service.start();
  spdlog::info("relay {} serving agents on {} and the API on {} (CA {})", HELPLINE_VERSION,
               agent_at->to_string(), api_at->to_string(), ca->pin());

  asio::signal_set signals(io, SIGTERM, SIGINT);
  bool shutting_down = false;
  std::function<void(const boost::system::error_code&, int)> on_signal;
  on_signal = [&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    signals.async_wait(on_signal);  // absorb repeated signals while stopping
    if (shutting_down) return;
    shutting_down = true;
    spdlog::info("signal {}: shutting down", signal);
    session_service.stop();
    tunnel.stop();
    api_server.stop();
    helpdesk_service.stop_sweep();
    webhook_service.stop();
    // Stop as soon as every agent link has flushed its Goodbye, and at the
    // latest after the grace period. Idle API keep-alive connections are not
    // waited for.
    asio::co_spawn(io, wait_for_links(io, tunnel), asio::detached);
  };
  signals.async_wait(on_signal);
  io.run();
  // A second SIGTERM during exit must not turn a clean stop into a kill.
  boost::system::error_code ignored;
  signals.clear(ignored);
  std::signal(SIGTERM, SIG_IGN);
  std::signal(SIGINT, SIG_IGN);
  std::error_code ec;
  fs::remove(dir / "listen.json", ec);
  spdlog::info("relay stopped");
  return {};
}

}  // namespace helpline::relay
