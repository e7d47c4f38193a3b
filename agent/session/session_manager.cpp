#include <grp.h>
#include <pwd.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>

#include "agent/session/session_internal.h"
#include "common/core/duration.h"

namespace helpline::agent::session {

namespace {

constexpr std::chrono::milliseconds kEndedTimeout{10'000};

[[nodiscard]] std::string join_caps(const v1::SessionOpen& open) {
  std::vector<std::string> caps(open.capabilities().begin(), open.capabilities().end());
  return ::helpline::session::join(caps);
}

[[nodiscard]] bool has(const v1::SessionOpen& open, std::string_view cap) {
  return std::find(open.capabilities().begin(), open.capabilities().end(), cap) !=
         open.capabilities().end();
}

// The refusal code for the consent broker's reason.
[[nodiscard]] std::string refusal_code(std::string_view reason) {
  if (reason.rfind("no answer", 0) == 0) return "timeout";
  if (reason.rfind("the agent is stopping", 0) == 0) return "stopping";
  if (reason.rfind("too many", 0) == 0) return "busy";
  if (reason.rfind("withdrawn", 0) == 0) return "withdrawn";
  return "denied";
}

}  // namespace

Result<Account> lookup_account(const std::string& name) {
  long size = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buffer(size > 0 ? static_cast<std::size_t>(size) : 16384);
  struct passwd pw {};
  struct passwd* found = nullptr;
  if (name.empty() || ::getpwnam_r(name.c_str(), &pw, buffer.data(), buffer.size(), &found) != 0 ||
      found == nullptr) {
    return fail("unknown_user", "no local account '" + name.substr(0, 64) + "'");
  }
  Account account;
  account.name = found->pw_name;
  account.uid = found->pw_uid;
  account.gid = found->pw_gid;
  account.home = found->pw_dir != nullptr && *found->pw_dir != '\0' ? found->pw_dir : "/";
  account.shell = found->pw_shell != nullptr ? found->pw_shell : "";
  int count = 64;
  std::vector<gid_t> groups(static_cast<std::size_t>(count));
  if (::getgrouplist(found->pw_name, found->pw_gid, groups.data(), &count) < 0) {
    groups.resize(static_cast<std::size_t>(count));
    (void)::getgrouplist(found->pw_name, found->pw_gid, groups.data(), &count);
  }
  groups.resize(static_cast<std::size_t>(std::max(count, 0)));
  account.groups.assign(groups.begin(), groups.end());
  return account;
}

std::string check_open(const v1::SessionOpen& open) {
  if (!::helpline::session::is_session_id(open.session_id())) {
    return "bad_request: session_id must be ses_ and 16 hex digits";
  }
  std::vector<std::string> caps(open.capabilities().begin(), open.capabilities().end());
  if (auto checked = ::helpline::session::check_capabilities(caps); !checked) {
    return checked.error().code + ": " + checked.error().message;
  }
  if (auto why = ::helpline::session::check_reason(open.reason()); !why.empty()) {
    return "bad_request: " + why;
  }
  if (open.technician().empty() || open.technician().size() > 64) {
    return "bad_request: technician: 1..64 characters";
  }
  if (open.as_root() && !has(open, ::helpline::session::kShell)) {
    return "bad_request: as_root without shell";
  }
  return "";
}

SessionManager::SessionManager(uv_loop_t* loop, Link& link, consent::ConsentBroker& broker,
                               SessionsConfig config, LocalAudit& audit)
    : loop_(loop), link_(link), broker_(broker), config_(std::move(config)), audit_(audit) {}

Result<std::unique_ptr<SessionManager>> SessionManager::create(uv_loop_t* loop, Link& link,
                                                               consent::ConsentBroker& broker,
                                                               SessionsConfig config,
                                                               LocalAudit& audit) {
  std::unique_ptr<SessionManager> manager(
      new SessionManager(loop, link, broker, std::move(config), audit));
  uv_timer_init(loop, &manager->idle_timer_);
  uv_timer_init(loop, &manager->reap_timer_);
  manager->idle_timer_.data = manager.get();
  manager->reap_timer_.data = manager.get();
  manager->timers_open_ = true;
  auto tick = std::chrono::duration_cast<std::chrono::milliseconds>(manager->config_.idle_timeout) / 4;
  auto every = static_cast<std::uint64_t>(std::clamp<std::int64_t>(tick.count(), 250, 5000));
  uv_timer_start(
      &manager->idle_timer_,
      [](uv_timer_t* t) { static_cast<SessionManager*>(t->data)->on_idle_tick(); }, every, every);
  uv_unref(reinterpret_cast<uv_handle_t*>(&manager->idle_timer_));
  if (manager->config_.test_seat_user) {
    spdlog::warn("agent.toml [sessions] test_seat_user is set (test only): '{}' counts as the "
                 "user logged in at this machine",
                 *manager->config_.test_seat_user);
  }
  return manager;
}

SessionManager::~SessionManager() = default;

void SessionManager::attach() {
  link_.requests().add(v1::Request::kSessionOpen,
                       [this](const v1::Request& r, Reply reply) { on_open(r, std::move(reply)); });
  link_.requests().add(v1::Request::kSessionClose,
                       [this](const v1::Request& r, Reply reply) { on_close(r, std::move(reply)); });
  using Factory = std::unique_ptr<ChannelHandler> (*)(SessionManager&, const v1::SessionStreamOpen&,
                                                      ChannelStream);
  for (auto [kind, factory] :
       {std::pair<const char*, Factory>{"shell", &make_shell}, {"file_pull", &make_file_pull},
        {"file_push", &make_file_push}, {"forward", &make_forward}}) {
    link_.channels().add(kind, [this, kind = std::string(kind), factory](
                                   const ChannelOpenInfo& info,
                                   ChannelStream stream) -> std::unique_ptr<ChannelHandler> {
      v1::SessionStreamOpen open;
      if (!open.ParseFromString(info.metadata)) {
        stream.reset("bad_request: the stream's metadata is not a SessionStreamOpen");
        return nullptr;
      }
      ActiveSession* active = find(open.session_id());
      if (active == nullptr) {
        stream.reset("session_ended: no active session " + open.session_id().substr(0, 40));
        return nullptr;
      }
      std::string_view cap = kind == "shell"     ? ::helpline::session::kShell
                             : kind == "forward" ? ::helpline::session::kForward
                                                 : ::helpline::session::kFiles;
      if (!has(active->request, cap)) {
        stream.reset("capability_not_granted: the session does not include " + std::string(cap));
        return nullptr;
      }
      if (active->channels.size() >= kMaxStreamsPerSession) {
        stream.reset("busy: at most " + std::to_string(kMaxStreamsPerSession) +
                     " streams per session");
        return nullptr;
      }
      touch(open.session_id());
      return factory(*this, open, std::move(stream));
    });
  }
  link_.set_on_status([this](const AgentStatus& status) {
    if (status.connected) return;
    // Nobody waits for these answers any more: a request still asked
    // would start a session the relay does not know.
    std::vector<std::string> asked(pending_.begin(), pending_.end());
    for (const auto& id : asked) {
      broker_.withdraw_session(id, "withdrawn: the link to the relay was lost");
    }
    if (!sessions_.empty()) end_all("the link to the relay was lost", "agent", false);
  });
}

void SessionManager::on_open(const v1::Request& request, Reply reply) {
  const v1::SessionOpen& open = request.session_open();
  auto refuse = [&](const std::string& code, const std::string& message) {
    record("session.decision", open.session_id(), "refused: " + code + ": " + message, &open);
    spdlog::warn("session {} refused: {} ({})", open.session_id().substr(0, 40), message, code);
    reply(error_response(request.id(), code, message));
  };
  if (auto why = check_open(open); !why.empty()) {
    auto colon = why.find(": ");
    reply(error_response(request.id(), why.substr(0, colon), why.substr(colon + 2)));
    return;
  }
  record("session.request", open.session_id(),
         open.technician() + " asks for " + join_caps(open) + (open.as_root() ? " (root shell)" : "") +
             " for ticket HL-" + std::to_string(open.ticket_id()) + ": " + open.reason(),
         &open);
  if (stopping_) return refuse("stopping", "the agent is stopping");
  if (sessions_.count(open.session_id()) != 0 || pending_.count(open.session_id()) != 0) {
    return refuse("bad_request", "session " + open.session_id() + " exists already");
  }
  if (sessions_.size() + pending_.size() >= kMaxActiveSessions) {
    return refuse("busy", "at most " + std::to_string(kMaxActiveSessions) +
                              " sessions at once on this machine");
  }
  auto relay_policy = ::helpline::session::parse_policy(open.policy());
  auto policy = ::helpline::session::stricter(
      config_.consent_policy, relay_policy ? *relay_policy : ::helpline::session::Policy::kPrompt);
  std::optional<std::string> seat = broker_.seat_user();
  if (seat && seat->empty()) seat.reset();

  // The account the shell (and file access) runs as.
  std::optional<Account> account;
  if (open.as_root()) {
    if (!config_.allow_root_shell) {
      return refuse("root_not_allowed",
                    "this machine does not allow root shells (agent.toml [sessions] "
                    "allow_root_shell)");
    }
    if (::geteuid() != 0) return refuse("root_not_allowed", "the agent does not run as root");
    auto root = lookup_account("root");
    if (!root) return refuse("no_user", root.error().message);
    account = std::move(*root);
  } else if (seat) {
    auto found = lookup_account(*seat);
    if (!found) return refuse("no_user", found.error().message);
    if (::geteuid() != 0 && found->uid != ::geteuid()) {
      return refuse("cannot_switch_user", "the agent does not run as root and cannot act as " +
                                              found->name);
    }
    account = std::move(*found);
  } else if (has(open, ::helpline::session::kShell)) {
    return refuse("no_user",
                  "nobody is logged in at this machine to run the shell as (ask for a root "
                  "shell where the machine allows it)");
  }
  if (policy == ::helpline::session::Policy::kPrompt && !seat) {
    return refuse("no_user",
                  "nobody is logged in at this machine to approve the session (consent policy "
                  "prompt)");
  }
  if (policy != ::helpline::session::Policy::kPrompt) {
    std::string decision = policy == ::helpline::session::Policy::kNotify ? "notified" : "unattended";
    start(open, policy, decision, "", std::move(account), std::move(reply));
    return;
  }
  actions::ConsentRequest ask;
  ask.kind = "session";
  ask.title = "Remote session";
  ask.description = open.reason();
  ask.requested_by = open.technician();
  ask.ticket_id = open.ticket_id();
  ask.session_id = open.session_id();
  ask.reason = open.reason();
  ask.capabilities.assign(open.capabilities().begin(), open.capabilities().end());
  ask.as_root = open.as_root();
  pending_.insert(open.session_id());
  broker_.ask(ask, [this, open, policy, account = std::move(account), reply,
                    id = request.id()](bool approved, std::string reason) mutable {
    pending_.erase(open.session_id());
    if (!approved) {
      std::string code = refusal_code(reason);
      record("session.decision", open.session_id(), "refused: " + code + ": " + reason, &open);
      spdlog::info("session {} refused: {}", open.session_id(), reason);
      reply(error_response(id, code, "the user did not approve the session: " + reason));
      return;
    }
    std::string by = reason.rfind("approved by ", 0) == 0 ? reason.substr(12) : std::string();
    start(open, policy, "approved", by, std::move(account), std::move(reply));
  });
}

void SessionManager::start(const v1::SessionOpen& open, ::helpline::session::Policy policy,
                           std::string decision, std::string decided_by,
                           std::optional<Account> account, Reply reply) {
  if (stopping_) {
    reply(error_response(0, "stopping", "the agent is stopping"));
    return;
  }
  ActiveSession& active = sessions_[open.session_id()];
  active.request = open;
  active.policy = policy;
  active.decision = std::move(decision);
  active.decided_by = std::move(decided_by);
  active.started_at = unix_now_ms();
  active.last_activity = active.started_at;
  if (account && has(open, ::helpline::session::kShell)) active.shell_user = account->name;
  accounts_[open.session_id()] = std::move(account);
  record("session.open", open.session_id(),
         active.decision + (active.decided_by.empty() ? "" : " by " + active.decided_by) +
             " under policy " + ::helpline::session::to_string(policy) + "; " + join_caps(open) +
             (active.shell_user.empty() ? "" : "; shell as " + active.shell_user));
  if (policy == ::helpline::session::Policy::kNotify) {
    actions::ConsentRequest told;
    told.kind = "session";
    told.requested_by = open.technician();
    told.ticket_id = open.ticket_id();
    told.session_id = open.session_id();
    told.reason = open.reason();
    told.capabilities.assign(open.capabilities().begin(), open.capabilities().end());
    told.as_root = open.as_root();
    broker_.inform(told);
  }
  spdlog::info("session {} started for {} ({}; {}{})", open.session_id(), open.technician(),
               join_caps(open), active.decision,
               active.decided_by.empty() ? "" : " by " + active.decided_by);
  v1::Response response;
  auto* result = response.mutable_session_open();
  result->set_session_id(open.session_id());
  result->set_policy(::helpline::session::to_string(policy));
  result->set_decision(active.decision);
  result->set_decided_by(active.decided_by);
  result->set_shell_user(active.shell_user);
  result->set_idle_timeout_ms(static_cast<std::uint32_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(config_.idle_timeout).count()));
  for (const auto& c : open.capabilities()) result->add_capabilities(c);
  if (has(open, ::helpline::session::kFiles)) {
    for (const auto& r : config_.file_roots) result->add_file_roots(r);
    result->set_max_file_bytes(config_.max_file_bytes);
  }
  if (has(open, ::helpline::session::kForward)) {
    for (auto p : config_.forward_ports) result->add_forward_ports(p);
  }
  reply(std::move(response));
}

void SessionManager::on_close(const v1::Request& request, Reply reply) {
  const v1::SessionClose& close = request.session_close();
  v1::Response response;
  bool active = sessions_.count(close.session_id()) != 0;
  if (pending_.count(close.session_id()) != 0) {
    broker_.withdraw_session(close.session_id(), "withdrawn: " + close.reason().substr(0, 200));
  }
  if (active) {
    std::string why = close.reason().empty() ? "closed by the technician"
                                             : close.reason().substr(0, 500);
    end(close.session_id(), why, "technician", false);
  }
  response.mutable_session_close()->set_was_active(active);
  reply(std::move(response));
}

ActiveSession* SessionManager::find(const std::string& id) {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : &it->second;
}

const std::optional<Account>& SessionManager::account_of(const std::string& id) const {
  static const std::optional<Account> kNone;
  auto it = accounts_.find(id);
  return it == accounts_.end() ? kNone : it->second;
}

void SessionManager::touch(const std::string& id) {
  if (auto* s = find(id)) s->last_activity = unix_now_ms();
}

void SessionManager::record(const std::string& event, const std::string& id,
                            const std::string& detail, const v1::SessionOpen* open) {
  ::helpline::audit::Entry entry;
  entry.at_ms = unix_now_ms();
  entry.event = event;
  entry.device = link_.state().config.device_id;
  entry.session = id;
  if (open == nullptr) {
    if (auto* s = find(id)) open = &s->request;
  }
  if (open != nullptr) {
    entry.actor = open->technician();
    entry.ticket = open->ticket_id();
  }
  entry.detail = detail;
  audit_.record(std::move(entry));
}

void SessionManager::add_channel(const std::string& id, SessionChannel* channel) {
  if (auto* s = find(id)) s->channels.insert(channel);
}

void SessionManager::remove_channel(const std::string& id, SessionChannel* channel) {
  if (auto* s = find(id)) s->channels.erase(channel);
}

void SessionManager::retire(std::shared_ptr<void> object,
                            std::function<void(std::function<void()>)> close) {
  ++closing_;
  close([this, object = std::move(object)]() mutable {
    object.reset();
    --closing_;
    maybe_closed();
  });
}

void SessionManager::end(const std::string& id, const std::string& reason,
                         const std::string& ended_by, bool tell_relay) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  record("session.end", id, reason + " (" + ended_by + ")");
  spdlog::info("session {} ended: {} ({})", id, reason, ended_by);
  auto channels = it->second.channels;
  for (SessionChannel* channel : channels) channel->terminate("session_ended: " + reason);
  sessions_.erase(it);
  accounts_.erase(id);
  schedule_reap();
  if (tell_relay && link_.connected()) {
    v1::Request ended;
    ended.mutable_session_ended()->set_session_id(id);
    ended.mutable_session_ended()->set_reason(reason);
    ended.mutable_session_ended()->set_ended_by(ended_by);
    auto sent = link_.request(std::move(ended), kEndedTimeout, [id](Result<v1::Response> r) {
      if (!r || r->has_error()) {
        spdlog::debug("session {}: the relay did not confirm the end", id);
      }
    });
    (void)sent;
  }
}

