// The end user's side of remote sessions: `helpline-agent sessions`,
// `end` and `audit`, through the daemon's local socket
// (agent/local/session_desk.h).
#include "agent/cli/commands.h"
#include "agent/local/local_client.h"
#include "common/audit/audit.h"
#include "common/core/json_writer.h"
#include "common/core/time_format.h"
#include "helpline/v1/local.pb.h"

namespace helpline::agent {
namespace {

constexpr std::chrono::milliseconds kAskTimeout{20'000};

[[nodiscard]] Result<v1::LocalResponse> ask(const std::filesystem::path& socket,
                                            const v1::LocalRequest& request) {
  auto response = local::ask_agent(socket, request, kAskTimeout);
  if (!response) return fail(response.error());
  if (response->has_error()) return fail(response->error().code(), response->error().message());
  return response;
}

[[nodiscard]] std::string caps_of(const v1::ActiveSession& s) {
  std::string out;
  for (const auto& c : s.capabilities()) out += (out.empty() ? "" : ",") + c;
  return out;
}

[[nodiscard]] std::string sessions_json(const google::protobuf::RepeatedPtrField<v1::ActiveSession>& list) {
  JsonWriter out;
  out.begin_array();
  for (const auto& s : list) {
    out.begin_object()
        .field("session", s.session_id())
        .field("technician", s.technician())
        .field("ticket", s.ticket_id())
        .field("reason", s.reason())
        .key("capabilities")
        .begin_array();
    for (const auto& c : s.capabilities()) out.value(c);
    out.end_array()
        .field("policy", s.policy())
        .field("decision", s.decision())
        .field("shell_user", s.shell_user())
        .field("started_at", format_rfc3339(s.started_at_ms()))
        .field("last_activity", format_rfc3339(s.last_activity_ms()))
        .field("open_streams", static_cast<std::int64_t>(s.open_streams()))
        .end_object();
  }
  out.end_array();
  return out.str() + "\n";
}

}  // namespace

Result<std::string> sessions_command(const SessionsArgs& args) {
  v1::LocalRequest request;
  request.mutable_sessions();
  auto listed = ask(args.socket, request);
  if (!listed) return fail(listed.error());
  if (args.json) return sessions_json(listed->sessions());
  if (listed->sessions().empty()) return std::string("No remote session is active.\n");
  std::string out;
  for (const auto& s : listed->sessions()) {
    out += s.session_id() + ": " + s.technician() + " (ticket HL-" +
           std::to_string(s.ticket_id()) + ") since " + format_rfc3339(s.started_at_ms()) + "\n";
    out += "  reason:  " + s.reason() + "\n";
    out += "  access:  " + caps_of(s) +
           (s.shell_user().empty() ? "" : " (shell as " + s.shell_user() + ")") + "; " +
           s.decision() + " under policy " + s.policy() + "\n";
    out += "  end it:  helpline-agent end " + s.session_id() + "\n";
  }
  return out;
}

Result<std::string> end_command(const EndArgs& args) {
  v1::LocalRequest request;
  request.mutable_end_session()->set_session_id(args.session);
  request.mutable_end_session()->set_reason(args.reason);
  auto ended = ask(args.socket, request);
  if (!ended) return fail(ended.error());
  if (args.json) return sessions_json(ended->sessions());
  std::string out;
  for (const auto& s : ended->sessions()) {
    out += "Ended " + s.session_id() + " (" + s.technician() + "); the technician is told.\n";
  }
  return out;
}

Result<std::string> audit_command(const AuditArgs& args) {
  v1::LocalRequest request;
  request.mutable_audit()->set_last(args.last);
  auto tail = ask(args.socket, request);
  if (!tail) return fail(tail.error());
  std::string out;
  if (args.json) {
    for (const auto& line : tail->audit_lines()) out += line + "\n";
  } else if (tail->audit_lines().empty()) {
    out = "No remote session or action has been recorded on this machine.\n";
  } else {
    for (const auto& line : tail->audit_lines()) {
      auto entry = ::helpline::audit::parse_line(line);
      if (!entry) {
        out += "(unreadable entry)\n";
        continue;
      }
      out += format_rfc3339(entry->at_ms) + "  " + entry->event + "  ";
      if (!entry->session.empty()) out += entry->session + "  ";
      if (entry->ticket != 0) out += "HL-" + std::to_string(entry->ticket) + "  ";
      out += (entry->actor.empty() ? "" : entry->actor + ": ") + entry->detail + "\n";
    }
  }
  if (!tail->audit_intact()) {
    return fail("audit_broken", out + "the local audit does not verify: " + tail->audit_problem());
  }
  return out;
}

}  // namespace helpline::agent
