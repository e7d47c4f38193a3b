// `helpline session ...` (remote sessions), `helpline audit ...` and
// `helpline admin session-policy` (docs/sessions.md, docs/api.md).
#include <CLI/CLI.hpp>
#include <charconv>
#include <iostream>

#include "common/core/time_format.h"
#include "common/session/session.h"
#include "helpline/v1/session_api.pb.h"
#include "server/cli/api_fetch.h"
#include "server/cli/commands.h"
#include "server/cli/table.h"
#include "server/cli/ws_client.h"

namespace helpline::cli {
namespace {

using relay::api::to_json;

// The relay waits up to its decision timeout for the end user.
constexpr std::chrono::seconds kOpenTimeout{180};

struct SessionArgs {
  std::string device;
  std::string ticket;
  std::string reason;
  std::string allow;
  bool as_root = false;
  std::string id;
  std::string remote;
  std::string local;
  std::string ports;
  std::string close_reason;
  bool once = false;
  std::string group;
  std::string policy;
  std::string audit_session;
  std::string audit_device;
  unsigned audit_limit = 200;
};

[[nodiscard]] std::string join(const google::protobuf::RepeatedPtrField<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
  return out;
}

void print_session(const v1::api::RemoteSession& s) {
  std::cout << "Session " << s.id() << " on " << s.device_id() << " (" << s.state() << ")\n"
            << "  technician: " << s.technician() << ", ticket HL-" << s.ticket() << "\n"
            << "  reason:     " << s.reason() << "\n"
            << "  access:     " << join(s.capabilities())
            << (s.shell_user().empty() ? "" : " (shell as " + s.shell_user() + ")") << "\n"
            << "  consent:    " << s.decision()
            << (s.decided_by().empty() ? "" : " by " + s.decided_by()) << " under policy "
            << s.policy() << "\n";
  if (s.file_roots_size() > 0) {
    std::cout << "  files:      under " << join(s.file_roots()) << ", at most "
              << s.max_file_bytes() << " bytes\n";
  }
  if (s.forward_ports_size() > 0) {
    std::string ports;
    for (auto p : s.forward_ports()) ports += (ports.empty() ? "" : ",") + std::to_string(p);
    std::cout << "  forward:    ports " << ports << "\n";
  }
  if (s.state() == "ended") std::cout << "  ended:      " << s.end_reason() << "\n";
  for (const auto& r : s.recordings()) std::cout << "  recording:  " << r << "\n";
}

int cmd_open(const SessionArgs& args, const Output& out) {
  v1::api::OpenSessionRequest request;
  request.set_device(args.device);
  auto ticket = parse_ticket(args.ticket);
  if (!ticket) return report_failure(ticket.error());
  request.set_ticket(*ticket);
  request.set_reason(args.reason);
  auto caps = session::parse_capabilities(args.allow);
  if (!caps) return report_failure("--allow: " + caps.error().message);
  for (const auto& c : *caps) request.add_capabilities(c);
  request.set_as_root(args.as_root);
  if (!out.json) {
    std::cerr << "Waiting for the user of " << args.device << " to approve the session...\n";
  }
  v1::api::RemoteSession session;
  if (int rc = fetch("POST", "/api/v1/sessions", session, to_json(request), kOpenTimeout);
      rc != 0) {
    return rc;
  }
  if (out.json) {
    std::cout << to_json(session) << "\n";
  } else {
    std::cout << session.id() << "\n";
    std::cerr << "Approved: " << session.decision()
              << (session.decided_by().empty() ? "" : " by " + session.decided_by())
              << " under policy " << session.policy() << ". Next: helpline session shell "
              << session.id() << "\n";
  }
  return 0;
}

int cmd_list(const Output& out) {
  v1::api::RemoteSessionList list;
  if (int rc = fetch("GET", "/api/v1/sessions", list); rc != 0) return rc;
  if (out.json) {
    print_json_array(list.sessions());
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& s : list.sessions()) {
    rows.push_back({s.id(), s.device_id(), s.technician(), "HL-" + std::to_string(s.ticket()),
                    join(s.capabilities()), s.state(), format_rfc3339(s.opened_at_ms()),
                    s.state() == "ended" ? s.end_reason() : s.decision()});
  }
  print_table(std::cout, {"SESSION", "DEVICE", "TECHNICIAN", "TICKET", "ACCESS", "STATE", "OPENED", "NOTE"},
              rows);
  return 0;
}

int cmd_show(const std::string& id, const Output& out) {
  v1::api::RemoteSession s;
  if (int rc = fetch("GET", "/api/v1/sessions/" + url_encode(id), s); rc != 0) return rc;
  if (out.json) {
    std::cout << to_json(s) << "\n";
  } else {
    print_session(s);
  }
  return 0;
}

int cmd_close(const SessionArgs& args, const Output& out) {
  v1::api::CloseSessionRequest request;
  request.set_reason(args.close_reason);
  v1::api::RemoteSession s;
  if (int rc = fetch("DELETE", "/api/v1/sessions/" + url_encode(args.id), s, to_json(request));
      rc != 0) {
    return rc;
  }
  if (out.json) {
    std::cout << to_json(s) << "\n";
  } else {
    std::cout << "Session " << s.id() << " ended: " << s.end_reason() << "\n";
  }
  return 0;
}

[[nodiscard]] Result<std::pair<std::uint16_t, std::uint16_t>> parse_ports(std::string_view text) {
  auto colon = text.find(':');
  auto port = [](std::string_view t) -> std::optional<std::uint16_t> {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
    if (ec != std::errc() || end != t.data() + t.size() || value > 65535) return std::nullopt;
    return static_cast<std::uint16_t>(value);
  };
  if (colon == std::string_view::npos) {
    return fail("bad_value", "expected LOCALPORT:REMOTEPORT, e.g. 5901:5900");
  }
  auto local = port(text.substr(0, colon));
  auto remote = port(text.substr(colon + 1));
  if (!local || !remote || *remote == 0) {
    return fail("bad_value", "expected LOCALPORT:REMOTEPORT with ports 0..65535 (0: any local port)");
  }
  return std::pair{*local, *remote};
}

int with_client(const std::function<int(const ApiClient&)>& run) {
  auto client = logged_in_client();
  if (!client) return report_failure(client.error());
  return run(*client);
}

int cmd_audit_verify(const Output& out) {
  v1::api::AuditVerifyResult r;
  if (int rc = fetch("GET", "/api/v1/audit/verify", r); rc != 0) return rc;
  if (out.json) {
    std::cout << to_json(r) << "\n";
  } else if (r.intact()) {
    std::cout << "Audit log intact: " << r.entries() << " entries, head " << r.head_seq() << " "
              << r.head_hash() << "\n";
  } else {
    std::cout << "Audit log BROKEN at entry " << r.first_bad_seq() << " (line "
              << r.first_bad_line() << "): " << r.problem() << "\n"
              << "The " << r.entries() << " entries before it verify (head " << r.head_seq()
              << ").\n";
  }
  return r.intact() ? 0 : 1;
}

int cmd_audit_list(const SessionArgs& args, const Output& out) {
  std::string query = "?limit=" + std::to_string(args.audit_limit);
  if (!args.audit_session.empty()) query += "&session=" + url_encode(args.audit_session);
  if (!args.audit_device.empty()) query += "&device=" + url_encode(args.audit_device);
  v1::api::AuditList list;
  if (int rc = fetch("GET", "/api/v1/audit" + query, list); rc != 0) return rc;
  if (out.json) {
    print_json_array(list.entries());
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& e : list.entries()) {
    rows.push_back({std::to_string(e.seq()), format_rfc3339(e.at_ms()), e.event(), e.actor(),
                    or_dash(e.device()), or_dash(e.session()), ticket_or_dash(e.ticket()),
                    e.detail()});
  }
  print_table(std::cout, {"SEQ", "AT", "EVENT", "ACTOR", "DEVICE", "SESSION", "TICKET", "DETAIL"},
              rows);
  return 0;
}

int cmd_set_policy(const SessionArgs& args, const Output& out) {
  v1::api::SessionPolicy body;
  body.set_group(args.group);
  body.set_policy(args.policy);
  v1::api::SessionPolicy set;
  if (int rc = fetch("PUT", "/api/v1/session-policies/" + url_encode(args.group), set,
                     to_json(body));
      rc != 0) {
    return rc;
  }
  if (out.json) {
    std::cout << to_json(set) << "\n";
  } else {
    std::cout << "Group " << set.group() << ": consent policy " << set.policy()
              << " (devices never go below the policy they pinned at enrollment)\n";
  }
  return 0;
}

}  // namespace

std::function<std::optional<int>()> add_session_commands(CLI::App& app, CLI::App& admin,
                                                         Output& out) {
  auto args = std::make_shared<SessionArgs>();
  auto* session = app.add_subcommand("session", "Remote sessions the end user approves");
  session->require_subcommand(1);
  auto* open = session->add_subcommand("open", "Ask for a session; waits for the user's decision");
  open->add_option("DEVICE", args->device, "Device id")->required();
  open->add_option("--ticket", args->ticket, "The ticket it is for (HL-12)")->required();
  open->add_option("--reason", args->reason, "Why: shown to the user")->required();
  open->add_option("--allow", args->allow, "Capabilities: shell,files,forward")->required();
  open->add_flag("--as-root", args->as_root, "Shell as root (role l3; the device must allow it)");
  open->add_flag("--json", out.json, "Print JSON");
  auto* list = session->add_subcommand("list", "Active and recently ended sessions");
  list->add_flag("--json", out.json, "Print JSON");
  auto* show = session->add_subcommand("show", "One session");
  show->add_option("SESSION", args->id, "Session id")->required();
  show->add_flag("--json", out.json, "Print JSON");
  auto* close = session->add_subcommand("close", "End a session");
  close->add_option("SESSION", args->id, "Session id")->required();
  close->add_option("--reason", args->close_reason, "Why, for the record");
  close->add_flag("--json", out.json, "Print JSON");
  auto* shell = session->add_subcommand("shell", "A terminal on the session's shell");
  shell->add_option("SESSION", args->id, "Session id")->required();
  auto* pull = session->add_subcommand("pull", "Copy a file from the device");
  pull->add_option("SESSION", args->id, "Session id")->required();
  pull->add_option("REMOTE", args->remote, "Absolute path on the device")->required();
  pull->add_option("LOCAL", args->local, "Where to write it here")->required();
  auto* push = session->add_subcommand("push", "Copy a file to the device");
  push->add_option("SESSION", args->id, "Session id")->required();
  push->add_option("LOCAL", args->local, "The file here")->required();
  push->add_option("REMOTE", args->remote, "Absolute path on the device")->required();
  auto* forward = session->add_subcommand("forward", "Forward a local port to a device port");
  forward->add_option("SESSION", args->id, "Session id")->required();
  forward->add_option("PORTS", args->ports, "LOCALPORT:REMOTEPORT, e.g. 5901:5900")->required();
  forward->add_flag("--once", args->once, "Serve one connection, then exit");

  auto* audit = app.add_subcommand("audit", "The relay's hash-chained audit log (admin)");
  audit->require_subcommand(1);
  auto* verify = audit->add_subcommand("verify", "Check the hash chain; names the first bad entry");
  verify->add_flag("--json", out.json, "Print JSON");
  auto* audit_list = audit->add_subcommand("list", "Entries, newest last");
  audit_list->add_option("--session", args->audit_session, "Only this session's entries");
  audit_list->add_option("--device", args->audit_device, "Only this device's entries");
  audit_list->add_option("--limit", args->audit_limit, "At most this many (default 200)")
      ->check(CLI::Range(1u, 10000u));
  audit_list->add_flag("--json", out.json, "Print JSON");

  auto* policy = admin.add_subcommand("session-policy",
                                      "Set a group's consent policy for remote sessions");
  policy->add_option("GROUP", args->group, "Enrollment group")->required();
  policy->add_option("POLICY", args->policy, "prompt, notify or unattended")->required();
  policy->add_flag("--json", out.json, "Print JSON");

  return [=, &out]() -> std::optional<int> {
    if (*open) return cmd_open(*args, out);
    if (*list) return cmd_list(out);
    if (*show) return cmd_show(args->id, out);
    if (*close) return cmd_close(*args, out);
    if (*shell) return with_client([&](const ApiClient& c) { return run_shell(c, args->id); });
    if (*pull) {
      return with_client(
          [&](const ApiClient& c) { return run_pull(c, args->id, args->remote, args->local); });
    }
    if (*push) {
      return with_client(
          [&](const ApiClient& c) { return run_push(c, args->id, args->local, args->remote); });
    }
    if (*forward) {
      auto ports = parse_ports(args->ports);
      if (!ports) return report_failure(ports.error());
      return with_client([&](const ApiClient& c) {
        return run_forward(c, args->id, ports->first, ports->second, args->once);
      });
    }
    if (*verify) return cmd_audit_verify(out);
    if (*audit_list) return cmd_audit_list(*args, out);
    if (*policy) return cmd_set_policy(*args, out);
    return std::nullopt;
  };
}

}  // namespace helpline::cli