void SessionManager::end_all(const std::string& reason, const std::string& ended_by,
                             bool tell_relay) {
  std::vector<std::string> ids;
  for (const auto& [id, s] : sessions_) ids.push_back(id);
  for (const auto& id : ids) end(id, reason, ended_by, tell_relay);
}

std::vector<v1::ActiveSession> SessionManager::active() const {
  std::vector<v1::ActiveSession> out;
  for (const auto& [id, s] : sessions_) {
    v1::ActiveSession a;
    a.set_session_id(id);
    a.set_technician(s.request.technician());
    a.set_ticket_id(s.request.ticket_id());
    a.set_reason(s.request.reason());
    for (const auto& c : s.request.capabilities()) a.add_capabilities(c);
    a.set_policy(::helpline::session::to_string(s.policy));
    a.set_decision(s.decision);
    a.set_started_at_ms(s.started_at);
    a.set_last_activity_ms(s.last_activity);
    a.set_open_streams(static_cast<std::uint32_t>(s.channels.size()));
    a.set_shell_user(s.shell_user);
    out.push_back(std::move(a));
  }
  return out;
}

Result<std::vector<v1::ActiveSession>> SessionManager::end_by_user(const std::string& id,
                                                                   const std::string& user,
                                                                   const std::string& words) {
  std::vector<v1::ActiveSession> ended;
  for (auto& a : active()) {
    if (id.empty() || a.session_id() == id) ended.push_back(a);
  }
  if (ended.empty()) {
    return fail("not_found", id.empty() ? "no remote session is active"
                                        : "no active session " + id.substr(0, 40));
  }
  std::string reason = "ended by the user " + user + (words.empty() ? "" : ": " + words);
  for (const auto& a : ended) end(a.session_id(), reason, "user:" + user, true);
  return ended;
}

