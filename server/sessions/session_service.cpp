#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/session/session.h"
#include "common/tls/crypto.h"
#include "helpline/v1/session.pb.h"
#include "server/sessions/bridge.h"
#include "server/sessions/sessions.h"
#include "server/store/ticket_store.h"
#include "server/tickets/tickets.h"
#include "server/tunnel/group_policy.h"

namespace helpline::relay::sessions {

namespace asio = boost::asio;

namespace {

constexpr std::size_t kRememberedEnded = 200;
constexpr std::chrono::seconds kCloseTimeout{10};

[[nodiscard]] Role role_for(std::string_view capability, bool as_root) {
  if (capability == session::kShell && as_root) return Role::kTechnician3;
  return Role::kTechnician2;
}

[[nodiscard]] std::string describe_capabilities(const v1::api::RemoteSession& s) {
  std::vector<std::string> caps(s.capabilities().begin(), s.capabilities().end());
  return session::join(caps);
}

}  // namespace

SessionService::SessionService(asio::io_context& io, Store& store, Tunnel& tunnel,
                               blobs::BlobStore& blobs, audit::AuditLog& audit)
    : io_(io), store_(store), tunnel_(tunnel), blobs_(blobs), audit_(audit) {
  tunnel_.add_offline_listener([this](const std::string& device) { on_device_offline(device); });
}

SessionService::~SessionService() = default;

asio::awaitable<Result<v1::api::RemoteSession>> SessionService::open(
    const User& user, v1::api::OpenSessionRequest request) {
  std::vector<std::string> asked(request.capabilities().begin(), request.capabilities().end());
  auto caps = session::check_capabilities(asked);
  if (!caps) co_return fail(caps.error());
  if (auto why = session::check_reason(request.reason()); !why.empty()) {
    co_return fail("bad_request", why);
  }
  bool wants_shell = std::find(caps->begin(), caps->end(), session::kShell) != caps->end();
  if (request.as_root() && !wants_shell) {
    co_return fail("bad_request", "as_root: only a shell runs as root; ask for shell too");
  }
  for (const std::string& cap : *caps) {
    Role needed = role_for(cap, request.as_root());
    if (user.role < needed) {
      co_return fail("role_too_low",
                     std::string(cap == session::kShell && request.as_root() ? "a root shell"
                                                                             : cap) +
                         " needs role " + to_string(needed) + " or above; " + user.name +
                         " has role " + to_string(user.role));
    }
  }
  if (request.ticket() <= 0) {
    co_return fail("bad_request", "ticket: a session is for a ticket (--ticket HL-12)");
  }
  auto ticket = store_.ticket_store().load(request.ticket());
  if (!ticket) co_return fail(ticket.error());
  if (!*ticket) {
    co_return fail("not_found", "no ticket " + tickets::format_display_id(request.ticket()));
  }
  auto device = store_.find_device(request.device());
  if (!device) co_return fail(device.error());
  if (!*device) co_return fail("not_found", "no device with id '" + request.device() + "'");
  auto policy = consent_policy_of(store_, (*device)->group);
  if (!policy) co_return fail(policy.error());

  std::string id = "ses_" + tls::sha256_hex(tls::random_token(16)).substr(0, 16);
  v1::api::RemoteSession info;
  info.set_id(id);
  info.set_device_id(request.device());
  info.set_technician(user.name);
  info.set_ticket(request.ticket());
  info.set_reason(request.reason());
  for (const auto& cap : *caps) info.add_capabilities(cap);
  info.set_as_root(request.as_root());
  audit_.record({"session.request", user.name, info.device_id(), id, info.ticket(),
                 "capabilities " + session::join(*caps) + (request.as_root() ? " (root shell)" : "") +
                     "; group policy " + session::to_string(*policy) + "; reason: " +
                     request.reason()});

  v1::Request ask;
  v1::SessionOpen* open = ask.mutable_session_open();
  open->set_session_id(id);
  open->set_technician(user.name);
  open->set_technician_role(to_string(user.role));
  open->set_ticket_id(request.ticket());
  open->set_reason(request.reason());
  for (const auto& cap : *caps) open->add_capabilities(cap);
  open->set_policy(session::to_string(*policy));
  open->set_as_root(request.as_root());
  spdlog::info("{} asks for session {} on {} ({}; ticket {})", user.name, id, info.device_id(),
               session::join(*caps), info.ticket());
  auto answer = co_await tunnel_.request(info.device_id(), std::move(ask), kDecisionTimeout);
  Error refusal;
  if (!answer) {
    refusal = answer.error();
    if (refusal.code == "timeout") {
      // The agent may still approve later: make sure it does not keep a
      // session nobody waits for.
      v1::Request close;
      close.mutable_session_close()->set_session_id(id);
      close.mutable_session_close()->set_reason("the relay stopped waiting for the decision");
      (void)co_await tunnel_.request(info.device_id(), std::move(close), kCloseTimeout);
    }
  } else if (answer->has_error()) {
    refusal = Error{answer->error().code(), answer->error().message()};
  } else if (!answer->has_session_open() || answer->session_open().session_id() != id) {
    refusal = Error{"bad_answer", "the device did not answer with this session"};
  }
  if (!refusal.code.empty()) {
    audit_.record({"session.decision", "agent", info.device_id(), id, info.ticket(),
                   "refused: " + refusal.code + ": " + refusal.message});
    spdlog::info("session {} on {} refused: {}", id, info.device_id(), refusal.to_string());
    co_return fail(std::move(refusal));
  }
  const v1::SessionOpenResult& result = answer->session_open();
  info.set_policy(result.policy());
  info.set_decision(result.decision());
  info.set_decided_by(result.decided_by());
  info.set_shell_user(result.shell_user());
  info.set_state("active");
  info.set_opened_at_ms(unix_now_ms());
  for (const auto& root : result.file_roots()) info.add_file_roots(root);
  for (auto port : result.forward_ports()) info.add_forward_ports(port);
  info.set_max_file_bytes(result.max_file_bytes());
  info.set_idle_timeout_ms(result.idle_timeout_ms());
  audit_.record({"session.decision", result.decided_by().empty() ? "agent" : "user:" + result.decided_by(),
                 info.device_id(), id, info.ticket(),
                 result.decision() + " under policy " + result.policy()});
  audit_.record({"session.open", user.name, info.device_id(), id, info.ticket(),
                 "capabilities " + describe_capabilities(info) +
                     (info.shell_user().empty() ? "" : "; shell as " + info.shell_user())});
  sessions_[id].info = info;
  co_return info;
}

asio::awaitable<Result<v1::api::RemoteSession>> SessionService::close(const User& user,
                                                                      std::string id,
                                                                      std::string reason) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) co_return fail("not_found", "no session " + id.substr(0, 40));
  if (it->second.info.technician() != user.name && user.role < Role::kAdmin) {
    co_return fail("forbidden", "session " + id + " belongs to " + it->second.info.technician());
  }
  if (it->second.info.state() != "active") co_return it->second.info;
  if (reason.empty()) reason = "closed by " + user.name;
  std::string device = it->second.info.device_id();
  end(id, user.name, "session.close", reason);
  v1::Request close;
  close.mutable_session_close()->set_session_id(id);
  close.mutable_session_close()->set_reason(reason);
  auto answer = co_await tunnel_.request(device, std::move(close), kCloseTimeout);
  if (!answer) {
    // The device is offline: its agent ended the session when the link dropped.
    spdlog::info("session {}: the device did not confirm the close: {}", id,
                 answer.error().to_string());
  }
  auto again = sessions_.find(id);
  if (again == sessions_.end()) co_return fail("not_found", "no session " + id);
  co_return again->second.info;
}

