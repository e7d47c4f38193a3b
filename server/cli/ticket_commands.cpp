// `helpline tickets`, `helpline ticket ...` and `helpline stats`: each command is one API
// call; --json prints the relay's answer as it came (a TicketList object,
// or one Ticket), the default a table or a short report.
#include "server/cli/ticket_commands.h"

#include <CLI/CLI.hpp>
#include <iostream>
#include <string>
#include <vector>

#include "helpline/v1/api.pb.h"
#include "server/api/json_codec.h"
#include "server/cli/api_fetch.h"
#include "server/cli/ticket_print.h"

namespace helpline::cli {

using relay::api::to_json;

struct TicketCommands {
  // tickets
  CLI::App* list = nullptr;
  std::string status, assignee, device, cursor;
  unsigned priority = 0;
  unsigned limit = 0;
  bool breaching = false;
  // ticket <verb> ID ...
  CLI::App* create = nullptr;
  v1::api::CreateTicketRequest fields;
  unsigned impact = 0, urgency = 0;
  std::string id;
  CLI::App* show = nullptr;
  CLI::App* assign = nullptr;
  std::string assignee_name;
  CLI::App* set_status = nullptr;
  std::string new_status, pending_reason, reason;
  CLI::App* escalate = nullptr;
  std::string level, group;
  CLI::App* reply = nullptr;
  CLI::App* note = nullptr;
  std::string body;
  CLI::App* resolve = nullptr;
  CLI::App* close = nullptr;
  CLI::App* reopen = nullptr;
  // stats
  CLI::App* stats = nullptr;
  std::string from, to;
  unsigned top = 0;
};

namespace {

// Query strings and path segments carry user text: percent-encode all but
// unreserved characters.
[[nodiscard]] std::string url_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4U]);
      out.push_back(kHex[byte & 0x0fU]);
    }
  }
  return out;
}

[[nodiscard]] std::string ticket_path(const std::string& id, std::string_view action = {}) {
  std::string path = "/api/v1/tickets/" + url_encode(id);
  if (!action.empty()) path += "/" + std::string(action);
  return path;
}

int list_tickets(const TicketCommands& c, const Output& out) {
  std::string query;
  auto add = [&query](const char* name, const std::string& value) {
    query += (query.empty() ? "?" : "&") + std::string(name) + "=" + url_encode(value);
  };
  if (!c.status.empty()) add("status", c.status);
  if (c.priority != 0) add("priority", std::to_string(c.priority));
  if (c.list->get_option("--assignee")->count() > 0) add("assignee", c.assignee);
  if (!c.device.empty()) add("device", c.device);
  if (c.breaching) add("breaching", "true");
  if (c.limit != 0) add("limit", std::to_string(c.limit));
  if (!c.cursor.empty()) add("cursor", c.cursor);
  v1::api::TicketList list;
  if (int rc = fetch("GET", "/api/v1/tickets" + query, list); rc != 0) return rc;
  if (out.json) {
    std::cout << to_json(list) << "\n";
    return 0;
  }
  print_ticket_table(list);
  return 0;
}

// One POST on a ticket; prints the ticket as it is afterwards.
int post_action(const std::string& id, std::string_view action,
                const google::protobuf::Message& body, const Output& out, const char* done) {
  v1::api::Ticket ticket;
  if (int rc = fetch("POST", ticket_path(id, action), ticket, to_json(body)); rc != 0) return rc;
  if (out.json) {
    std::cout << to_json(ticket) << "\n";
  } else {
    std::cout << ticket.display_id() << " " << done << " (status " << ticket.status() << ", level "
              << ticket.level()
              << (ticket.assignee().empty() ? "" : ", assignee " + ticket.assignee()) << ").\n";
  }
  return 0;
}

int create_ticket(const TicketCommands& c, const Output& out) {
  v1::api::CreateTicketRequest request = c.fields;
  request.set_impact(c.impact);
  request.set_urgency(c.urgency);
  v1::api::Ticket ticket;
  if (int rc = fetch("POST", "/api/v1/tickets", ticket, to_json(request)); rc != 0) return rc;
  if (out.json) {
    std::cout << to_json(ticket) << "\n";
  } else {
    std::cout << "Ticket " << ticket.display_id() << " created (priority " << ticket.priority()
              << " " << ticket.priority_name() << ", first response due "
              << (ticket.sla().first_response_due().empty() ? "-"
                                                            : ticket.sla().first_response_due())
              << ").\n";
  }
  return 0;
}

