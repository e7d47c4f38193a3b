#include "server/tunnel/tunnel.h"

#include "server/net/listen.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <vector>

namespace helpline::relay {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

constexpr std::chrono::seconds kSweepInterval{1};
// TLS handshakes in progress before accepting pauses. Enough to keep the
// one thread busy on links with a real round-trip time (about 2,000
// handshakes per second x 0.2 s), few enough that each finishes well
// within the 10 s setup timeout.
constexpr std::size_t kMaxHandshakes = 512;
// last_seen is written when a link comes up and when it ends; while it is
// up the stored value is refreshed every kLastSeenRefresh (the API shows an
// online device as seen now), checked every kLastSeenFlush so the writes
// come in small batches. A relay that crashes loses at most that much.
constexpr std::chrono::seconds kLastSeenFlush{15};
constexpr std::chrono::minutes kLastSeenRefresh{5};

}  // namespace

Tunnel::Tunnel(asio::io_context& io, Store& store, RelayCa& ca, const RelayConfig& config)
    : io_(io),
      store_(store),
      config_(config),
      enrollment_(store, ca),
      acceptor_(io),
      sweep_timer_(io),
      accept_gate_(io),
      last_flush_(std::chrono::steady_clock::now()) {
  tls::ServerConfig server;
  server.identity = ca.server_identity();
  server.client_ca_pem = ca.ca_pem();
  server.client_cert = tls::ClientCertMode::kOptional;  // a new agent comes without one to enroll
  auto ctx = tls::make_server_context(server);
  if (ctx) {
    tls::release_buffers_when_idle(ctx->get());
    ssl_ctx_ = std::move(*ctx);
  } else {
    spdlog::error("agent listener TLS setup failed: {}", ctx.error().to_string());
  }
}

Tunnel::~Tunnel() = default;

Result<HostPort> Tunnel::listen(const HostPort& where) {
  if (!ssl_ctx_) return fail("tls_config", "the agent listener has no usable TLS identity");
  return net::listen_on(acceptor_, where, "agents");
}

void Tunnel::start() {
  asio::co_spawn(io_, accept_loop(), asio::detached);
  asio::co_spawn(io_, sweep_loop(), asio::detached);
}

void Tunnel::stop() {
  stopping_ = true;
  boost::system::error_code ec;
  acceptor_.close(ec);
  sweep_timer_.cancel();
  accept_gate_.cancel();
  // Every online device's last_seen in one transaction, instead of one per
  // link as each closes (on_offline skips its write while stopping).
  std::vector<std::string> online_ids;
  for (const auto& [id, weak] : online_) online_ids.push_back(id);
  if (auto r = store_.touch_devices(online_ids, unix_now_ms()); !r) {
    spdlog::error("cannot record last_seen for {} devices: {}", online_ids.size(),
                  r.error().to_string());
  }
  // close() may untrack nothing synchronously, but iterate over a copy anyway.
  std::vector<AgentSession*> all(sessions_.begin(), sessions_.end());
  for (AgentSession* session : all) session->close("shutting_down", "the relay is shutting down");
}