Result<v1::api::RemoteSession> SessionService::get(const std::string& id) const {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return fail("not_found", "no session " + id.substr(0, 40));
  v1::api::RemoteSession info = it->second.info;
  info.set_open_streams(static_cast<std::uint32_t>(it->second.bridges.size()));
  return info;
}

v1::api::RemoteSessionList SessionService::list() const {
  v1::api::RemoteSessionList out;
  std::vector<const Active*> all;
  for (const auto& [id, active] : sessions_) all.push_back(&active);
  std::sort(all.begin(), all.end(), [](const Active* a, const Active* b) {
    return a->info.opened_at_ms() > b->info.opened_at_ms();
  });
  for (const Active* active : all) {
    auto* s = out.add_sessions();
    *s = active->info;
    s->set_open_streams(static_cast<std::uint32_t>(active->bridges.size()));
  }
  return out;
}

Result<void> SessionService::check_stream(const User& user, const std::string& id,
                                          std::string_view capability) const {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return fail("not_found", "no session " + id.substr(0, 40));
  const auto& info = it->second.info;
  if (info.technician() != user.name) {
    return fail("forbidden", "session " + id + " belongs to " + info.technician());
  }
  if (info.state() != "active") {
    return fail("session_ended", "session " + id + " has ended: " + info.end_reason());
  }
  if (std::find(info.capabilities().begin(), info.capabilities().end(), capability) ==
      info.capabilities().end()) {
    return fail("capability_not_granted", "session " + id + " was not opened with " +
                                              std::string(capability) + " (it has " +
                                              describe_capabilities(info) + ")");
  }
  if (!tunnel_.session_for(info.device_id())) {
    return fail("device_offline", "device " + info.device_id() + " is not connected");
  }
  return {};
}