int show_ticket(const TicketCommands& c, const Output& out) {
  v1::api::Ticket ticket;
  if (int rc = fetch("GET", ticket_path(c.id), ticket); rc != 0) return rc;
  if (out.json) {
    std::cout << to_json(ticket) << "\n";
    return 0;
  }
  print_ticket(ticket);
  return 0;
}

int ticket_stats(const TicketCommands& c, const Output& out) {
  std::string query;
  auto add = [&query](const char* name, const std::string& value) {
    query += (query.empty() ? "?" : "&") + std::string(name) + "=" + url_encode(value);
  };
  if (!c.from.empty()) add("from", c.from);
  if (!c.to.empty()) add("to", c.to);
  if (c.top != 0) add("top", std::to_string(c.top));
  v1::api::TicketStats stats;
  if (int rc = fetch("GET", "/api/v1/stats/tickets" + query, stats); rc != 0) return rc;
  if (out.json) {
    std::cout << to_json(stats) << "\n";
  } else {
    print_stats(stats);
  }
  return 0;
}

void add_id(CLI::App* command, TicketCommands& c) {
  command->add_option("ID", c.id, "Ticket id (HL-12 or 12)")->required();
}

}  // namespace

std::unique_ptr<TicketCommands, void (*)(TicketCommands*)> add_ticket_commands(CLI::App& app,
                                                                               Output& out) {
  std::unique_ptr<TicketCommands, void (*)(TicketCommands*)> owned(
      new TicketCommands, [](TicketCommands* p) { delete p; });
  TicketCommands& c = *owned;

  c.list = app.add_subcommand("tickets", "The helpdesk queue: by priority, then SLA deadline");
  c.list->add_option("--status", c.status,
                     "open (default), all, or statuses: new,assigned,in_progress,pending,...");
  c.list->add_option("--priority", c.priority, "1..6")->check(CLI::Range(1u, 6u));
  c.list->add_option("--assignee", c.assignee, "Assigned to this technician (\"\": unassigned)");
  c.list->add_flag("--breaching", c.breaching, "Only tickets past an SLA deadline");
  c.list->add_option("--device", c.device, "Only tickets of this device");
  c.list->add_option("--limit", c.limit, "Tickets per page (default 50, at most 500)")
      ->check(CLI::Range(1u, 500u));
  c.list->add_option("--cursor", c.cursor, "The next_cursor of a previous page");
  c.list->add_flag("--json", out.json, "Print JSON");

  auto* ticket = app.add_subcommand("ticket", "Helpdesk tickets");
  ticket->require_subcommand(1);

  c.create = ticket->add_subcommand("create", "Open a ticket");
  auto* f = &c.fields;
  c.create
      ->add_option_function<std::string>(
          "--title", [f](const std::string& v) { f->set_title(v); }, "One line")
      ->required();
  c.create->add_option_function<std::string>(
      "--description", [f](const std::string& v) { f->set_description(v); }, "What is wrong");
  c.create->add_option("--impact", c.impact, "1 (very low) .. 5 (very high)")->required();
  c.create->add_option("--urgency", c.urgency, "1 (very low) .. 5 (very high)")->required();
  c.create->add_option_function<std::string>(
      "--device", [f](const std::string& v) { f->set_device_id(v); },
      "Device id the ticket is about");
  c.create->add_option_function<std::string>(
      "--requester", [f](const std::string& v) { f->set_requester(v); },
      "The person (default: you)");
  c.create->add_option_function<std::string>(
      "--channel", [f](const std::string& v) { f->set_channel(v); },
      "phone, email, chat, portal, api (default)");
  c.create->add_option_function<std::string>(
      "--category", [f](const std::string& v) { f->set_category(v); },
      "hardware, software, network, access, request, other, ...");
  c.create->add_option_function<std::string>(
      "--type", [f](const std::string& v) { f->set_type(v); },
      "incident (default), request, problem");
  c.create->add_option_function<std::string>(
      "--group", [f](const std::string& v) { f->set_group(v); }, "Support group");
  c.create->add_option_function<std::string>(
      "--since", [f](const std::string& v) { f->mutable_facts()->set_started(v); },
      "When it started, in the user's words");
  c.create->add_option_function<std::string>(
      "--frequency", [f](const std::string& v) { f->mutable_facts()->set_frequency(v); },
      "How long / how often");
  c.create->add_option_function<std::string>(
      "--affects", [f](const std::string& v) { f->mutable_facts()->set_affected(v); },
      "Application or device concerned");
  c.create->add_option_function<std::string>(
      "--symptoms", [f](const std::string& v) { f->mutable_facts()->set_symptoms(v); },
      "What the user sees");
  c.create->add_option_function<std::string>(
      "--business-impact",
      [f](const std::string& v) { f->mutable_facts()->set_business_impact(v); },
      "What it stops the user from doing");
  c.create->add_flag("--json", out.json, "Print JSON");

  c.show = ticket->add_subcommand("show", "A ticket with SLA, attachments, conversation, history");
  add_id(c.show, c);
  c.show->add_flag("--json", out.json, "Print JSON");

  c.assign = ticket->add_subcommand("assign", "Give a ticket to a technician");
  add_id(c.assign, c);
  c.assign->add_option("ASSIGNEE", c.assignee_name, "Technician")->required();

  c.set_status = ticket->add_subcommand("status", "Move a ticket to another status");
  add_id(c.set_status, c);
  c.set_status->add_option("STATUS", c.new_status, "new, assigned, in_progress, pending, ...")
      ->required();
  c.set_status->add_option("--pending-reason", c.pending_reason,
                           "waiting_for_user, waiting_for_vendor, waiting_for_change, other");
  c.set_status->add_option("--reason", c.reason, "Why (the solution when resolving)");

  c.escalate = ticket->add_subcommand("escalate", "Raise the support level, with a reason");
  add_id(c.escalate, c);
  c.escalate->add_option("LEVEL", c.level, "L2, L3 or L4")->required();
  c.escalate->add_option("--reason", c.reason, "What was tried, why it needs that level")
      ->required();
  c.escalate->add_option("--group", c.group, "Hand it to this support group as well");

  c.reply = ticket->add_subcommand("reply", "A public reply to the requester");
  add_id(c.reply, c);
  c.reply->add_option("TEXT", c.body, "The reply")->required();
  c.note = ticket->add_subcommand("note", "An internal note (technicians only)");
  add_id(c.note, c);
  c.note->add_option("TEXT", c.body, "The note")->required();

  c.resolve = ticket->add_subcommand("resolve", "Resolve a ticket with its solution");
  add_id(c.resolve, c);
  c.resolve->add_option("--solution", c.reason, "What fixed it")->required();
  c.close = ticket->add_subcommand("close", "Close a ticket");
  add_id(c.close, c);
  c.close->add_option("--reason", c.reason, "Why (needed when it was never resolved)");
  c.reopen = ticket->add_subcommand("reopen", "Reopen a resolved ticket");
  add_id(c.reopen, c);
  c.reopen->add_option("--reason", c.reason, "Why");

  c.stats = app.add_subcommand("stats", "Helpdesk statistics over a period");
  c.stats->add_option("--from", c.from, "Tickets created from this time (RFC 3339)");
  c.stats->add_option("--to", c.to, "... until before this time (RFC 3339)");
  c.stats->add_option("--top", c.top, "Length of the recurring-incident lists (default 10)")
      ->check(CLI::Range(1u, 100u));
  c.stats->add_flag("--json", out.json, "Print JSON");

  for (auto* command :
       {c.assign, c.set_status, c.escalate, c.reply, c.note, c.resolve, c.close, c.reopen}) {
    command->add_flag("--json", out.json, "Print JSON");
  }
  return owned;
}

