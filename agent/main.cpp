// helpline-agent: argument parsing and exit codes; the work is in agent/cli.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <exception>
#include <iostream>
#include <unistd.h>
#include <string>

#include "agent/cli/commands.h"
#include "agent/local/local_socket.h"
#include "common/core/duration.h"
#include "common/log/log.h"

namespace {

constexpr int kExitUsage = 2;

int report(const helpline::Error& error) {
  std::fprintf(stderr, "helpline-agent: %s\n", error.message.c_str());
  return helpline::agent::exit_code_for(error);
}

int print(const helpline::Result<std::string>& output) {
  if (!output) return report(output.error());
  std::fputs(output->c_str(), stdout);
  return 0;
}

int run(int argc, char** argv) {
  namespace agent = helpline::agent;
  CLI::App app{
      "helpline-agent: the Helpline endpoint agent. It keeps one outbound TLS tunnel "
      "to the relay so the helpdesk can diagnose and assist this machine.",
      "helpline-agent"};
  app.set_version_flag("--version", "helpline-agent " HELPLINE_VERSION);
  app.require_subcommand(1);

  std::string state;
  const std::string state_help = std::string("state directory (default $") + agent::kStateDirEnv +
                                 ", else " + agent::kDefaultStateDir + ")";

  agent::EnrollArgs enroll;
  CLI::App* enroll_cmd = app.add_subcommand("enroll", "enroll this device with a relay");
  enroll_cmd->add_option("--relay", enroll.relay, "relay address, HOST:PORT")->required();
  enroll_cmd->add_option("--token", enroll.token, "enrollment token from the relay admin")
      ->envname("HELPLINE_ENROLL_TOKEN")
      ->required();
  enroll_cmd->add_option("--ca-pin", enroll.ca_pin, "relay CA fingerprint, SHA256:<hex>")
      ->required();
  enroll_cmd->add_option("--state", state, state_help);
  enroll_cmd->add_flag("--force", enroll.force, "replace an existing enrollment");
  std::string org_key;
  enroll_cmd->add_option("--org-key", org_key,
                         "the organisation's public key (org.pub): pin it so only catalogs it "
                         "signed are accepted");
  enroll_cmd->add_flag("--json", enroll.json, "print the result as JSON");
  enroll_cmd->add_flag("--by-installer", enroll.by_installer,
                       "record that a per-group installer pinned --org-key (set by "
                       "/usr/lib/helpline/helpline-agent-enroll)");

  agent::RunArgs run_args;
  std::string heartbeat;
  std::string log_level = "info";
  bool log_json = false;
  CLI::App* run_cmd = app.add_subcommand("run", "keep the tunnel to the relay open (the daemon)");
  run_cmd->add_option("--state", state, state_help);
  run_cmd->add_option("--heartbeat", heartbeat,
                      "heartbeat interval, e.g. 30s (overrides agent.toml)");
  run_cmd->add_option("--log-level", log_level, "trace, debug, info, warn, error or off");
  run_cmd->add_flag("--log-json", log_json, "log one JSON object per line");
  std::string socket;
  const std::string socket_help = std::string("the agent's local socket (default $") +
                                  agent::local::kSocketEnv + ", else " +
                                  agent::local::kSystemSocket + " for root)";
  run_cmd->add_option("--socket", socket, socket_help);

  agent::RetireArgs retire_args;
  std::string retire_timeout = "15s";
  CLI::App* retire_cmd = app.add_subcommand(
      "retire", "tell the relay this device is being uninstalled (run by the package's purge)");
  retire_cmd->add_option("--state", state, state_help);
  retire_cmd->add_option("--reason", retire_args.reason, "why, for the relay's log");
  retire_cmd->add_option("--timeout", retire_timeout, "give up after this long (default 15s)");
  retire_cmd->add_flag("--json", retire_args.json, "print the result as JSON");

  agent::StatusArgs status;
  CLI::App* status_cmd = app.add_subcommand("status", "show enrollment and connection state");
  status_cmd->add_option("--state", state, state_help);
  status_cmd->add_flag("--json", status.json, "print as JSON");

  agent::CollectArgs collect;
  std::string collect_out;
  std::string since;
  std::string root;
  CLI::App* collect_cmd = app.add_subcommand(
      "collect", "collect a redacted diagnostic bundle into a local file (no relay needed)");
  collect_cmd->add_option("--sections", collect.sections,
                          "comma-separated sections or collectors (default: all): system, "
                          "hardware, storage, network, software, services, processes, logs");
  collect_cmd->add_option("--since", since,
                          "journal entries from this long ago, e.g. 2h (default: the most recent only)");
  collect_cmd->add_option("--out", collect_out,
                          "bundle file to write (default ./helpline-bundle-<host>-<time>.hlb)");
  collect_cmd->add_option("--state", state, state_help);
  collect_cmd->add_flag("--json", collect.json, "print the result as JSON");
  // Tests collect from a recorded tree (tests/data/fake-root); hidden from --help.
  collect_cmd->add_option("--root", root, "read system files below this directory")->group("");

  agent::ShowArgs show;
  CLI::App* show_cmd =
      app.add_subcommand("show", "print a summary of a bundle file and its findings");
  show_cmd->add_option("file", show.file, "bundle file (from collect or helpline diag get)")
      ->required();
  show_cmd->add_flag("--json", show.json, "print as JSON");

  // --- the end user's helpdesk, through the running agent ---
  std::string wait = "20s";
  const char* wait_help = "how long to wait for the relay's answer (0: do not wait)";
  agent::ReportArgs report_args;
  CLI::App* report_cmd =
      app.add_subcommand("report", "report a problem to the helpdesk (asks what is missing)");
  report_cmd->add_option("--title", report_args.title, "what does not work, in one line");
  report_cmd->add_option("--description", report_args.description, "the problem in your words");
  report_cmd->add_option("--since", report_args.since, "since when (\"this morning\", a date)");
  report_cmd->add_option("--frequency", report_args.frequency, "how often or how long");
  report_cmd->add_option("--affects", report_args.affects, "the application or device affected");
  report_cmd->add_option("--symptoms", report_args.symptoms, "what you see (error message)");
  report_cmd->add_option("--business-impact", report_args.business_impact,
                         "what it stops you from doing");
  report_cmd->add_option("--category", report_args.category,
                         "hardware, software, network, access, request or other");
  report_cmd->add_option("--impact", report_args.impact, "1 (very low: just me) .. 5 (very high: everyone)")
      ->check(CLI::Range(1, 5));
  report_cmd->add_option("--urgency", report_args.urgency, "1 (very low: it can wait) .. 5 (very high: I cannot work)")
      ->check(CLI::Range(1, 5));
  report_cmd->add_flag("--no-bundle", report_args.no_bundle,
                       "do not attach a diagnostics bundle of this machine");
  report_cmd->add_flag("--json", report_args.json, "print the result as JSON");
  report_cmd->add_option("--wait", wait, wait_help);
  report_cmd->add_option("--socket", socket, socket_help);

  agent::TicketsArgs tickets_args;
  CLI::App* tickets_cmd = app.add_subcommand("tickets", "list your tickets from this machine");
  tickets_cmd->add_flag("--all", tickets_args.all, "closed ones too");
  tickets_cmd->add_flag("--json", tickets_args.json, "print as JSON");
  tickets_cmd->add_option("--socket", socket, socket_help);

  agent::TicketArgs ticket_args;
  CLI::App* ticket_cmd = app.add_subcommand("ticket", "show one of your tickets");
  ticket_cmd->add_option("id", ticket_args.id, "ticket id, e.g. HL-12")->required();
  ticket_cmd->add_flag("--json", ticket_args.json, "print as JSON");
  ticket_cmd->add_option("--socket", socket, socket_help);

  agent::KbArgs kb_args;
  CLI::App* kb_cmd =
      app.add_subcommand("kb", "read the helpdesk's knowledge-base articles for users");
  kb_cmd->add_option("ids", kb_args.ids, "article ids, e.g. KB-0042 (see fixes, ticket)");
  kb_cmd->add_option("--search", kb_args.search, "find articles with these words");
  kb_cmd->add_flag("--json", kb_args.json, "print as JSON");
  kb_cmd->add_option("--socket", socket, socket_help);

  agent::ReplyArgs reply_args;
  CLI::App* reply_cmd = app.add_subcommand("reply", "answer the helpdesk on one of your tickets");
  reply_cmd->add_option("id", reply_args.id, "ticket id, e.g. HL-12")->required();
  reply_cmd->add_option("--message,-m", reply_args.message, "your answer (default: asked)");
  reply_cmd->add_flag("--json", reply_args.json, "print the result as JSON");
  reply_cmd->add_option("--wait", wait, wait_help);
  reply_cmd->add_option("--socket", socket, socket_help);

  agent::RateArgs rate_args;
  CLI::App* rate_cmd = app.add_subcommand("rate", "rate how a resolved ticket was handled");
  rate_cmd->add_option("id", rate_args.id, "ticket id, e.g. HL-12")->required();
  rate_cmd->add_option("rating", rate_args.rating, "1 (poor) .. 5 (excellent)")
      ->required()
      ->check(CLI::Range(1, 5));
  rate_cmd->add_option("--comment", rate_args.comment, "anything you want to add");
  rate_cmd->add_flag("--json", rate_args.json, "print the result as JSON");
  rate_cmd->add_option("--wait", wait, wait_help);
  rate_cmd->add_option("--socket", socket, socket_help);

  agent::SendBundleArgs send_args;
  std::string send_since;
  CLI::App* send_cmd = app.add_subcommand(
      "send-bundle", "collect diagnostics and send them to the helpdesk (queued while offline)");
  send_cmd->add_option("--sections", send_args.sections,
                       "comma-separated sections or collectors (default: all)");
  send_cmd->add_option("--since", send_since, "journal entries from this long ago, e.g. 2h");
  send_cmd->add_option("--ticket", send_args.ticket, "attach to this ticket, e.g. HL-12");
  send_cmd->add_flag("--json", send_args.json, "print the result as JSON");
  send_cmd->add_option("--wait", wait, wait_help);
  send_cmd->add_option("--socket", socket, socket_help);

  agent::SpoolArgs spool_args;
  CLI::App* spool_cmd =
      app.add_subcommand("spool", "show what waits on this machine for the relay");
  spool_cmd->add_flag("--json", spool_args.json, "print as JSON");
  spool_cmd->add_option("--socket", socket, socket_help);

  // --- remediation: consent and self-service fixes ---
  agent::ConsentArgs consent_args;
  CLI::App* consent_cmd = app.add_subcommand(
      "consent",
      "answer the helpdesk's requests to run actions or open a remote session on this machine");
  consent_cmd->add_flag("--list", consent_args.list, "list the pending requests");
  consent_cmd->add_option("--approve", consent_args.approve, "approve the request with this id");
  consent_cmd->add_option("--deny", consent_args.deny, "deny the request with this id");
  consent_cmd->add_flag("--json", consent_args.json, "print as JSON");
  consent_cmd->add_option("--socket", socket, socket_help);

  agent::FixesArgs fixes_args;
  CLI::App* fixes_cmd = app.add_subcommand("fixes", "list the fixes you may run yourself");
  fixes_cmd->add_flag("--json", fixes_args.json, "print as JSON");
  fixes_cmd->add_option("--socket", socket, socket_help);

  agent::FixArgs fix_args;
  CLI::App* fix_cmd = app.add_subcommand("fix", "run a self-service fix (see fixes)");
  fix_cmd->add_option("action", fix_args.action, "the fix, e.g. dns.flush_cache")->required();
  fix_cmd->add_option("parameters", fix_args.parameters, "name=value parameters");
  fix_cmd->add_flag("--json", fix_args.json, "print as JSON");
  fix_cmd->add_option("--socket", socket, socket_help);

  // --- remote sessions (docs/sessions.md) ---
  agent::SessionsArgs sessions_args;
  CLI::App* sessions_cmd =
      app.add_subcommand("sessions", "list the remote sessions active on this machine");
  sessions_cmd->add_flag("--json", sessions_args.json, "print as JSON");
  sessions_cmd->add_option("--socket", socket, socket_help);
  agent::EndArgs end_args;
  CLI::App* end_cmd =
      app.add_subcommand("end", "end a remote session at once (all of them without SESSION)");
  end_cmd->add_option("session", end_args.session, "the session id (ses_...)");
  end_cmd->add_option("--reason", end_args.reason, "why, for the technician");
  end_cmd->add_flag("--json", end_args.json, "print as JSON");
  end_cmd->add_option("--socket", socket, socket_help);
  agent::AuditArgs audit_args;
  CLI::App* audit_cmd = app.add_subcommand(
      "audit",
      "show this machine's record of remote sessions and actions, and check its hash chain");
  audit_cmd->add_option("--last", audit_args.last, "how many entries (default 100)");
  audit_cmd->add_flag("--json", audit_args.json, "print the entries as JSON lines");
  audit_cmd->add_option("--socket", socket, socket_help);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    std::fprintf(stderr, "helpline-agent: %s (see --help)\n", e.what());
    return kExitUsage;
  }