asio::awaitable<void> Tunnel::accept_loop() {
  while (!stopping_) {
    boost::system::error_code ec;
    while (handshaking_ >= kMaxHandshakes && !stopping_) {
      accept_gate_.expires_at(asio::steady_timer::time_point::max());
      co_await accept_gate_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    if (stopping_) break;
    tcp::socket socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || stopping_) break;
      // EMFILE and friends: log and keep serving the links we have.
      spdlog::warn("agent listener: accept failed: {}", ec.message());
      asio::steady_timer pause(io_);
      pause.expires_after(std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    std::make_shared<AgentSession>(std::move(socket), *this)->start();
  }
}

asio::awaitable<void> Tunnel::sweep_loop() {
  while (!stopping_) {
    sweep_timer_.expires_after(kSweepInterval);
    boost::system::error_code ec;
    co_await sweep_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (stopping_) break;
    auto now = std::chrono::steady_clock::now();
    // Only the sessions that are due: a stale entry (the session is gone,
    // or scheduled itself again) is skipped.
    checks_.pop_due(now, [&](const DeadlineQueue<AgentSession*>::Entry& entry) {
      if (sessions_.count(entry.key) != 0 && entry.key->check_token() == entry.token) {
        entry.key->check_deadlines(now);
      }
    });
    if (now - last_flush_ >= kLastSeenFlush) flush_last_seen(kLastSeenRefresh);
  }
}

void Tunnel::handshake_ended() {
  if (handshaking_ > 0) --handshaking_;
  if (handshaking_ < kMaxHandshakes) accept_gate_.cancel();
}

void Tunnel::flush_last_seen(std::chrono::steady_clock::duration max_age) {
  auto now = std::chrono::steady_clock::now();
  last_flush_ = now;
  std::vector<std::string> ids;
  for (auto& [id, weak] : online_) {
    auto session = weak.lock();
    if (session && session->take_last_seen_due(now, max_age)) ids.push_back(id);
  }
  if (ids.empty()) return;
  if (auto r = store_.touch_devices(ids, unix_now_ms()); !r) {
    spdlog::error("cannot record last_seen for {} devices: {}", ids.size(), r.error().to_string());
  }
}

void Tunnel::on_online(const std::shared_ptr<AgentSession>& session) {
  auto& slot = online_[session->device_id()];
  if (auto previous = slot.lock(); previous && previous != session) {
    previous->close("replaced", "a newer connection from the same device replaced this one");
  }
  slot = session;
}

void Tunnel::on_offline(AgentSession* session) {
  // Whatever ran over this link (remote sessions) ended with it, also when
  // a newer link of the same device replaced it.
  for (const auto& listener : offline_listeners_) listener(session->device_id());
  auto it = online_.find(session->device_id());
  if (it == online_.end()) return;
  auto current = it->second.lock();
  if (current && current.get() != session) return;  // already replaced
  online_.erase(it);
  if (stopping_) return;  // stop() wrote every online device's last_seen at once
  if (auto r = store_.touch_devices(std::vector<std::string>{session->device_id()}, unix_now_ms());
      !r) {
    spdlog::error("cannot record last_seen for {}: {}", session->device_id(), r.error().to_string());
  }
  spdlog::info("agent {} offline", session->device_id());
}

std::shared_ptr<AgentSession> Tunnel::session_for(std::string_view device_id) const {
  auto it = online_.find(std::string(device_id));
  if (it == online_.end()) return nullptr;
  auto session = it->second.lock();
  if (!session || session->phase() != AgentSession::Phase::kOnline) return nullptr;
  return session;
}

LinkInfo Tunnel::link_info(std::string_view device_id) const {
  auto it = online_.find(std::string(device_id));
  if (it == online_.end()) return {};
  auto session = it->second.lock();
  if (!session || session->phase() != AgentSession::Phase::kOnline) return {};
  return LinkInfo{true, session->connected_since(), session->remote()};
}

asio::awaitable<Result<v1::Response>> Tunnel::request(std::string device_id, v1::Request request,
                                                      std::chrono::milliseconds timeout,
                                                      std::shared_ptr<StreamSink> sink) {
  auto it = online_.find(device_id);
  std::shared_ptr<AgentSession> session = it == online_.end() ? nullptr : it->second.lock();
  if (!session) co_return fail("device_offline", "device " + device_id + " is not connected");
  co_return co_await session->request(std::move(request), timeout, std::move(sink));
}

void Tunnel::disconnect(std::string_view device_id, const std::string& code,
                        const std::string& message) {
  auto it = online_.find(std::string(device_id));
  if (it == online_.end()) return;
  if (auto session = it->second.lock()) session->close(code, message);
}

}  // namespace helpline::relay
