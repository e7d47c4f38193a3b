#include "agent/cli/action_wiring.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>

#include "common/core/duration.h"
#include "common/core/files.h"
#include "common/core/json_writer.h"

namespace helpline::agent {

Result<std::map<std::string, std::string, std::less<>>> parse_program_overrides(
    std::string_view text) {
  std::map<std::string, std::string, std::less<>> out;
  while (!text.empty()) {
    auto end = text.find(';');
    std::string_view entry = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (entry.empty()) continue;
    auto eq = entry.find('=');
    if (eq == std::string_view::npos || eq == 0 || eq + 1 == entry.size() || entry[0] != '/' ||
        entry[eq + 1] != '/') {
      return fail("bad_config", std::string(kTestProgramsEnv) + ": '" +
                                    std::string(entry.substr(0, 200)) +
                                    "' is not /absolute/program=/absolute/replacement");
    }
    out.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  return out;
}

Result<std::string> read_org_key(const std::filesystem::path& file) {
  auto pem = files::read(file, kMaxOrgKeyFile);
  if (!pem) return fail(pem.error());
  if (auto key = catalog::load_public_key(*pem); !key) {
    return fail(key.error().code, file.string() + ": " + key.error().message);
  }
  return pem;
}

Result<std::string> pin_org_key(const std::filesystem::path& state_dir, std::string_view pem,
                                actions::PinSource source) {
  auto store = actions::CatalogStore::open(actions::catalog_dir(state_dir));
  if (!store) return fail(store.error());
  if (auto pinned = store->pin_org_key(pem, source, unix_now_ms()); !pinned) {
    return fail(pinned.error());
  }
  return store->pin() ? store->pin()->key_id : std::string();
}

namespace {

// An argument as the audit shows it: plain when that is unambiguous, else
// as a JSON string.
void append_argument(std::string& out, const std::string& arg) {
  const bool plain = !arg.empty() && std::all_of(arg.begin(), arg.end(), [](char c) {
    return c > 0x20 && c < 0x7f && c != '"' && c != '\\';
  });
  if (plain) {
    out += arg;
  } else {
    append_json_string(out, arg);
  }
}

}  // namespace

::helpline::audit::Entry action_audit_entry(const actions::ActionEvent& event) {
  using Kind = actions::ActionEvent::Kind;
  const v1::ActionRequest& request = event.request;
  ::helpline::audit::Entry entry;
  entry.at_ms = unix_now_ms();
  entry.event = event.kind == Kind::kStarted ? "action.start"
                : event.kind == Kind::kEnded ? "action.end"
                                             : "action.refused";
  entry.actor = event.requester == actions::Requester::kEndUser ? "user:" + request.requested_by()
                                                                : request.requested_by();
  entry.ticket = request.ticket_id();
  std::string& d = entry.detail;
  d = catalog::request_label(request);
  if (event.kind == Kind::kRefused) {
    d += ": refused (" + event.result->refused().rule() + "): " + event.result->refused().message();
  } else if (event.kind == Kind::kEnded) {
    d += ": " + catalog::run_outcome(*event.result);
    if (event.result->truncated()) d += ", output truncated";
  }
  if (event.kind != Kind::kEnded && !event.argv.empty()) {
    d += event.kind == Kind::kStarted ? " as " + event.run_as + ":" : "; would have run:";
    for (const std::string& arg : event.argv) {
      d += ' ';
      append_argument(d, arg);
    }
  }
  return entry;
}

void ActionRuntime::record(const actions::ActionEvent& event) {
  auto entry = action_audit_entry(event);
  entry.device = device_id_;
  audit_->record(std::move(entry));
}

void cap_result_output(v1::ActionResult& result) {
  if (result.output().size() <= kMaxResultOutput) return;
  result.mutable_output()->resize(kMaxResultOutput);
  result.set_truncated(true);
}

Result<std::unique_ptr<ActionRuntime>> ActionRuntime::open(
    uv_loop_t* loop, const std::filesystem::path& state_dir,
    std::function<std::optional<std::string>()> seat_user, LocalAudit* audit) {
  std::unique_ptr<ActionRuntime> runtime(new ActionRuntime());
  runtime->audit_ = audit;
  auto catalogs = actions::CatalogStore::open(actions::catalog_dir(state_dir));
  if (!catalogs) return fail(catalogs.error());
  runtime->catalogs_ = std::make_unique<actions::CatalogStore>(std::move(*catalogs));
  auto records = actions::IdempotencyStore::open(actions::records_dir(state_dir));
  if (!records) return fail(records.error());
  runtime->records_ = std::make_unique<actions::IdempotencyStore>(std::move(*records));

  consent::ConsentOptions consent_options;
  consent_options.logged_in_user = seat_user;
  if (const char* t = std::getenv(kTestConsentTimeoutEnv); t != nullptr && *t != '\0') {
    auto parsed = parse_duration(t);
    if (!parsed) return fail("bad_config", std::string(kTestConsentTimeoutEnv) + ": " +
                                               parsed.error().message);
    consent_options.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(*parsed);
    spdlog::warn("{} is set (test only): consent requests time out after {}",
                 kTestConsentTimeoutEnv, t);
  }
  runtime->broker_ = std::make_unique<consent::ConsentBroker>(loop, std::move(consent_options));

  actions::ExecutorOptions options;
  options.logged_in_user = seat_user;
  if (audit != nullptr) {
    options.on_event = [rt = runtime.get()](const actions::ActionEvent& e) { rt->record(e); };
  }
  if (const char* map = std::getenv(kTestProgramsEnv); map != nullptr && *map != '\0') {
    auto overrides = parse_program_overrides(map);
    if (!overrides) return fail(overrides.error());
    options.program_overrides = std::move(*overrides);
    spdlog::warn("{} is set (test only): {} catalog programs are replaced", kTestProgramsEnv,
                 options.program_overrides.size());
  }
  runtime->executor_ = std::make_unique<actions::Executor>(
      loop, *runtime->catalogs_, *runtime->records_, runtime->host_, runtime->broker_->hook(),
      std::move(options));
  if (const auto* installed = runtime->catalogs_->catalog()) {
    spdlog::info("action catalog version {} ({} actions)", installed->version(),
                 installed->actions_size());
  }
  return runtime;
}

ActionRuntime::~ActionRuntime() = default;

void ActionRuntime::attach(Link& link) {
  device_id_ = link.state().config.device_id;
  link.set_hello_extras([this](v1::Hello& hello) {
    hello.add_capabilities("action");
    hello.add_capabilities("catalog");
    hello.set_catalog_version(catalogs_->version());
  });
  add_handlers(link.requests());
}

void ActionRuntime::add_handlers(RequestDispatcher& requests) {
  requests.add(v1::Request::kCatalogOffer, [this](const v1::Request& request, Reply reply) {
    const v1::CatalogOffer& offer = request.catalog_offer();
    auto installed =
        catalogs_->install(offer.signed_catalog(), offer.org_key_pem(), unix_now_ms());
    if (!installed) {
      // The relay hears the rule; what is installed stays as it was.
      spdlog::warn("refused the catalog the relay offered: {} ({})", installed.error().message,
                   installed.error().code);
      reply(error_response(request.id(), installed.error().code, installed.error().message));
      return;
    }
    if (installed->pinned_now) {
      spdlog::warn("no organisation key was pinned: pinned the relay's key {} (trust on first use)",
                   catalogs_->pin() ? catalogs_->pin()->key_id : "");
    }
    if (!installed->unchanged) {
      spdlog::info("installed action catalog version {} (was {})", installed->version,
                   installed->previous_version);
    }
    v1::Response response;
    response.mutable_catalog_offer()->set_installed_version(installed->version);
    response.mutable_catalog_offer()->set_unchanged(installed->unchanged);
    reply(std::move(response));
  });
  requests.add(v1::Request::kAction, [this](const v1::Request& request, Reply reply) {
    const v1::ActionRequest& action = request.action();
    spdlog::info("action {} requested by {} (key {}, ticket {})", action.action_id().substr(0, 64),
                 action.requested_by().substr(0, 64), action.idempotency_key().substr(0, 128),
                 action.ticket_id());
    executor_->run(
        action, actions::Requester::kRelay, [](std::string_view) {},
        [reply](const v1::ActionResult& result) {
          if (result.has_refused()) {
            spdlog::warn("action {} refused: {} ({})", result.action_id().substr(0, 64),
                         result.refused().message(), result.refused().rule());
          } else {
            spdlog::info("action {} ended: exit {}, signal {}, {} ms{}", result.action_id(),
                         result.exit_code(), result.signal(), result.duration_ms(),
                         result.timed_out() ? " (timed out)" : "");
          }
          v1::Response response;
          *response.mutable_action() = result;
          cap_result_output(*response.mutable_action());
          reply(std::move(response));
        });
  });
}

void ActionRuntime::close(std::function<void()> closed) {
  auto remaining = std::make_shared<int>(2);
  auto one_done = [remaining, closed = std::move(closed)]() {
    if (--*remaining == 0 && closed) closed();
  };
  executor_->close(one_done);
  broker_->close(one_done);
}

}  // namespace helpline::agent
