// `helpline tickets`, `helpline ticket ...` and `helpline stats`: each command is one API
// call; --json prints the relay's answer as it came (a TicketList object,
// or one Ticket), the default a table or a short report.
#include "server/cli/ticket_commands.h"

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "common/core/files.h"
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
  CLI::App* classify = nullptr;
  unsigned new_impact = 0, new_urgency = 0;
  std::string new_category, new_type;
  CLI::App* priority_cmd = nullptr;
  std::string new_priority;
  CLI::App* attach = nullptr;
  std::string file, file_name, media_type;
  CLI::App* attachment = nullptr;
  std::string ref, out_file;
  // stats
  CLI::App* stats = nullptr;
  std::string from, to;
  unsigned top = 0;
};

namespace {

[[nodiscard]] std::string ticket_path(const std::string& id, std::string_view action = {}) {
  std::string path = "/api/v1/tickets/" + url_encode(id);
  if (!action.empty()) path += "/" + std::string(action);
  return path;
}

int list_tickets(const TicketCommands& c, const Output& out) {
  std::string query;
  if (!c.status.empty()) add_query(query, "status", c.status);
  if (c.priority != 0) add_query(query, "priority", std::to_string(c.priority));
  if (c.list->get_option("--assignee")->count() > 0) add_query(query, "assignee", c.assignee);
  if (!c.device.empty()) add_query(query, "device", c.device);
  if (c.breaching) add_query(query, "breaching", "true");
  if (c.limit != 0) add_query(query, "limit", std::to_string(c.limit));
  if (!c.cursor.empty()) add_query(query, "cursor", c.cursor);
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
    std::cout << ticket.display_id() << " " << done << " (status " << ticket.status()
              << ", priority " << ticket.priority() << " " << ticket.priority_name() << ", level "
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
  if (!c.from.empty()) add_query(query, "from", c.from);
  if (!c.to.empty()) add_query(query, "to", c.to);
  if (c.top != 0) add_query(query, "top", std::to_string(c.top));
  v1::api::TicketStats stats;
  if (int rc = fetch("GET", "/api/v1/stats/tickets" + query, stats); rc != 0) return rc;
  if (out.json) {
    std::cout << to_json(stats) << "\n";
  } else {
    print_stats(stats);
  }
  return 0;
}

// Media types of common file name endings; the relay stores what it is told.
[[nodiscard]] std::string guess_media_type(const std::string& name) {
  static const std::pair<const char*, const char*> kTypes[] = {
      {".png", "image/png"},       {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},     {".gif", "image/gif"},
      {".webp", "image/webp"},     {".pdf", "application/pdf"},
      {".txt", "text/plain"},      {".log", "text/plain"},
      {".csv", "text/csv"},        {".json", "application/json"},
      {".xml", "application/xml"}, {".zip", "application/zip"},
      {".gz", "application/gzip"}, {".cast", "application/x-asciicast"}};
  for (const auto& [suffix, type] : kTypes) {
    const std::string_view end(suffix);
    if (name.size() >= end.size() && name.compare(name.size() - end.size(), end.size(), end) == 0) {
      return type;
    }
  }
  return "application/octet-stream";
}

int attach_file(const TicketCommands& c, const Output& out) {
  // The relay enforces its own limit (helpdesk.max_attachment); this one
  // only keeps the CLI from reading a huge file for nothing.
  auto content = files::read(c.file, 256u << 20);
  if (!content) return report_failure(content.error());
  const std::string name =
      c.file_name.empty() ? std::filesystem::path(c.file).filename().string() : c.file_name;
  const std::string type = c.media_type.empty() ? guess_media_type(name) : c.media_type;
  auto client = logged_in_client();
  if (!client) return report_failure(client.error());
  auto reply =
      call_api(*client, "POST", ticket_path(c.id, "attachments") + "?name=" + url_encode(name),
               *content, std::chrono::seconds(300), type);
  if (!reply) return report_failure(reply.error());
  v1::api::TicketAttachment attached;
  if (auto parsed = relay::api::parse_json(*reply, attached); !parsed) {
    return report_failure("unexpected answer from the relay: " + parsed.error().message);
  }
  if (out.json) {
    std::cout << to_json(attached) << "\n";
  } else {
    std::cout << attached.name() << " (" << attached.size() << " bytes, " << attached.content_type()
              << ") attached to " << c.id << " as " << attached.ref() << ".\n";
  }
  return 0;
}

int download_attachment(const TicketCommands& c) {
  auto client = logged_in_client();
  if (!client) return report_failure(client.error());
  auto reply = call_api(*client, "GET", ticket_path(c.id, "attachments") + "/" + url_encode(c.ref),
                        {}, std::chrono::seconds(300));
  if (!reply) return report_failure(reply.error());
  if (auto written = files::write_atomic(c.out_file, *reply, 0600); !written) {
    return report_failure(written.error());
  }
  std::cerr << "Wrote " << reply->size() << " bytes to " << c.out_file << ".\n";
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

  c.classify = ticket->add_subcommand("classify", "Change impact, urgency, category or type");
  add_id(c.classify, c);
  c.classify->add_option("--impact", c.new_impact, "1 (very low) .. 5 (very high)")
      ->check(CLI::Range(1u, 5u));
  c.classify->add_option("--urgency", c.new_urgency, "1 (very low) .. 5 (very high)")
      ->check(CLI::Range(1u, 5u));
  c.classify->add_option("--category", c.new_category, "hardware, software, network, ...");
  c.classify->add_option("--type", c.new_type, "incident, request, problem");
  c.priority_cmd = ticket->add_subcommand(
      "priority", "Set the priority by hand (6 = major), or back to the matrix");
  add_id(c.priority_cmd, c);
  c.priority_cmd->add_option("PRIORITY", c.new_priority, "1..6, or matrix")->required();
  c.priority_cmd->add_option("--reason", c.reason, "Why (required when setting it)");
  c.attach = ticket->add_subcommand("attach", "Attach a file (screenshot, log, document)");
  add_id(c.attach, c);
  c.attach->add_option("FILE", c.file, "The file")->required()->check(CLI::ExistingFile);
  c.attach->add_option("--name", c.file_name, "Name to show (default: the file's name)");
  c.attach->add_option("--type", c.media_type, "Media type (default: from the name)");
  c.attach->add_flag("--json", out.json, "Print JSON");
  c.attachment = ticket->add_subcommand("attachment", "Download an attachment of a ticket");
  add_id(c.attachment, c);
  c.attachment->add_option("REF", c.ref, "The attachment's ref (sha256:...), from ticket show")
      ->required();
  c.attachment->add_option("--out", c.out_file, "File to write (0600)")->required();

  c.stats = app.add_subcommand("stats", "Helpdesk statistics over a period");
  c.stats->add_option("--from", c.from, "Tickets created from this time (RFC 3339)");
  c.stats->add_option("--to", c.to, "... until before this time (RFC 3339)");
  c.stats->add_option("--top", c.top, "Length of the recurring-incident lists (default 10)")
      ->check(CLI::Range(1u, 100u));
  c.stats->add_flag("--json", out.json, "Print JSON");

  for (auto* command : {c.assign, c.set_status, c.escalate, c.reply, c.note, c.resolve, c.close,
                        c.reopen, c.classify, c.priority_cmd}) {
    command->add_flag("--json", out.json, "Print JSON");
  }
  return owned;
}

std::optional<int> run_ticket_commands(const TicketCommands& c, const Output& out) {
  if (*c.list) return list_tickets(c, out);
  if (*c.stats) return ticket_stats(c, out);
  if (*c.create) return create_ticket(c, out);
  if (*c.show) return show_ticket(c, out);
  if (*c.attach) return attach_file(c, out);
  if (*c.attachment) return download_attachment(c);
  if (*c.classify) {
    v1::api::ReclassifyTicketRequest body;
    body.set_impact(c.new_impact);
    body.set_urgency(c.new_urgency);
    body.set_category(c.new_category);
    body.set_type(c.new_type);
    return post_action(c.id, "classify", body, out, "reclassified");
  }
  if (*c.priority_cmd) {
    v1::api::TicketPriorityRequest body;
    body.set_priority(c.new_priority);
    body.set_reason(c.reason);
    return post_action(c.id, "priority", body, out, "reprioritised");
  }
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