void SessionManager::on_idle_tick() {
  UnixMillis now = unix_now_ms();
  auto limit = std::chrono::duration_cast<std::chrono::milliseconds>(config_.idle_timeout).count();
  std::vector<std::string> idle;
  for (const auto& [id, s] : sessions_) {
    if (now - s.last_activity >= limit) idle.push_back(id);
  }
  for (const auto& id : idle) {
    end(id, "idle for " + format_duration(config_.idle_timeout), "idle", true);
  }
}

void SessionManager::schedule_reap() {
  if (!timers_open_) return;
  // The handlers that reset their streams are dropped from the link's
  // registry on the next loop turn (not while one of them is running).
  uv_timer_start(
      &reap_timer_,
      [](uv_timer_t* t) { static_cast<SessionManager*>(t->data)->link_.channels().reap(); }, 0, 0);
}

void SessionManager::close(std::function<void()> closed) {
  stopping_ = true;
  on_closed_ = std::move(closed);
  end_all("the agent is stopping", "agent", true);
  if (timers_open_) {
    timers_open_ = false;
    closing_ += 2;
    auto done = [](uv_handle_t* h) {
      auto* self = static_cast<SessionManager*>(h->data);
      --self->closing_;
      self->maybe_closed();
    };
    uv_close(reinterpret_cast<uv_handle_t*>(&idle_timer_), done);
    uv_close(reinterpret_cast<uv_handle_t*>(&reap_timer_), done);
  }
  maybe_closed();
}

void SessionManager::maybe_closed() {
  if (stopping_ && closing_ == 0 && on_closed_) std::exchange(on_closed_, nullptr)();
}

}  // namespace helpline::agent::session
