// The end user's helpdesk commands: report, tickets, ticket, reply, rate,
// spool. Each asks the daemon over its local socket (agent/local); writes
// are spooled there and this command waits (bounded) for the relay's answer.
#include <unistd.h>

#include <iostream>
#include <thread>

#include "agent/cli/commands.h"
#include "agent/local/local_client.h"
#include "common/core/duration.h"
#include "common/core/json_writer.h"
#include "common/core/time_format.h"
#include "helpline/v1/local.pb.h"

namespace helpline::agent {
namespace {

using std::chrono::milliseconds;

// Reads come back at once; a report with a bundle waits for the collection.
constexpr milliseconds kReadTimeout{40'000};
constexpr milliseconds kCollectTimeout{180'000};
constexpr milliseconds kPollEvery{100};

[[nodiscard]] Result<v1::LocalResponse> ask(const std::filesystem::path& socket,
                                            const v1::LocalRequest& request,
                                            milliseconds timeout = kReadTimeout) {
  auto response = local::ask_agent(socket, request, timeout);
  if (!response) return fail(response.error());
  if (response->has_error()) return fail(response->error().code(), response->error().message());
  return response;
}

// After a write was queued: asks where it stands until the relay has it,
// refused it, or `wait` has passed (then it stays queued, which is not an
// error: it goes when the relay is reachable).
[[nodiscard]] Result<v1::LocalResponse> follow(const std::filesystem::path& socket,
                                               v1::LocalResponse queued, milliseconds wait) {
  auto deadline = std::chrono::steady_clock::now() + wait;
  v1::LocalRequest status;
  status.mutable_delivery()->set_id(queued.queued_id());
  while (!queued.delivered() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(kPollEvery);
    auto now = local::ask_agent(socket, status, kReadTimeout);
    if (!now) return fail(now.error());
    if (now->has_error()) {
      return fail(now->error().code(), now->error().message() + " (queued as " +
                                           queued.queued_id() + ")");
    }
    queued = std::move(*now);
  }
  return queued;
}

[[nodiscard]] std::string when(std::int64_t ms) { return ms == 0 ? "" : format_rfc3339(ms); }

void ticket_fields(JsonWriter& json, const v1::DeviceTicket& t) {
  json.field("id", t.id())
      .field("title", t.title())
      .field("status", t.status())
      .field("priority", static_cast<std::int64_t>(t.priority()))
      .field("priority_name", t.priority_name())
      .field("assignee", t.assignee())
      .field("created_at", when(t.created_at_ms()))
      .field("updated_at", when(t.updated_at_ms()))
      .field("response_due", when(t.response_due_ms()))
      .field("resolve_due", when(t.resolve_due_ms()))
      .field("rating", static_cast<std::int64_t>(t.rating()))
      .field("can_rate", t.can_rate());
}

// The answer to a write (report, reply, rate), delivered or still queued.
[[nodiscard]] std::string write_result(const v1::LocalResponse& r, bool json,
                                       std::string_view done_verb) {
  const v1::DeviceTicket& t = r.ticket();
  if (json) {
    JsonWriter out;
    out.begin_object();
    ticket_fields(out, t);
    out.field("acknowledgement", t.acknowledgement())
        .field("queued_id", r.queued_id())
        .field("delivered", r.delivered())
        .field("bundle_id", r.bundle_id())
        .end_object();
    return out.str() + "\n";
  }
  if (!r.delivered()) {
    return "The relay cannot be reached right now. Your " + std::string(done_verb) +
           " is saved on this machine and will be sent as soon as it can be (reference " +
           r.queued_id() + ").\n";
  }
  std::string text = "Ticket " + t.id() + " " + std::string(done_verb) + ": " + t.title() +
                     "\n  status " + t.status() + ", priority " + std::to_string(t.priority()) +
                     (t.priority_name().empty() ? "" : " (" + t.priority_name() + ")") + "\n";
  if (t.response_due_ms() != 0 && t.status() == "new") {
    text += "  expected first response by " + format_rfc3339(t.response_due_ms()) + "\n";
  }
  if (!t.acknowledgement().empty()) text += "\n" + t.acknowledgement() + "\n";
  return text;
}

// Asks on the terminal for a value that was not given on the command line.
[[nodiscard]] std::string prompt(const std::string& question, const std::string& fallback = {}) {
  std::cout << question << (fallback.empty() ? "" : " [" + fallback + "]") << ": " << std::flush;
  std::string line;
  if (!std::getline(std::cin, line)) return fallback;
  return line.empty() ? fallback : line;
}

[[nodiscard]] int prompt_scale(const std::string& question) {
  for (int tries = 0; tries < 3; ++tries) {
    std::string answer = prompt(question, "3");
    if (answer.size() == 1 && answer[0] >= '1' && answer[0] <= '5') return answer[0] - '0';
    std::cout << "  please answer with a number from 1 to 5\n";
  }
  return 3;
}

void ask_for_missing(ReportArgs& args) {
  if (args.title.empty()) args.title = prompt("What does not work? (one line)");
  if (args.description.empty()) args.description = prompt("Describe the problem");
  if (args.since.empty()) args.since = prompt("Since when?", "today");
  if (args.frequency.empty()) args.frequency = prompt("How often? (always, sometimes, once)");
  if (args.affects.empty()) args.affects = prompt("Which application or device is affected?");
  if (args.symptoms.empty()) args.symptoms = prompt("What do you see? (error message)");
  if (args.impact == 0) {
    args.impact = prompt_scale("How widely does it stop work? (1 = just me, 5 = everyone)");
  }
  if (args.urgency == 0) {
    args.urgency = prompt_scale("How urgent is it? (1 = it can wait, 5 = I cannot work)");
  }
}

}  // namespace

Result<std::string> report_command(ReportArgs args) {
  if (args.interactive) ask_for_missing(args);
  if (args.title.empty()) {
    return fail("bad_value", "--title is required (or run on a terminal to be asked)");
  }
  v1::LocalRequest request;
  v1::TicketReport* report = request.mutable_report();
  report->set_title(args.title);
  report->set_description(args.description);
  report->set_since(args.since);
  report->set_frequency(args.frequency);
  report->set_affects(args.affects);
  report->set_symptoms(args.symptoms);
  report->set_business_impact(args.business_impact);
  report->set_category(args.category);
  report->set_impact(static_cast<std::uint32_t>(args.impact == 0 ? 3 : args.impact));
  report->set_urgency(static_cast<std::uint32_t>(args.urgency == 0 ? 3 : args.urgency));
  request.set_attach_bundle(!args.no_bundle);
  auto queued = ask(args.socket, request, args.no_bundle ? kReadTimeout : kCollectTimeout);
  if (!queued) return fail(queued.error());
  auto result = follow(args.socket, std::move(*queued), args.wait);
  if (!result) return fail(result.error());
  return write_result(*result, args.json, "opened");
}

Result<std::string> tickets_command(const TicketsArgs& args) {
  v1::LocalRequest request;
  request.mutable_tickets()->set_include_closed(args.all);
  auto response = ask(args.socket, request);
  if (!response) return fail(response.error());
  const auto& tickets = response->tickets().tickets();
  if (args.json) {
    JsonWriter json;
    json.begin_object().key("tickets").begin_array();
    for (const v1::DeviceTicket& t : tickets) {
      json.begin_object();
      ticket_fields(json, t);
      json.end_object();
    }
    json.end_array().end_object();
    return json.str() + "\n";
  }
  if (tickets.empty()) return std::string("You have no open tickets from this machine.\n");
  std::string out;
  for (const v1::DeviceTicket& t : tickets) {
    out += t.id() + "  " + t.status() + "  P" + std::to_string(t.priority()) + "  " + t.title();
    if (t.can_rate()) out += "  (resolved: rate it with helpline-agent rate " + t.id() + " 1-5)";
    out += "\n";
  }
  return out;
}

Result<std::string> ticket_command(const TicketArgs& args) {
  v1::LocalRequest request;
  request.mutable_ticket()->set_ticket_id(args.id);
  auto response = ask(args.socket, request);
  if (!response) return fail(response.error());
  const v1::DeviceTicketDetail& d = response->detail();
  if (args.json) {
    JsonWriter json;
    json.begin_object();
    ticket_fields(json, d.ticket());
    json.field("description", d.description()).field("solution", d.solution());
    json.key("messages").begin_array();
    for (const v1::DeviceTicketMessage& m : d.messages()) {
      json.begin_object()
          .field("author", m.author())
          .field("at", when(m.at_ms()))
          .field("from_requester", m.from_requester())
          .field("body", m.body())
          .end_object();
    }
    json.end_array().key("articles").begin_array();
    for (const v1::KbArticle& a : d.articles()) {
      json.begin_object().field("id", a.id()).field("title", a.title()).end_object();
    }
    json.end_array().end_object();
    return json.str() + "\n";
  }
  const v1::DeviceTicket& t = d.ticket();
  std::string out = t.id() + ": " + t.title() + "\nstatus " + t.status() + ", priority " +
                    std::to_string(t.priority()) +
                    (t.assignee().empty() ? "" : ", with " + t.assignee()) + "\n";
  if (!d.description().empty()) out += "\n" + d.description() + "\n";
  for (const v1::DeviceTicketMessage& m : d.messages()) {
    out += "\n--- " + m.author() + ", " + when(m.at_ms()) + "\n" + m.body() + "\n";
  }
  if (!d.solution().empty()) out += "\nSolution: " + d.solution() + "\n";
  if (d.articles_size() > 0) {
    out += "\nArticles that may help (read one with: helpline-agent kb ID):\n";
    for (const v1::KbArticle& a : d.articles()) out += "  " + a.id() + "  " + a.title() + "\n";
  }
  return out;
}

Result<std::string> kb_command(const KbArgs& args) {
  v1::LocalRequest request;
  v1::DeviceKbRequest* kb = request.mutable_kb();
  for (const std::string& id : args.ids) kb->add_ids(id);
  kb->set_query(args.search);
  if (args.ids.empty() && args.search.empty()) {
    return fail("bad_value", "give article ids (e.g. KB-0042) or --search WORDS");
  }
  auto response = ask(args.socket, request);
  if (!response) return fail(response.error());
  const auto& articles = response->kb().articles();
  if (args.json) {
    JsonWriter json;
    json.begin_array();
    for (const v1::KbArticle& a : articles) {
      json.begin_object()
          .field("id", a.id())
          .field("title", a.title())
          .field("category", a.category())
          .field("updated_at", when(a.updated_at_ms()))
          .field("body", a.body())
          .key("actions")
          .begin_array();
      for (const std::string& action : a.actions()) json.value(action);
      json.end_array().end_object();
    }
    json.end_array();
    return json.str() + "\n";
  }
  if (articles.empty() && !args.search.empty()) return std::string("No article matches.\n");
  if (articles.empty()) {
    // "kb printer" asks for an article whose id is "printer": say how to
    // look for one instead.
    std::string asked;
    for (const std::string& id : args.ids) asked += (asked.empty() ? "" : ", ") + id;
    return "No such article is available to you (" + asked +
           "). To look for one: helpline-agent kb --search WORDS\n";
  }
  std::string out;
  for (const v1::KbArticle& a : articles) {
    if (!out.empty()) out += "\n";
    out += a.id() + "  " + a.title() + "\n";
    // A search lists; asking for ids reads.
    if (args.search.empty()) {
      out += "\n" + a.body() + (a.body().empty() || a.body().back() == '\n' ? "" : "\n");
      for (const std::string& action : a.actions()) {
        out += "Fix it yourself, if it is offered: helpline-agent fix " + action + "\n";
      }
    }
  }
  if (!args.search.empty()) out += "Read one with: helpline-agent kb ID\n";
  return out;
}

Result<std::string> reply_command(const ReplyArgs& args) {
  v1::LocalRequest request;
  request.mutable_reply()->set_ticket_id(args.id);
  request.mutable_reply()->set_body(args.message);
  auto queued = ask(args.socket, request);
  if (!queued) return fail(queued.error());
  auto result = follow(args.socket, std::move(*queued), args.wait);
  if (!result) return fail(result.error());
  return write_result(*result, args.json, "updated with your reply");
}

Result<std::string> rate_command(const RateArgs& args) {
  v1::LocalRequest request;
  request.mutable_rate()->set_ticket_id(args.id);
  request.mutable_rate()->set_rating(static_cast<std::uint32_t>(std::max(args.rating, 0)));
  request.mutable_rate()->set_comment(args.comment);
  auto queued = ask(args.socket, request);
  if (!queued) return fail(queued.error());
  auto result = follow(args.socket, std::move(*queued), args.wait);
  if (!result) return fail(result.error());
  return write_result(*result, args.json, "rated");
}

Result<std::string> send_bundle_command(const SendBundleArgs& args) {
  v1::LocalRequest request;
  v1::SendBundleRequest* send = request.mutable_send_bundle();
  for (std::string_view rest = args.sections; !rest.empty();) {
    auto comma = rest.find(',');
    std::string_view name = rest.substr(0, comma);
    if (!name.empty()) send->add_sections(std::string(name));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  if (args.since) {
    auto since = parse_duration(*args.since);
    if (!since) return fail(since.error().code, "--since: " + since.error().message);
    send->set_since_ms(unix_now_ms() -
                       std::chrono::duration_cast<milliseconds>(*since).count());
  }
  send->set_ticket_id(args.ticket);
  auto queued = ask(args.socket, request, kCollectTimeout);
  if (!queued) return fail(queued.error());
  auto result = follow(args.socket, std::move(*queued), args.wait);
  if (!result) return fail(result.error());
  if (args.json) {
    JsonWriter json;
    json.begin_object()
        .field("bundle_id", result->bundle_id())
        .field("queued_id", result->queued_id())
        .field("delivered", result->delivered())
        .end_object();
    return json.str() + "\n";
  }
  if (!result->delivered()) {
    return "The relay cannot be reached right now; the bundle waits on this machine and is sent "
           "as soon as it can be (reference " +
           result->queued_id() + ").\n";
  }
  return "Bundle " + result->bundle_id() + " sent to the helpdesk" +
         (args.ticket.empty() ? "" : " for " + args.ticket) + ".\n";
}

Result<std::string> spool_command(const SpoolArgs& args) {
  v1::LocalRequest request;
  request.mutable_spool();
  auto response = ask(args.socket, request);
  if (!response) return fail(response.error());
  const v1::SpoolStatus& s = response->spool();
  if (args.json) {
    JsonWriter json;
    json.begin_object()
        .field("connected", s.connected())
        .field("bytes", static_cast<std::int64_t>(s.bytes()))
        .field("evicted_items", static_cast<std::int64_t>(s.evicted_items()))
        .key("items")
        .begin_array();
    for (const v1::SpoolItem& item : s.items()) {
      json.begin_object()
          .field("id", item.id())
          .field("kind", item.kind())
          .field("created_at", when(item.created_at_ms()))
          .field("size", static_cast<std::int64_t>(item.size()))
          .field("attempts", static_cast<std::int64_t>(item.attempts()))
          .field("last_error", item.last_error())
          .end_object();
    }
    json.end_array().end_object();
    return json.str() + "\n";
  }
  std::string out = std::to_string(s.items_size()) + " item(s) waiting, " +
                    std::to_string(s.bytes()) + " bytes; relay " +
                    (s.connected() ? "connected" : "not connected") + "\n";
  for (const v1::SpoolItem& item : s.items()) {
    out += "  " + item.id() + "  " + item.kind() + "  queued " + when(item.created_at_ms()) +
           (item.attempts() == 0 ? "" : "  " + std::to_string(item.attempts()) +
                                            " failed attempt(s): " + item.last_error()) +
           "\n";
  }
  return out;
}

}  // namespace helpline::agent
