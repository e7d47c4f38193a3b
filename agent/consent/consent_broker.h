// agent/consent: the consent broker. Public face of the module.
//
// The Executor's consent hook (agent/actions/executor.h) hands it each
// action that needs the end user's approval; the broker keeps it pending
// with who asked, what will run and why (ticket), tells the desktop user if
// one is logged in (notify-send, best effort), and answers the executor
// once: approved or denied by a person over the daemon's local socket
// (agent/local/action_desk.h), or refused when no answer came within the
// timeout (default 60 s).
//
// Who may answer (may_answer): root, or the user of the active seat0
// session as systemd-logind reports it (agent/actions/session_user.h): the
// person sitting at the console or desktop. Any other local user, and
// everyone when nobody is logged in at the seat, may list but not answer.
//
// Thread: the loop's thread only. Lifetime: close() before the loop ends
// and destroy after its callback.
#pragma once

#include <uv.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/actions/executor.h"
#include "common/core/result.h"
#include "common/core/time_format.h"

namespace helpline::agent::consent {

inline constexpr std::chrono::milliseconds kDefaultTimeout{60'000};
inline constexpr std::size_t kMaxPending = 64;

struct ConsentOptions {
  std::chrono::milliseconds timeout = kDefaultTimeout;
  // The user of the active seat session; unset: actions::active_session_user.
  std::function<std::optional<std::string>()> logged_in_user;
  // Tells the desktop user about a new request (inform_only: about a
  // session that started without asking); unset: notify_desktop(). Tests
  // set a no-op.
  std::function<void(const actions::ConsentRequest&, bool inform_only)> notify;
  std::function<UnixMillis()> clock = unix_now_ms;
};

struct Pending {
  std::string id;  // 16 hex, unguessable
  actions::ConsentRequest request;
  UnixMillis asked_at = 0;
  UnixMillis expires_at = 0;
};

// Whether `uid` (`user` its login name) may answer: root, or the logged-in
// seat user. `seat_user` is who is logged in at the seat (nullopt: nobody).
[[nodiscard]] bool may_answer(std::uint32_t uid, std::string_view user,
                              const std::optional<std::string>& seat_user);

// Best effort: runs `notify-send` (argv, no shell) as the logged-in seat
// user on their session bus when there is a desktop session
// (/run/user/<uid>/bus exists) and notify-send is installed. Never fails.
// `inform_only`: the request was not asked but announced (a session under
// the "notify" policy): the text says how to end it instead of answering.
void notify_desktop(uv_loop_t* loop, const actions::ConsentRequest& request,
                    bool inform_only = false);

// The one line that tells the user what is asked: "alice asks to run ..." or
// "alice asks for a remote session (shell, files) for ticket HL-3: ...".
[[nodiscard]] std::string describe_request(const actions::ConsentRequest& request);

class ConsentBroker {
 public:
  ConsentBroker(uv_loop_t* loop, ConsentOptions options = {});
  ~ConsentBroker();
  ConsentBroker(const ConsentBroker&) = delete;
  ConsentBroker& operator=(const ConsentBroker&) = delete;

  // The executor's hook: keeps the request pending until answered, timed
  // out or closed. Above kMaxPending the request is refused at once.
  void ask(const actions::ConsentRequest& request, actions::ConsentAnswer answer);
  [[nodiscard]] actions::ConsentHook hook();

  // Tells the person at the machine about something that did not need an
  // answer (notify-send where available).
  void inform(const actions::ConsentRequest& request);

  // Who is logged in at the seat now (nullopt: nobody), as configured.
  [[nodiscard]] std::optional<std::string> seat_user() const { return options_.logged_in_user(); }
  // Refuses the pending requests of a session (it was withdrawn).
  void withdraw_session(std::string_view session_id, const std::string& reason);

  // Oldest first.
  [[nodiscard]] std::vector<Pending> pending() const;

  // A person's answer. Errors: "forbidden" (not root nor the seat user),
  // "not_found" (no such pending request: answered, expired or never asked).
  [[nodiscard]] Result<void> answer(std::string_view id, bool approve, std::uint32_t uid,
                                    std::string_view user);

  // Refuses everything pending ("the agent is stopping") and closes the
  // timers; `closed` runs once they are closed.
  void close(std::function<void()> closed);

 private:
  struct Entry;
  static void on_timer(uv_timer_t* timer);
  void settle(const std::string& id, bool approved, std::string reason);

  uv_loop_t* loop_;
  ConsentOptions options_;
  std::map<std::string, std::unique_ptr<Entry>, std::less<>> entries_;
  std::function<void()> on_closed_;
  int closes_pending_ = 0;
  bool closing_ = false;
};

}  // namespace helpline::agent::consent
