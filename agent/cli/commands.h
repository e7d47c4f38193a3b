// agent/cli: the helpline-agent subcommands behind main.cpp's argument
// parsing. Each returns what to print on success, or an Error that main
// prints as one line "helpline-agent: <message>" and turns into the exit
// code exit_code_for() gives.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/core/result.h"

namespace helpline::agent {

inline constexpr const char* kDefaultStateDir = "/var/lib/helpline/agent";
inline constexpr const char* kStateDirEnv = "HELPLINE_AGENT_STATE";

// --state if given, else $HELPLINE_AGENT_STATE, else kDefaultStateDir.
[[nodiscard]] std::filesystem::path state_dir_from(const std::optional<std::string>& flag);

// 78 for "revoked" (kExitRevoked), 1 for everything else.
[[nodiscard]] int exit_code_for(const Error& error);

struct EnrollArgs {
  std::string relay;
  std::string token;
  std::string ca_pin;
  std::filesystem::path state_dir;
  std::filesystem::path org_key;  // the organisation's public key to pin; empty: none
  bool force = false;
  bool json = false;
  bool by_installer = false;  // a per-group installer enrolls: the pin records "installer"
};
// "enrolled as dev_x (group G) with relay HOST:PORT\n", or one JSON object.
[[nodiscard]] Result<std::string> enroll_command(const EnrollArgs& args);

struct RunArgs {
  std::filesystem::path state_dir;
  std::optional<std::string> heartbeat;  // overrides agent.toml
  std::filesystem::path socket;          // the local socket (local::socket_path_from)
};
// Runs until SIGTERM/SIGINT (success) or until the relay revokes the
// device (error code "revoked"): the link, remote collection, the spool and
// its delivery, and the local socket for end-user commands. Logging must
// be set up by the caller.
[[nodiscard]] Result<void> run_command(const RunArgs& args);

struct StatusArgs {
  std::filesystem::path state_dir;
  bool json = false;
};
[[nodiscard]] Result<std::string> status_command(const StatusArgs& args);

struct CollectArgs {
  // agent.toml here gives the device id and the optional [collect] table;
  // without one (not enrolled) the defaults apply.
  std::filesystem::path state_dir;
  std::string sections;                      // "system,logs"; empty: every section
  std::optional<std::string> since;          // journal from this long ago ("2h")
  std::optional<std::filesystem::path> out;  // default: ./helpline-bundle-<host>-<time>.hlb
  std::filesystem::path root = "/";          // read files below this (tests)
  bool json = false;
};
// Collects, redacts and writes a bundle (mode 0600), then prints its id,
// sizes, collector summary and findings. Needs no relay. Errors:
// "unknown_section" listing the valid ones, "bad_duration", "bad_config",
// "bad_redact_pattern", "write_failed", and collect_bundle's.
[[nodiscard]] Result<std::string> collect_command(const CollectArgs& args);

struct ShowArgs {
  std::filesystem::path file;
  bool json = false;
};
// A readable summary of a bundle file with its findings. Errors:
// "read_failed", and the decoder's ("truncated", "corrupted",
// "not_a_bundle", "too_large", "unsupported_version") naming the file.
[[nodiscard]] Result<std::string> show_command(const ShowArgs& args);

struct RetireArgs {
  std::filesystem::path state_dir;
  std::string reason = "package purged";
  std::chrono::milliseconds timeout{15'000};
  bool json = false;
};
// Tells the relay this device is being uninstalled: it is marked retired
// and revoked. Errors: "not_enrolled", "unreachable" and the relay's, each
// naming the device and how an admin can revoke it instead; "revoked" when
// the relay had revoked it already.
[[nodiscard]] Result<std::string> retire_command(const RetireArgs& args);

// --- the end user's helpdesk (ticket_commands.cpp), through the daemon's
// local socket (agent/local). Errors: the daemon's ("bad_value" naming the
// field, "offline", "not_found", ...) and the socket's
// ("agent_not_running", "timeout").

struct ReportArgs {
  std::filesystem::path socket;
  std::string title;
  std::string description;
  std::string since;
  std::string frequency;
  std::string affects;
  std::string symptoms;
  std::string business_impact;
  std::string category;
  int impact = 0;    // 1..5; 0: ask (interactive) or 3
  int urgency = 0;   // 1..5; 0: ask (interactive) or 3
  bool no_bundle = false;
  bool json = false;
  bool interactive = false;  // ask for what is missing on the terminal
  std::chrono::milliseconds wait{20'000};  // for the relay's answer; 0: do not wait
};
// Opens a ticket from this machine: "Ticket HL-12 opened ..." with the
// priority and the expected response time, or that it is queued while the
// relay is unreachable. JSON: {"id", "priority", "status", "response_due",
// "queued_id", "delivered", "acknowledgement"}.
[[nodiscard]] Result<std::string> report_command(ReportArgs args);

struct TicketsArgs {
  std::filesystem::path socket;
  bool all = false;  // closed ones too
  bool json = false;
};
// The tickets this person opened from this machine, with their status.
[[nodiscard]] Result<std::string> tickets_command(const TicketsArgs& args);

struct TicketArgs {
  std::filesystem::path socket;
  std::string id;
  bool json = false;
};
// One ticket with its public conversation.
[[nodiscard]] Result<std::string> ticket_command(const TicketArgs& args);

struct KbArgs {
  std::filesystem::path socket;
  std::vector<std::string> ids;  // read these articles
  std::string search;            // or list those matching these words
  bool json = false;
};
// Knowledge-base articles the helpdesk published for end users (audience
// public), from the relay (the link must be up): the text of the ones
// named, or the titles of those matching a search.
[[nodiscard]] Result<std::string> kb_command(const KbArgs& args);

struct ReplyArgs {
  std::filesystem::path socket;
  std::string id;
  std::string message;
  bool json = false;
  std::chrono::milliseconds wait{20'000};
};
[[nodiscard]] Result<std::string> reply_command(const ReplyArgs& args);

struct RateArgs {
  std::filesystem::path socket;
  std::string id;
  int rating = 0;  // 1..5
  std::string comment;
  bool json = false;
  std::chrono::milliseconds wait{20'000};
};
[[nodiscard]] Result<std::string> rate_command(const RateArgs& args);

struct SendBundleArgs {
  std::filesystem::path socket;
  std::string sections;            // "system,logs"; empty: every section
  std::optional<std::string> since;  // journal from this long ago ("2h")
  std::string ticket;              // "HL-12" or ""
  bool json = false;
  std::chrono::milliseconds wait{20'000};
};
// Has the daemon collect a bundle and send it to the helpdesk (through the
// spool: it goes when the relay is reachable). Prints the bundle id once
// delivered. JSON: {"bundle_id", "queued_id", "delivered"}.
[[nodiscard]] Result<std::string> send_bundle_command(const SendBundleArgs& args);

struct SpoolArgs {
  std::filesystem::path socket;
  bool json = false;
};
// What waits in the daemon's spool for the relay.
[[nodiscard]] Result<std::string> spool_command(const SpoolArgs& args);

// --- consent and self-service fixes (action_commands.cpp) ---

struct ConsentArgs {
  std::filesystem::path socket;
  bool list = false;
  std::string approve;  // an id
  std::string deny;     // an id
  bool json = false;
  bool interactive = false;  // neither list nor an answer: ask on the terminal
};
// --list: the pending requests (who, what, ticket, argv, expiry); --approve
// / --deny ID: answers one; interactive: shows each and asks y/n. Errors:
// the daemon's ("forbidden", "not_found") and the socket's.
[[nodiscard]] Result<std::string> consent_command(const ConsentArgs& args);

struct FixesArgs {
  std::filesystem::path socket;
  bool json = false;
};
// The self-service actions of the installed catalog with their text.
[[nodiscard]] Result<std::string> fixes_command(const FixesArgs& args);

struct FixArgs {
  std::filesystem::path socket;
  std::string action;
  std::vector<std::string> parameters;  // "name=value"
  bool json = false;
};
// Runs one self-service action through the daemon and prints its output.
// A refusal is an Error naming the rule; a non-zero exit is an Error
// "action_failed" after the output.
[[nodiscard]] Result<std::string> fix_command(const FixArgs& args);

// --- remote sessions (session_commands.cpp, docs/sessions.md), through
// the daemon's local socket; for the seat user and root. Errors: the
// daemon's ("forbidden", "not_found") and the socket's.

struct SessionsArgs {
  std::filesystem::path socket;
  bool json = false;
};
// The active sessions: who, why, what, since when.
[[nodiscard]] Result<std::string> sessions_command(const SessionsArgs& args);

struct EndArgs {
  std::filesystem::path socket;
  std::string session;  // "": every active session
  std::string reason;
  bool json = false;
};
// Ends one session (or all) at once; the technician is told.
[[nodiscard]] Result<std::string> end_command(const EndArgs& args);

struct AuditArgs {
  std::filesystem::path socket;
  unsigned last = 100;
  bool json = false;
};
// The local audit (sessions and actions), newest last, and whether its chain verifies
// (an error "audit_broken" naming the first bad entry when it does not).
[[nodiscard]] Result<std::string> audit_command(const AuditArgs& args);

}  // namespace helpline::agent
