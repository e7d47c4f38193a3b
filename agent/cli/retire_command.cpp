// `helpline-agent retire`: tells the relay that this device's agent is being
// uninstalled (the package's purge runs it, with the daemon already
// stopped), over one short-lived link of its own.
#include <spdlog/spdlog.h>
#include <uv.h>

#include <optional>

#include "agent/cli/commands.h"
#include "agent/link/link.h"
#include "common/core/json_writer.h"
#include "common/core/time_format.h"

namespace helpline::agent {

namespace {

struct RetireRun {
  Link* link = nullptr;
  uv_timer_t timer{};
  std::optional<Result<v1::Response>> answer;
};

}  // namespace

Result<std::string> retire_command(const RetireArgs& args) {
  if (args.reason.size() > 200) return fail("bad_value", "--reason: at most 200 characters");
  auto state = load_state(args.state_dir);
  if (!state) return fail(state.error());
  std::string device = state->config.device_id;
  auto proxy = choose_proxy(ProxyEnv::from_environment(), state->config.proxy, state->config.relay);
  if (!proxy) return fail(proxy.error());

  LinkConfig config;
  config.host = read_host_info();
  config.proxy = *proxy;
  config.state = std::move(*state);
  // One attempt, then a short wait: a purge must not hang on a dead relay.
  config.connect_timeout = std::min(args.timeout, std::chrono::milliseconds(30'000));
  uv_loop_t loop;
  if (int rc = uv_loop_init(&loop); rc != 0) {
    return fail("loop_failed", std::string("cannot start the event loop: ") + uv_strerror(rc));
  }
  auto link = Link::create(&loop, std::move(config));
  if (!link) {
    (void)uv_loop_close(&loop);
    return fail(link.error());
  }
  RetireRun run;
  run.link = link->get();
  uv_timer_init(&loop, &run.timer);
  run.timer.data = &run;
  uv_timer_start(
      &run.timer,
      [](uv_timer_t* timer) {
        auto* r = static_cast<RetireRun*>(timer->data);
        if (!r->answer) {
          r->answer = fail("unreachable", "no answer from the relay in time");
        }
        r->link->stop();
      },
      static_cast<std::uint64_t>(args.timeout.count()), 0);
  (*link)->set_on_up([&run, &args] {
    v1::Request request;
    request.mutable_retire()->set_reason(args.reason);
    auto sent = run.link->request(std::move(request), args.timeout,
                                  [&run](Result<v1::Response> answer) {
                                    if (!run.answer) run.answer = std::move(answer);
                                    run.link->stop();
                                  });
    if (!sent && !run.answer) run.answer = fail(sent.error());
  });
  (*link)->set_on_stopped([&run] { uv_close(reinterpret_cast<uv_handle_t*>(&run.timer), nullptr); });
  (*link)->start();
  uv_run(&loop, UV_RUN_DEFAULT);
  int exit_code = (*link)->exit_code();
  link->reset();
  (void)uv_loop_close(&loop);

  std::string hint = "; the relay still lists " + device +
                     ": an admin can revoke it with `helpline devices revoke " + device + "`";
  if (exit_code == kExitRevoked && (!run.answer || !*run.answer)) {
    return fail("revoked", "the relay had already revoked " + device + "; nothing to retire");
  }
  if (!run.answer) return fail("unreachable", "could not reach the relay" + hint);
  if (!*run.answer) return fail(run.answer->error().code, run.answer->error().message + hint);
  const v1::Response& response = **run.answer;
  if (response.has_error()) {
    return fail(response.error().code(), response.error().message() + hint);
  }
  UnixMillis at = response.retire().retired_at_ms();
  if (args.json) {
    JsonWriter json;
    json.begin_object().field("device_id", device).field("retired_at", format_rfc3339(at)).end_object();
    return json.str() + "\n";
  }
  return "retired " + device + " at the relay (" + format_rfc3339(at) + ")\n";
}

}  // namespace helpline::agent
