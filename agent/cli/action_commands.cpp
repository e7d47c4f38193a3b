// The end user's side of remediation actions: answering consent requests
// (`helpline-agent consent`) and self-service fixes (`fixes`, `fix`), each
// through the daemon's local socket (agent/local/action_desk.h).
#include <iostream>

#include "agent/cli/commands.h"
#include "agent/local/local_client.h"
#include "common/catalog/validate.h"
#include "common/core/json_writer.h"
#include "common/core/time_format.h"
#include "helpline/v1/local.pb.h"

namespace helpline::agent {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kAskTimeout{20'000};
// A fix runs while the command waits: the longest catalog timeout plus
// the consent and kill grace the executor may add.
constexpr milliseconds kFixTimeout{6 * 3600 * 1000 + 60'000};

[[nodiscard]] Result<v1::LocalResponse> ask(const std::filesystem::path& socket,
                                            const v1::LocalRequest& request,
                                            milliseconds timeout = kAskTimeout) {
  auto response = local::ask_agent(socket, request, timeout);
  if (!response) return fail(response.error());
  if (response->has_error()) return fail(response->error().code(), response->error().message());
  return response;
}

// "low", "medium", "high"; a value this version does not know is named so.
[[nodiscard]] std::string risk_name(v1::Risk risk) {
  std::string_view name = catalog::risk_name(risk);
  return name.empty() ? "unspecified" : std::string(name);
}

[[nodiscard]] std::string join_argv(const google::protobuf::RepeatedPtrField<std::string>& argv) {
  std::string out;
  for (const std::string& arg : argv) {
    if (!out.empty()) out += ' ';
    out += arg;
  }
  return out;
}

[[nodiscard]] std::string describe(const v1::PendingConsent& p) {
  if (p.kind() == "session") {
    std::string caps = join_argv(p.capabilities());
    for (char& c : caps) c = c == ' ' ? ',' : c;
    std::string out = "Request " + p.id() + ": " + p.requested_by() +
                      " asks for a remote session on this machine\n";
    if (p.ticket_id() != 0) out += "  ticket:   HL-" + std::to_string(p.ticket_id()) + "\n";
    out += "  reason:   " + p.reason() + "\n";
    out += "  access:   " + caps + (p.as_root() ? " (shell as root)" : "") + "\n";
    out += "  answer by " + format_rfc3339(p.expires_at_ms()) +
           " (no answer means no); you can end it at any time with: helpline-agent end\n";
    return out;
  }
  std::string out = "Request " + p.id() + ": " + p.requested_by() + " asks to run \"" + p.title() +
                    "\" (" + p.action_id() + ", risk " + risk_name(p.risk()) + ")\n";
  if (p.ticket_id() != 0) out += "  ticket:   HL-" + std::to_string(p.ticket_id()) + "\n";
  if (!p.description().empty()) out += "  what:     " + p.description() + "\n";
  out += "  command:  " + join_argv(p.argv()) + "\n";
  out += "  answer by " + format_rfc3339(p.expires_at_ms()) + " (no answer means no)\n";
  return out;
}

[[nodiscard]] Result<std::string> answer(const std::filesystem::path& socket, const std::string& id,
                                         bool approve, bool json) {
  v1::LocalRequest request;
  request.mutable_consent_answer()->set_id(id);
  request.mutable_consent_answer()->set_approve(approve);
  if (auto answered = ask(socket, request); !answered) return fail(answered.error());
  if (json) {
    JsonWriter out;
    out.begin_object().field("id", id).field("approved", approve).end_object();
    return out.str() + "\n";
  }
  return std::string(approve ? "Approved " : "Denied ") + id + "\n";
}

}  // namespace

Result<std::string> consent_command(const ConsentArgs& args) {
  if (!args.approve.empty()) return answer(args.socket, args.approve, true, args.json);
  if (!args.deny.empty()) return answer(args.socket, args.deny, false, args.json);
  v1::LocalRequest request;
  request.mutable_consent_list();
  auto listed = ask(args.socket, request);
  if (!listed) return fail(listed.error());
  if (args.json) {
    JsonWriter out;
    out.begin_array();
    for (const v1::PendingConsent& p : listed->consents()) {
      out.begin_object()
          .field("id", p.id())
          .field("kind", p.kind().empty() ? std::string("action") : p.kind())
          .field("session", p.session_id())
          .field("reason", p.reason())
          .field("as_root", p.as_root())
          .key("capabilities")
          .begin_array();
      for (const std::string& c : p.capabilities()) out.value(c);
      out.end_array()
          .field("action", p.action_id())
          .field("title", p.title())
          .field("description", p.description())
          .field("risk", risk_name(p.risk()))
          .field("requested_by", p.requested_by())
          .field("ticket", p.ticket_id())
          .key("argv")
          .begin_array();
      for (const std::string& arg : p.argv()) out.value(arg);
      out.end_array()
          .field("asked_at", format_rfc3339(p.asked_at_ms()))
          .field("expires_at", format_rfc3339(p.expires_at_ms()))
          .end_object();
    }
    out.end_array();
    return out.str() + "\n";
  }
  if (listed->consents().empty()) return std::string("No request is waiting for your approval.\n");
  if (!args.interactive) {
    std::string out;
    for (const v1::PendingConsent& p : listed->consents()) out += describe(p);
    return out;
  }
  std::string out;
  for (const v1::PendingConsent& p : listed->consents()) {
    std::cout << describe(p) << "Approve? [y/N] " << std::flush;
    std::string line;
    if (!std::getline(std::cin, line)) break;
    bool approve = line == "y" || line == "Y" || line == "yes";
    auto done = answer(args.socket, p.id(), approve, false);
    if (!done) {
      out += "helpline-agent: " + done.error().message + "\n";
      continue;
    }
    out += *done;
  }
  return out;
}

Result<std::string> fixes_command(const FixesArgs& args) {
  v1::LocalRequest request;
  request.mutable_fixes();
  auto listed = ask(args.socket, request);
  if (!listed) return fail(listed.error());
  if (args.json) {
    JsonWriter out;
    out.begin_array();
    for (const v1::Action& a : listed->fixes()) {
      out.begin_object()
          .field("id", a.id())
          .field("title", a.title())
          .field("description", a.description())
          .key("parameters")
          .begin_array();
      for (const v1::Parameter& p : a.parameters()) out.value(p.name());
      out.end_array().key("kb_articles").begin_array();
      for (const std::string& kb : a.kb_articles()) out.value(kb);
      out.end_array().end_object();
    }
    out.end_array();
    return out.str() + "\n";
  }
  if (listed->fixes().empty()) {
    return std::string("No self-service fixes are available on this machine.\n");
  }
  std::string out;
  for (const v1::Action& a : listed->fixes()) {
    out += a.id() + "  " + a.title() + "\n";
    if (!a.description().empty()) out += "    " + a.description() + "\n";
    for (const v1::Parameter& p : a.parameters()) {
      out += "    " + p.name() + "=...  " + p.description() +
             (p.has_default_value() ? " (default " + p.default_value() + ")" : "") + "\n";
    }
    for (const std::string& kb : a.kb_articles()) {
      out += "    see " + kb + " (helpline-agent kb " + kb + ")\n";
    }
  }
  out += "Run one with: helpline-agent fix ACTION [name=value ...]\n";
  return out;
}

Result<std::string> fix_command(const FixArgs& args) {
  v1::LocalRequest request;
  v1::FixRequest* fix = request.mutable_fix();
  fix->set_action_id(args.action);
  for (const std::string& p : args.parameters) {
    auto eq = p.find('=');
    if (eq == std::string::npos || eq == 0) {
      return fail("bad_value", "parameter '" + p.substr(0, 64) + "' is not name=value");
    }
    (*fix->mutable_parameters())[p.substr(0, eq)] = p.substr(eq + 1);
  }
  auto done = ask(args.socket, request, kFixTimeout);
  if (!done) return fail(done.error());
  const v1::ActionResult& r = done->action_result();
  if (r.has_refused()) return fail(r.refused().rule(), r.refused().message());
  if (args.json) {
    JsonWriter out;
    out.begin_object()
        .field("action", r.action_id())
        .field("exit_code", r.exit_code())
        .field("signal", static_cast<std::int64_t>(r.signal()))
        .field("timed_out", r.timed_out())
        .field("duration_ms", static_cast<std::int64_t>(r.duration_ms()))
        .field("output", r.output())
        .field("truncated", r.truncated())
        .end_object();
    return out.str() + "\n";
  }
  std::string out = r.output();
  if (!out.empty() && out.back() != '\n') out += '\n';
  if (r.truncated()) out += "[output truncated]\n";
  if (r.timed_out()) return fail("timeout", out + r.action_id() + " did not finish in time");
  if (r.exit_code() != 0 || r.signal() != 0) {
    return fail("action_failed", out + r.action_id() + " failed (exit " +
                                     std::to_string(r.exit_code()) + ")");
  }
  return out + r.action_id() + " done.\n";
}

}  // namespace helpline::agent
