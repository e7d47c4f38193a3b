#include "agent/actions/executor.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>

#include "agent/actions/process.h"
#include "agent/actions/session_user.h"
#include "common/core/time_format.h"

namespace helpline::agent::actions {

struct Executor::Job {
  v1::ActionRequest request;
  Requester requester = Requester::kRelay;
  std::string fingerprint;
  std::vector<DoneFn> waiters;
  OutputFn on_output;
  v1::Action action;  // a copy: the catalog may be replaced while consent is pending
  catalog::PreparedAction prepared;
  RunAsAccount account;
  UnixMillis started_at = 0;
  bool done = false;
};

namespace {

[[nodiscard]] bool printable_key(std::string_view key) {
  return !key.empty() && key.size() <= kMaxIdempotencyKeyLength &&
         std::all_of(key.begin(), key.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

[[nodiscard]] v1::ActionResult refusal(std::string_view rule, std::string message) {
  v1::ActionResult result;
  result.mutable_refused()->set_rule(std::string(rule));
  result.mutable_refused()->set_message(std::move(message));
  return result;
}

}  // namespace

Executor::Executor(uv_loop_t* loop, CatalogStore& catalogs, IdempotencyStore& records,
                   const catalog::HostFacts& host, ConsentHook consent, ExecutorOptions options)
    : loop_(loop),
      catalogs_(catalogs),
      records_(records),
      host_(host),
      consent_(std::move(consent)),
      options_(std::move(options)) {
  if (!options_.logged_in_user) options_.logged_in_user = &active_session_user;
}

Executor::~Executor() { *alive_ = false; }

void Executor::run(const v1::ActionRequest& request, Requester requester, OutputFn on_output,
                   DoneFn on_done) {
  const std::string& key = request.idempotency_key();
  if (!printable_key(key)) {
    v1::ActionResult r = refusal("bad_request",
                                 "the idempotency key must be 1 to 128 printable "
                                 "characters without spaces");
    r.set_action_id(request.action_id());
    on_done(r);
    return;
  }
  std::string fingerprint = request_fingerprint(request);
  auto conflict = [&]() {
    v1::ActionResult r = refusal("idempotency_conflict",
                                 "idempotency key " + key + " was used for a different request");
    r.set_idempotency_key(key);
    r.set_action_id(request.action_id());
    on_done(r);
  };
  if (auto it = in_flight_.find(key); it != in_flight_.end()) {
    if (it->second->fingerprint != fingerprint) return conflict();
    it->second->waiters.push_back(std::move(on_done));
    return;
  }
  if (auto found = records_.find(key)) {
    if (found->fingerprint != fingerprint) return conflict();
    on_done(found->result);
    return;
  }
  if (closing_) {
    v1::ActionResult r = refusal("shutting_down", "the agent is stopping; ask again later");
    r.set_idempotency_key(key);
    on_done(r);
    return;
  }

  auto job = std::make_shared<Job>();
  job->request = request;
  job->requester = requester;
  job->fingerprint = std::move(fingerprint);
  job->waiters.push_back(std::move(on_done));
  job->on_output = std::move(on_output);
  in_flight_.emplace(key, job);

  const v1::Catalog* catalog = catalogs_.catalog();
  if (catalog == nullptr) {
    return refuse(job, "no_catalog", "no verified action catalog is installed on this device");
  }
  if (request.catalog_version() != catalog->version()) {
    return refuse(job, "catalog_version_mismatch",
                  "the request is for catalog version " +
                      std::to_string(request.catalog_version()) + ", this device has version " +
                      std::to_string(catalog->version()));
  }
  const v1::Action* action = catalog::find_action(*catalog, request.action_id());
  if (action == nullptr) {
    return refuse(job, "unknown_action",
                  "action \"" + request.action_id().substr(0, 64) +
                      "\" is not in the signed catalog version " +
                      std::to_string(catalog->version()));
  }
  job->action = *action;
  const auto& platforms = action->platforms();
  if (std::find(platforms.begin(), platforms.end(), catalog::this_platform()) == platforms.end()) {
    return refuse(
        job, "wrong_platform",
        "action " + action->id() + " is not for " + std::string(catalog::this_platform()));
  }
  if (requester == Requester::kEndUser && !action->self_service()) {
    return refuse(job, "not_self_service",
                  "action " + action->id() + " may only be run by the helpdesk");
  }
  catalog::ParameterValues given(request.parameters().begin(), request.parameters().end());
  auto prepared = catalog::prepare_action(job->action, given, host_);
  if (!prepared) return refuse(job, prepared.error().code, prepared.error().message);
  job->prepared = std::move(*prepared);
  auto account = resolve_run_as(job->action, job->prepared.values);
  if (!account) return refuse(job, account.error().code, account.error().message);
  job->account = std::move(*account);

  if (!job->action.needs_consent() || requester == Requester::kEndUser) {
    return after_consent(job);
  }
  if (!consent_) {
    return refuse(job, "consent_denied",
                  "this action needs the user's consent and no one can "
                  "be asked on this device");
  }
  ConsentRequest ask;
  ask.action_id = job->action.id();
  ask.title = job->action.title();
  ask.description = job->action.description();
  ask.risk = job->action.risk();
  ask.requested_by = request.requested_by();
  ask.ticket_id = request.ticket_id();
  ask.argv = job->prepared.argv;
  std::weak_ptr<bool> alive = alive_;
  auto answered = std::make_shared<bool>(false);
  consent_(ask, [this, alive, answered, job](bool approved, std::string reason) {
    if (alive.expired() || *answered || job->done) return;
    *answered = true;
    if (!approved) {
      return refuse(job, "consent_denied",
                    "the user did not approve action " + job->action.id() +
                        (reason.empty() ? std::string() : ": " + reason));
    }
    after_consent(job);
  });
}

Result<Executor::RunAsAccount> Executor::resolve_run_as(
    const v1::Action& action, const catalog::ParameterValues& values) const {
  std::string name;
  const auto& run_as = action.run_as();
  if (run_as.has_logged_in_user()) {
    auto user = options_.logged_in_user();
    if (!user) {
      return fail("no_logged_in_user",
                  "action " + action.id() + " runs as the logged-in user and no one is logged in");
    }
    name = *user;
  } else if (run_as.has_user()) {
    name = run_as.user();
  } else if (run_as.has_user_parameter()) {
    auto it = values.find(run_as.user_parameter());
    if (it == values.end()) {
      return fail("unknown_user", "action " + action.id() + ": parameter " +
                                      run_as.user_parameter() + " has no value");
    }
    name = it->second;
  } else {
    name = "root";
  }
  auto info = host_.find_user(name);
  if (!info) return fail("unknown_user", "action " + action.id() + ": no local user " + name);
  RunAsAccount account;
  account.name = name;
  account.home = info->home.empty() ? "/" : info->home;
  std::uint32_t self = options_.agent_uid ? *options_.agent_uid : ::geteuid();
  if (info->uid == self) return account;
  if (self != 0) {
    return fail("cannot_switch_user", "action " + action.id() + " runs as " + name +
                                          " and the agent does not run as root");
  }
  account.uid = info->uid;
  account.gid = info->gid;
  return account;
}

void Executor::after_consent(const std::shared_ptr<Job>& job) {
  if (closing_) return refuse(job, "shutting_down", "the agent is stopping; ask again later");
  job->started_at = unix_now_ms();
  // Recorded before it starts: if the agent dies now, a repeat is answered
  // with "interrupted" instead of running the action a second time.
  v1::ActionResult marker =
      refusal(kInterruptedRule,
              "the agent stopped while action " + job->action.id() + " ran; it is not run again");
  marker.set_idempotency_key(job->request.idempotency_key());
  marker.set_action_id(job->action.id());
  marker.set_catalog_version(job->request.catalog_version());
  marker.set_started_at_ms(job->started_at);
  if (auto w = records_.put(job->request.idempotency_key(), job->fingerprint, marker); !w) {
    return refuse(job, "record_failed",
                  "cannot record the request before running it: " + w.error().message);
  }
  spawn(job);
}

void Executor::spawn(const std::shared_ptr<Job>& job) {
  SpawnSpec spec;
  spec.argv = job->prepared.argv;
  spec.program = spec.argv.front();
  if (auto it = options_.program_overrides.find(spec.program);
      it != options_.program_overrides.end()) {
    spec.program = it->second;
    spec.argv.front() = it->second;
  }
  spec.env = {"PATH=" + options_.path, "LC_ALL=C", "HOME=" + job->account.home,
              "USER=" + job->account.name, "LOGNAME=" + job->account.name};
  if (job->account.uid) spec.uid = static_cast<uid_t>(*job->account.uid);
  if (job->account.gid) spec.gid = static_cast<gid_t>(*job->account.gid);
  spec.timeout = std::chrono::milliseconds(job->action.timeout_ms());
  spec.max_output = job->action.max_output_bytes();
  spec.kill_grace = options_.kill_grace;
  spec.drain_after_exit = options_.drain_after_exit;

  auto holder = std::make_shared<Process*>(nullptr);
  auto started = Process::start(
      loop_, std::move(spec),
      [job](std::string_view chunk) {
        if (job->on_output) job->on_output(chunk);
      },
      [this, job, holder](const ProcessOutcome& outcome) {
        running_.erase(*holder);
        v1::ActionResult result;
        result.set_exit_code(outcome.exit_code);
        result.set_signal(outcome.signal);
        result.set_timed_out(outcome.timed_out);
        result.set_duration_ms(outcome.duration_ms);
        result.set_output(outcome.output);
        result.set_truncated(outcome.truncated);
        spdlog::info("actions: {} ({}) ended: exit {}, signal {}{}{}", job->action.id(),
                     job->request.idempotency_key(), outcome.exit_code, outcome.signal,
                     outcome.timed_out ? ", timed out" : "",
                     outcome.truncated ? ", output truncated" : "");
        finish(job, std::move(result));
        maybe_closed();
      });
  if (!started) return refuse(job, "spawn_failed", started.error().message);
  *holder = *started;
  running_.insert(*started);
  if (options_.on_event) {
    options_.on_event(ActionEvent{ActionEvent::Kind::kStarted, job->request, job->requester,
                                  job->prepared.argv, job->account.name, nullptr});
  }
  spdlog::info("actions: running {} for {} (ticket {}, key {}) as {}", job->action.id(),
               job->request.requested_by(), job->request.ticket_id(),
               job->request.idempotency_key(), job->account.name);
}

void Executor::refuse(const std::shared_ptr<Job>& job, std::string_view rule, std::string message) {
  spdlog::warn("actions: refused {} ({}): {}: {}", job->request.action_id().substr(0, 64),
               job->request.idempotency_key(), rule, message);
  finish(job, refusal(rule, std::move(message)));
}

void Executor::finish(const std::shared_ptr<Job>& job, v1::ActionResult result) {
  if (job->done) return;
  job->done = true;
  result.set_idempotency_key(job->request.idempotency_key());
  result.set_action_id(job->request.action_id());
  result.set_catalog_version(job->request.catalog_version());
  result.set_started_at_ms(job->started_at);
  // A refusal because the agent is stopping is not the request's answer:
  // it is not recorded, so a repeat after restart is handled afresh.
  if (!(result.has_refused() && result.refused().rule() == "shutting_down")) {
    if (auto w = records_.put(job->request.idempotency_key(), job->fingerprint, result); !w) {
      spdlog::error("actions: cannot record the result of {}: {}", job->action.id(),
                    w.error().to_string());
    }
  }
  const bool refused = result.has_refused();
  if (options_.on_event && !(refused && result.refused().rule() == "shutting_down")) {
    options_.on_event(ActionEvent{refused ? ActionEvent::Kind::kRefused : ActionEvent::Kind::kEnded,
                                  job->request, job->requester, job->prepared.argv,
                                  job->account.name, &result});
  }
  in_flight_.erase(job->request.idempotency_key());
  auto waiters = std::move(job->waiters);
  job->on_output = nullptr;
  for (auto& waiter : waiters) waiter(result);
}

void Executor::close(std::function<void()> closed) {
  closing_ = true;
  on_closed_ = std::move(closed);
  // Pending consents end now; running processes end through their exit.
  std::vector<std::shared_ptr<Job>> pending;
  for (auto& [key, job] : in_flight_) pending.push_back(job);
  for (auto& job : pending) {
    // started_at is set once consent is through and the process spawns.
    if (job->started_at == 0) {
      refuse(job, "shutting_down", "the agent is stopping; ask again later");
    }
  }
  for (Process* p : running_) p->kill_now();
  maybe_closed();
}

void Executor::maybe_closed() {
  if (!closing_ || !running_.empty() || !on_closed_) return;
  auto closed = std::move(on_closed_);
  on_closed_ = nullptr;
  closed();
}

}  // namespace helpline::agent::actions
