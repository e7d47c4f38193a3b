// The agent's action executor: turns an ActionRequest into a process, or
// into a refusal that names its rule. For every request, in order:
//
//   bad_request            the idempotency key is empty, too long or not printable
//   (repeat)               a key already recorded returns its first result
//   idempotency_conflict   the key was used for a different request
//   no_catalog             no verified catalog is installed
//   catalog_version_mismatch  the requester saw another catalog version
//   unknown_action         the action is not in the current catalog
//   wrong_platform         the action does not list this platform
//   not_self_service       an end user asked for an action that is not L0
//   <parameter rule>       common/catalog/params.h
//   no_logged_in_user, unknown_user, cannot_switch_user   run_as
//   consent_denied         the consent hook said no (or did not answer)
//   spawn_failed           the program could not be started
//
// then the argv is spawned (process.h) with a fixed PATH and a scrubbed
// environment, under the run_as account, with the action's timeout and
// output cap. Everything after the idempotency check is recorded under the
// key (idempotency_store.h), refusals included.
//
// Thread: the loop's thread only. Callbacks run on it. The executor must
// outlive its callbacks: call close() and wait for its callback before
// destroying it or stopping the loop.
#pragma once

#include <uv.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "agent/actions/catalog_store.h"
#include "agent/actions/idempotency_store.h"
#include "common/catalog/catalog.h"
#include "helpline/v1/catalog.pb.h"

namespace helpline::agent::actions {

class Process;

// What the end user is asked before an action that needs consent, or (kind
// "session", agent/session) before a remote session starts.
struct ConsentRequest {
  std::string action_id;
  std::string title;
  std::string description;
  v1::Risk risk = v1::RISK_UNSPECIFIED;
  std::string requested_by;
  std::int64_t ticket_id = 0;
  std::vector<std::string> argv;  // exactly what will run
  std::string kind = "action";  // "action" or "session" (the fields below)
  // kind "session": what the technician asks for and why.
  std::string session_id;
  std::string reason;
  std::vector<std::string> capabilities;
  bool as_root = false;
};

// Answers once, on the loop thread: approved, or refused with a reason
// shown in the result ("declined by the user", "no answer within 60 s").
using ConsentAnswer = std::function<void(bool approved, std::string reason)>;
// Asks the end user. Called on the loop thread; may answer at once or later.
// Not answering at all leaves the request pending until close().
using ConsentHook = std::function<void(const ConsentRequest&, ConsentAnswer)>;

enum class Requester {
  kRelay,    // a technician through the relay: consent as the action says
  kEndUser,  // the person at the machine (self-service): L0 actions only, no prompt
};

// What the executor did with a request, for the local audit. Reported for
// every request that passed the idempotency check: kStarted when its
// process was spawned, then kEnded; or kRefused. Not reported: repeats
// answered from the records, and refusals because the agent is stopping
// (neither is a new decision).
struct ActionEvent {
  enum class Kind { kStarted, kEnded, kRefused };
  Kind kind;
  const v1::ActionRequest& request;
  Requester requester;
  // The catalog's argv with the parameters filled in (what the end user
  // was or would have been shown); empty when the request was refused
  // before its parameters were checked.
  const std::vector<std::string>& argv;
  const std::string& run_as;       // the account; "" before it was resolved
  const v1::ActionResult* result;  // kEnded and kRefused
};

struct ExecutorOptions {
  // argv[0] -> the program actually run. Tests map tool paths to fake
  // scripts; empty in production.
  std::map<std::string, std::string, std::less<>> program_overrides;
  std::string path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  std::chrono::milliseconds kill_grace{2000};
  std::chrono::milliseconds drain_after_exit{2000};
  // The user of the active local session, for run_as logged-in-user.
  // Unset: systemd-logind's active session on seat0.
  std::function<std::optional<std::string>()> logged_in_user;
  // The agent's effective uid (tests pretend not to be root). Unset: geteuid().
  std::optional<std::uint32_t> agent_uid;
  // Told of every decision and run (ActionEvent), on the loop thread.
  std::function<void(const ActionEvent&)> on_event;
};

class Executor {
 public:
  using OutputFn = std::function<void(std::string_view chunk)>;
  using DoneFn = std::function<void(const v1::ActionResult&)>;

  // The stores and host facts must outlive the executor.
  Executor(uv_loop_t* loop, CatalogStore& catalogs, IdempotencyStore& records,
           const catalog::HostFacts& host, ConsentHook consent, ExecutorOptions options = {});
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Handles one request. `on_output` streams output chunks while it runs
  // (never for a repeat); `on_done` is called exactly once with the result,
  // possibly before run() returns (refusals, repeats).
  void run(const v1::ActionRequest& request, Requester requester, OutputFn on_output,
           DoneFn on_done);

  // Kills every running action and refuses pending consents; `closed` is
  // called once every process handle is closed (at once if none runs).
  void close(std::function<void()> closed);

  [[nodiscard]] std::size_t running() const { return running_.size(); }

 private:
  struct Job;
  struct RunAsAccount {
    std::optional<std::uint32_t> uid;  // unset: stay as the agent
    std::optional<std::uint32_t> gid;
    std::string home = "/";
    std::string name;
  };

  void finish(const std::shared_ptr<Job>& job, v1::ActionResult result);
  void refuse(const std::shared_ptr<Job>& job, std::string_view rule, std::string message);
  void after_consent(const std::shared_ptr<Job>& job);
  void spawn(const std::shared_ptr<Job>& job);
  [[nodiscard]] Result<RunAsAccount> resolve_run_as(const v1::Action& action,
                                                    const catalog::ParameterValues& values) const;
  void maybe_closed();

  uv_loop_t* loop_;
  CatalogStore& catalogs_;
  IdempotencyStore& records_;
  const catalog::HostFacts& host_;
  ConsentHook consent_;
  ExecutorOptions options_;
  std::map<std::string, std::shared_ptr<Job>, std::less<>> in_flight_;  // by idempotency key
  std::set<Process*> running_;
  std::function<void()> on_closed_;
  bool closing_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace helpline::agent::actions