asio::awaitable<void> SessionService::bridge(const User& user, std::string id,
                                             StreamRequest request, net::WebSocket& ws) {
  (void)user;
  auto it = sessions_.find(id);
  if (it == sessions_.end()) co_return;
  auto agent = tunnel_.session_for(it->second.info.device_id());
  if (!agent) co_return;
  auto bridge = std::make_shared<Bridge>(*this, ws, agent, it->second.info, std::move(request));
  it->second.bridges.insert(bridge);
  co_await bridge->run();
  if (auto again = sessions_.find(id); again != sessions_.end()) {
    again->second.bridges.erase(bridge);
  }
}

void SessionService::add_recording(const std::string& id, const std::string& blob_id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  auto& info = it->second.info;
  info.add_recordings(blob_id);
  audit_.record({"session.recording", "relay", info.device_id(), id, info.ticket(),
                 "shell recording " + blob_id + " attached to " +
                     tickets::format_display_id(info.ticket())});
  auto ticket = store_.ticket_store().load(info.ticket());
  if (!ticket || !*ticket) {
    spdlog::error("session {}: cannot load ticket {} to attach the recording", id, info.ticket());
    return;
  }
  TicketWrite write;
  write.ticket = std::move(**ticket);
  write.attachments.push_back(AttachmentDraft{"recording", blob_id, unix_now_ms(),
                                              info.technician()});
  // The helpdesk's sweep recomputes when to look at the ticket again.
  write.next_check_at = unix_now_ms();
  if (auto saved = store_.ticket_store().save(std::move(write)); !saved) {
    spdlog::error("session {}: cannot attach the recording to ticket {}: {}", id, info.ticket(),
                  saved.error().to_string());
  }
}

void SessionService::end(const std::string& id, const std::string& actor,
                         const std::string& event, const std::string& reason) {
  auto it = sessions_.find(id);
  if (it == sessions_.end() || it->second.info.state() != "active") return;
  auto& info = it->second.info;
  info.set_state("ended");
  info.set_ended_at_ms(unix_now_ms());
  info.set_end_reason(reason);
  audit_.record({event, actor, info.device_id(), id, info.ticket(), reason});
  spdlog::info("session {} on {} ended: {}", id, info.device_id(), reason);
  auto bridges = it->second.bridges;
  for (const auto& bridge : bridges) bridge->end("session_ended", "the session ended: " + reason);
  ended_order_.push_back(id);
  while (ended_order_.size() > kRememberedEnded) {
    auto old = sessions_.find(ended_order_.front());
    // A bridge may still be finishing; keep those until it is done.
    if (old != sessions_.end() && old->second.bridges.empty()) sessions_.erase(old);
    ended_order_.erase(ended_order_.begin());
  }
}

asio::awaitable<v1::Response> SessionService::handle(std::shared_ptr<AgentSession> agent,
                                                     v1::Request request) {
  v1::Response response;
  response.set_id(request.id());
  if (!request.has_session_ended()) {
    response.mutable_error()->set_code("unsupported");
    response.mutable_error()->set_message("not a session request");
    co_return response;
  }
  const v1::SessionEnded& ended = request.session_ended();
  auto it = sessions_.find(ended.session_id());
  if (it == sessions_.end() || it->second.info.device_id() != agent->device_id()) {
    response.mutable_error()->set_code("not_found");
    response.mutable_error()->set_message("no session " + ended.session_id().substr(0, 40) +
                                          " on this device");
    co_return response;
  }
  std::string reason = ended.reason().substr(0, 500);
  std::string actor = ended.ended_by().substr(0, 100);
  end(ended.session_id(), actor.empty() ? "agent" : actor, "session.end",
      reason.empty() ? "ended on the device" : reason);
  response.mutable_session_ended();
  co_return response;
}

void SessionService::on_device_offline(const std::string& device_id) {
  std::vector<std::string> ids;
  for (const auto& [id, active] : sessions_) {
    if (active.info.device_id() == device_id && active.info.state() == "active") ids.push_back(id);
  }
  for (const auto& id : ids) {
    end(id, "relay", "session.end", "the device's link to the relay was lost");
  }
}

void SessionService::stop() {
  std::vector<std::string> ids;
  for (const auto& [id, active] : sessions_) {
    if (active.info.state() == "active") ids.push_back(id);
  }
  for (const auto& id : ids) end(id, "relay", "session.end", "the relay is shutting down");
}

}  // namespace helpline::relay::sessions
