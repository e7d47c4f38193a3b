// agent/session: remote sessions the end user approves (docs/sessions.md).
// Public face of the module.
//
// The SessionManager answers the relay's SessionOpen (capabilities and
// limits checked, the stricter of the pinned and the relay's consent
// policy applied, the person at the machine asked through the consent
// broker when that is "prompt"), keeps the active sessions, and serves
// their streams: "shell" (a PTY as the logged-in user, root only when
// agent.toml allows it and the relay asked for it), "file_pull" and
// "file_push" (allowed roots, size limit, the session user's file rights)
// and "forward" (allowlisted loopback ports). A session ends when the user
// ends it (`helpline-agent end`), the technician closes it, it is idle too
// long, the link to the relay drops, or the agent stops; its processes
// are killed then and the relay is told why. Every step is written to the
// local audit file (hash-chained, `helpline-agent audit`).
//
// Thread: the loop's thread. Lifetime: create after the Link, attach(),
// close() in the link's on_stopped, destroy after the loop ended.
#pragma once

#include <uv.h>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/audit/local_audit.h"
#include "agent/consent/consent_broker.h"
#include "agent/link/link.h"
#include "agent/state/agent_state.h"
#include "common/core/result.h"
#include "helpline/v1/local.pb.h"
#include "helpline/v1/session.pb.h"

namespace helpline::agent::session {

inline constexpr std::size_t kMaxActiveSessions = 8;
inline constexpr std::size_t kMaxStreamsPerSession = 32;
class SessionChannel;

// A local account a session's shell and file access run as.
struct Account {
  std::string name;
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::vector<std::uint32_t> groups;
  std::string home = "/";
  std::string shell;  // the login shell from the passwd entry
};

// The passwd entry of `name` with its groups. Errors: "unknown_user".
[[nodiscard]] Result<Account> lookup_account(const std::string& name);

struct ActiveSession {
  v1::SessionOpen request;
  ::helpline::session::Policy policy = ::helpline::session::Policy::kPrompt;
  std::string decision;    // "approved", "notified", "unattended"
  std::string decided_by;  // the login name that approved
  std::string shell_user;  // "" without a shell account
  UnixMillis started_at = 0;
  UnixMillis last_activity = 0;
  std::set<SessionChannel*> channels;
};

class SessionManager {
 public:
  // Sessions are recorded in `audit`, which outlives the manager.
  [[nodiscard]] static Result<std::unique_ptr<SessionManager>> create(
      uv_loop_t* loop, Link& link, consent::ConsentBroker& broker, SessionsConfig config,
      LocalAudit& audit);
  ~SessionManager();
  SessionManager(const SessionManager&) = delete;
  SessionManager& operator=(const SessionManager&) = delete;

  // Registers the SessionOpen/SessionClose handlers and the stream kinds
  // on the link, and ends every session when the link drops.
  void attach();

  // --- the local socket (the seat user or root; checked by the caller) ---
  [[nodiscard]] std::vector<v1::ActiveSession> active() const;
  // Ends `id` ("" = every active session) at once. Errors: "not_found".
  [[nodiscard]] Result<std::vector<v1::ActiveSession>> end_by_user(const std::string& id,
                                                                   const std::string& user,
                                                                   const std::string& words);
  // Ends every session and closes every handle; `closed` runs after.
  void close(std::function<void()> closed);

  // --- for the stream handlers ---
  [[nodiscard]] ActiveSession* find(const std::string& id);
  [[nodiscard]] const SessionsConfig& config() const { return config_; }
  void touch(const std::string& id);
  // One local audit entry; `open` names the technician and ticket of a
  // session that is not active (yet).
  void record(const std::string& event, const std::string& id, const std::string& detail,
              const v1::SessionOpen* open = nullptr);
  void add_channel(const std::string& id, SessionChannel* channel);
  void remove_channel(const std::string& id, SessionChannel* channel);
  // Keeps `object` alive until `close(done)` called done: handles that a
  // handler owned outlive the handler.
  void retire(std::shared_ptr<void> object,
              std::function<void(std::function<void()> done)> close);
  // The account a session's shell and files use (nullopt: the agent's own).
  [[nodiscard]] const std::optional<Account>& account_of(const std::string& id) const;
  [[nodiscard]] uv_loop_t* loop() const { return loop_; }

 private:
  SessionManager(uv_loop_t* loop, Link& link, consent::ConsentBroker& broker, SessionsConfig config,
                 LocalAudit& audit);
  void on_open(const v1::Request& request, Reply reply);
  void start(const v1::SessionOpen& open, ::helpline::session::Policy policy, std::string decision,
             std::string decided_by, std::optional<Account> account, Reply reply);
  void on_close(const v1::Request& request, Reply reply);
  void end(const std::string& id, const std::string& reason, const std::string& ended_by,
           bool tell_relay);
  void end_all(const std::string& reason, const std::string& ended_by, bool tell_relay);
  void on_idle_tick();
  void schedule_reap();
  void maybe_closed();

  uv_loop_t* loop_;
  Link& link_;
  consent::ConsentBroker& broker_;
  SessionsConfig config_;
  LocalAudit& audit_;
  std::map<std::string, ActiveSession> sessions_;
  std::map<std::string, std::optional<Account>> accounts_;
  std::set<std::string> pending_;  // asked, not yet decided
  uv_timer_t idle_timer_{};
  uv_timer_t reap_timer_{};
  bool timers_open_ = false;
  int closing_ = 0;  // retired objects and timers still closing
  bool stopping_ = false;
  std::function<void()> on_closed_;
};

// Whether the agent would take `open` at all (capabilities, reason, ids),
// before any policy: "" when fine, else "code: message".
[[nodiscard]] std::string check_open(const v1::SessionOpen& open);

}  // namespace helpline::agent::session
