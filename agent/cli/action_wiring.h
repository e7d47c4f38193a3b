// The daemon's remediation actions (helpline-agent run): the catalog pin
// store and idempotency records in the state directory, the consent broker,
// the executor, and the handlers for the relay's CatalogOffer and
// ActionRequest (docs/protocol.md, "Actions").
//
// Test-only: $HELPLINE_AGENT_TEST_PROGRAMS maps catalog programs to other
// programs ("/usr/bin/resolvectl=/tmp/t/fake.sh;/usr/bin/systemctl=..."),
// exactly like ExecutorOptions::program_overrides, so end-to-end tests run
// real catalog actions without changing the test machine. It is logged as a
// warning when set; production installs never set it. The consent timeout
// can be shortened for tests with $HELPLINE_AGENT_TEST_CONSENT_TIMEOUT
// ("2s"); it is likewise logged.
//
// Thread: the loop's thread. Lifetime: create after the Link, close() in
// the link's on_stopped, destroy after the loop ended.
#pragma once

#include <uv.h>

#include <filesystem>
#include <functional>
#include <memory>

#include "agent/actions/actions.h"
#include "agent/audit/local_audit.h"
#include "agent/consent/consent_broker.h"
#include "agent/link/link.h"
#include "common/catalog/catalog.h"
#include "common/core/result.h"

namespace helpline::agent {

inline constexpr const char* kTestProgramsEnv = "HELPLINE_AGENT_TEST_PROGRAMS";
inline constexpr const char* kTestConsentTimeoutEnv = "HELPLINE_AGENT_TEST_CONSENT_TIMEOUT";
// The most output one ActionResult carries on the tunnel, so a result
// always fits one frame (the default maximum is 1 MiB); more is cut and
// marked truncated.
inline constexpr std::size_t kMaxResultOutput = 512u << 10;

// "a=b;c=d" -> {a: b, c: d}. Errors: "bad_config" naming the entry.
[[nodiscard]] Result<std::map<std::string, std::string, std::less<>>> parse_program_overrides(
    std::string_view text);

inline constexpr std::size_t kMaxOrgKeyFile = 64u << 10;

// The organisation public key in `file` (PEM), checked to be Ed25519.
// Errors: "read_failed", "bad_key" naming the file.
[[nodiscard]] Result<std::string> read_org_key(const std::filesystem::path& file);
// Pins `pem` in <state>/catalog and returns its key id. Errors: the
// CatalogStore's ("org_key_pinned" when another key is pinned explicitly).
[[nodiscard]] Result<std::string> pin_org_key(const std::filesystem::path& state_dir,
                                              std::string_view pem, actions::PinSource source);

// Cuts `result`'s output to kMaxResultOutput (marking it truncated).
void cap_result_output(v1::ActionResult& result);

class ActionRuntime {
 public:
  // Opens <state>/catalog and <state>/actions. `seat_user` says who is
  // logged in at the seat (consent answers, run_as logged-in-user); unset:
  // systemd-logind. Every run and refusal is written to `audit` (which
  // outlives the runtime) when one is given. Errors: the stores'.
  [[nodiscard]] static Result<std::unique_ptr<ActionRuntime>> open(
      uv_loop_t* loop, const std::filesystem::path& state_dir,
      std::function<std::optional<std::string>()> seat_user = {}, LocalAudit* audit = nullptr);
  ActionRuntime(const ActionRuntime&) = delete;
  ActionRuntime& operator=(const ActionRuntime&) = delete;
  ~ActionRuntime();

  // Adds "action" and "catalog" and the installed catalog version to the
  // link's Hello, and registers the handlers on its dispatcher.
  void attach(Link& link);
  // CatalogOffer (install or Error{rule}) and ActionRequest (the executor,
  // Requester::kRelay; the result's output capped to kMaxResultOutput).
  void add_handlers(RequestDispatcher& requests);

  // Kills running actions, refuses pending consents; `closed` runs once
  // every handle is closed.
  void close(std::function<void()> closed);

  [[nodiscard]] actions::CatalogStore& catalogs() { return *catalogs_; }
  [[nodiscard]] actions::Executor& executor() { return *executor_; }
  [[nodiscard]] consent::ConsentBroker& broker() { return *broker_; }

 private:
  ActionRuntime() = default;
  void record(const actions::ActionEvent& event);

  std::unique_ptr<actions::CatalogStore> catalogs_;
  std::unique_ptr<actions::IdempotencyStore> records_;
  catalog::SystemHostFacts host_;
  std::unique_ptr<consent::ConsentBroker> broker_;
  std::unique_ptr<actions::Executor> executor_;
  LocalAudit* audit_ = nullptr;
  std::string device_id_;  // from the link, at attach()
};

// What the local audit says of an action event: the event name
// ("action.start", "action.end", "action.refused"), the actor (the
// technician, or "user:<login>" for a self-service fix) and the detail.
[[nodiscard]] ::helpline::audit::Entry action_audit_entry(const actions::ActionEvent& event);

}  // namespace helpline::agent