std::optional<int> run_ticket_commands(const TicketCommands& c, const Output& out) {
  if (*c.list) return list_tickets(c, out);
  if (*c.stats) return ticket_stats(c, out);
  if (*c.create) return create_ticket(c, out);
  if (*c.show) return show_ticket(c, out);
  if (*c.assign) {
    v1::api::AssignTicketRequest body;
    body.set_assignee(c.assignee_name);
    return post_action(c.id, "assign", body, out, "assigned");
  }
  if (*c.set_status) {
    v1::api::TicketStatusRequest body;
    body.set_status(c.new_status);
    body.set_pending_reason(c.pending_reason);
    body.set_reason(c.reason);
    return post_action(c.id, "status", body, out, "updated");
  }
  if (*c.escalate) {
    v1::api::EscalateTicketRequest body;
    body.set_level(c.level);
    body.set_reason(c.reason);
    body.set_group(c.group);
    return post_action(c.id, "escalate", body, out, "escalated");
  }
  if (*c.reply || *c.note) {
    v1::api::TicketReplyRequest body;
    body.set_body(c.body);
    return *c.reply ? post_action(c.id, "reply", body, out, "replied to")
                    : post_action(c.id, "note", body, out, "noted");
  }
  v1::api::TicketReasonRequest body;
  body.set_reason(c.reason);
  if (*c.resolve) return post_action(c.id, "resolve", body, out, "resolved");
  if (*c.close) return post_action(c.id, "close", body, out, "closed");
  if (*c.reopen) return post_action(c.id, "reopen", body, out, "reopened");
  return std::nullopt;
}

}  // namespace helpline::cli