  std::optional<std::string> state_flag;
  if (!state.empty()) state_flag = state;
  auto state_dir = agent::state_dir_from(state_flag);

  bool is_run = run_cmd->parsed();
  helpline::log::Options log_options;
  log_options.level = is_run ? std::string_view(log_level) : std::string_view("warn");
  log_options.json = is_run && log_json;
  log_options.name = "helpline-agent";
  if (auto logging = helpline::log::setup(log_options); !logging) {
    std::fprintf(stderr, "helpline-agent: --log-level: %s\n", logging.error().message.c_str());
    return kExitUsage;
  }

  if (enroll_cmd->parsed()) {
    enroll.state_dir = state_dir;
    enroll.org_key = org_key;
    return print(agent::enroll_command(enroll));
  }
  std::optional<std::string> socket_flag;
  if (!socket.empty()) socket_flag = socket;
  auto socket_path = agent::local::socket_path_from(socket_flag);
  std::chrono::milliseconds wait_ms{0};
  if (wait != "0") {
    auto patience = helpline::parse_duration(wait);
    if (!patience) {
      std::fprintf(stderr, "helpline-agent: --wait: %s\n", patience.error().message.c_str());
      return kExitUsage;
    }
    wait_ms = std::chrono::duration_cast<std::chrono::milliseconds>(*patience);
  }
  if (report_cmd->parsed()) {
    report_args.socket = socket_path;
    report_args.wait = wait_ms;
    report_args.interactive = report_args.title.empty() && ::isatty(STDIN_FILENO) != 0;
    return print(agent::report_command(std::move(report_args)));
  }
  if (tickets_cmd->parsed()) {
    tickets_args.socket = socket_path;
    return print(agent::tickets_command(tickets_args));
  }
  if (ticket_cmd->parsed()) {
    ticket_args.socket = socket_path;
    return print(agent::ticket_command(ticket_args));
  }
  if (reply_cmd->parsed()) {
    reply_args.socket = socket_path;
    reply_args.wait = wait_ms;
    if (reply_args.message.empty() && ::isatty(STDIN_FILENO) != 0) {
      std::fputs("Your answer (end with an empty line):\n", stdout);
      std::string line;
      while (std::getline(std::cin, line) && !line.empty()) reply_args.message += line + "\n";
    }
    return print(agent::reply_command(reply_args));
  }
  if (kb_cmd->parsed()) {
    kb_args.socket = socket_path;
    return print(agent::kb_command(kb_args));
  }
  if (rate_cmd->parsed()) {
    rate_args.socket = socket_path;
    rate_args.wait = wait_ms;
    return print(agent::rate_command(rate_args));
  }
  if (send_cmd->parsed()) {
    send_args.socket = socket_path;
    send_args.wait = wait_ms;
    if (!send_since.empty()) send_args.since = send_since;
    return print(agent::send_bundle_command(send_args));
  }
  if (spool_cmd->parsed()) {
    spool_args.socket = socket_path;
    return print(agent::spool_command(spool_args));
  }
  if (consent_cmd->parsed()) {
    consent_args.socket = socket_path;
    consent_args.interactive = !consent_args.list && consent_args.approve.empty() &&
                               consent_args.deny.empty() && !consent_args.json &&
                               ::isatty(STDIN_FILENO) != 0;
    return print(agent::consent_command(consent_args));
  }
  if (sessions_cmd->parsed()) {
    sessions_args.socket = socket_path;
    return print(agent::sessions_command(sessions_args));
  }
  if (end_cmd->parsed()) {
    end_args.socket = socket_path;
    return print(agent::end_command(end_args));
  }
  if (audit_cmd->parsed()) {
    audit_args.socket = socket_path;
    return print(agent::audit_command(audit_args));
  }
  if (fixes_cmd->parsed()) {
    fixes_args.socket = socket_path;
    return print(agent::fixes_command(fixes_args));
  }
  if (fix_cmd->parsed()) {
    fix_args.socket = socket_path;
    return print(agent::fix_command(fix_args));
  }
  if (retire_cmd->parsed()) {
    retire_args.state_dir = state_dir;
    auto timeout = helpline::parse_duration(retire_timeout);
    if (!timeout) {
      std::fprintf(stderr, "helpline-agent: --timeout: %s\n", timeout.error().message.c_str());
      return kExitUsage;
    }
    retire_args.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(*timeout);
    return print(agent::retire_command(retire_args));
  }
  if (is_run) {
    run_args.state_dir = state_dir;
    run_args.socket = socket_path;
    if (!heartbeat.empty()) run_args.heartbeat = heartbeat;
    auto ran = agent::run_command(run_args);
    return ran ? 0 : report(ran.error());
  }
  if (collect_cmd->parsed()) {
    collect.state_dir = state_dir;
    if (!since.empty()) collect.since = since;
    if (!collect_out.empty()) collect.out = collect_out;
    if (!root.empty()) collect.root = root;
    return print(agent::collect_command(collect));
  }
  if (show_cmd->parsed()) return print(agent::show_command(show));
  status.state_dir = state_dir;
  return print(agent::status_command(status));
}

}  // namespace

int main(int argc, char** argv) {
  // A write to a socket the relay closed must be an EPIPE error, not death.
  std::signal(SIGPIPE, SIG_IGN);
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "helpline-agent: %s\n", e.what());
    return 1;
  }
}
