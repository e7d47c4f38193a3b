#include "server/cli/ticket_print.h"

#include <iostream>
#include <string>
#include <vector>

#include "server/cli/table.h"

namespace helpline::cli {
namespace {

[[nodiscard]] std::string breach_text(const v1::api::TicketSla& sla) {
  std::string out;
  if (sla.first_response_breached()) out = "response";
  if (sla.resolve_breached()) out += out.empty() ? "resolve" : ",resolve";
  return out;
}

// The deadline a technician must meet next: the first response while
// unanswered, then the resolve deadline.
[[nodiscard]] std::string next_due(const v1::api::Ticket& t) {
  if (t.first_response_at().empty() && !t.sla().first_response_due().empty()) {
    return t.sla().first_response_due();
  }
  return t.sla().resolve_due();
}

[[nodiscard]] std::string duration_text(std::int64_t ms) {
  const std::int64_t minutes = ms / 60'000;
  if (minutes < 60) return std::to_string(minutes) + "m";
  return std::to_string(minutes / 60) + "h" +
         (minutes % 60 == 0 ? "" : std::to_string(minutes % 60) + "m");
}

template <class Entries>
[[nodiscard]] std::string counts_text(const Entries& entries) {
  std::string out;
  for (const auto& e : entries) {
    out += (out.empty() ? "" : ", ") + e.key() + " " + std::to_string(e.count());
  }
  return or_dash(out);
}

}  // namespace

void print_stats(const v1::api::TicketStats& s) {
  std::cout << "period:          " << or_dash(s.from()) << " .. " << or_dash(s.to()) << "\n"
            << "tickets:         " << s.total() << " (" << s.resolved() << " resolved, "
            << s.reopened() << " reopened)\n"
            << "by priority:     " << counts_text(s.by_priority()) << "\n"
            << "by category:     " << counts_text(s.by_category()) << "\n"
            << "by channel:      " << counts_text(s.by_channel()) << "\n"
            << "by status:       " << counts_text(s.by_status()) << "\n";
  for (auto [label, d] : {std::pair{"first response:  ", &s.first_response()},
                          std::pair{"resolution:      ", &s.resolution()}}) {
    std::cout << label << "median " << duration_text(d->median_ms()) << ", p90 "
              << duration_text(d->p90_ms()) << " (" << d->count() << " tickets)\n";
  }
  for (auto [label, c] : {std::pair{"SLA response:    ", &s.first_response_sla()},
                          std::pair{"SLA resolve:     ", &s.resolve_sla()}}) {
    std::cout << label
              << (c->measured() == 0
                      ? std::string("-")
                      : std::to_string(static_cast<int>(c->percent())) + "% met (" +
                            std::to_string(c->met()) + "/" + std::to_string(c->measured()) + ")")
              << "\n";
  }
  std::cout << "satisfaction:    "
            << (s.rated() == 0 ? std::string("-")
                               : std::to_string(s.satisfaction_average()).substr(0, 4) + "/5 (" +
                                     std::to_string(s.rated()) + " ratings)")
            << "\n"
            << "recurring incidents:\n"
            << "  categories:    " << counts_text(s.top_categories()) << "\n"
            << "  devices:       " << counts_text(s.top_devices()) << "\n"
            << "  findings:      " << counts_text(s.top_findings()) << "\n";
}

void print_ticket_table(const v1::api::TicketList& list) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& t : list.tickets()) {
    rows.push_back({t.display_id(), std::to_string(t.priority()), t.status(), t.level(),
                    or_dash(t.assignee()), or_dash(next_due(t)), breach_text(t.sla()), t.title()});
  }
  print_table(std::cout, {"ID", "PRI", "STATUS", "LEVEL", "ASSIGNEE", "DUE", "BREACHED", "TITLE"},
              rows);
  if (!list.next_cursor().empty()) {
    std::cout << "more: --cursor " << list.next_cursor() << "\n";
  }
}

void print_ticket(const v1::api::Ticket& t) {
  std::cout << "ticket:      " << t.display_id() << "  " << t.title() << "\n"
            << "status:      " << t.status()
            << (t.pending_reason().empty() ? "" : " (" + t.pending_reason() + ")") << "\n"
            << "priority:    " << t.priority() << " " << t.priority_name() << " (impact "
            << t.impact() << ", urgency " << t.urgency()
            << (t.priority_overridden() ? ", set by hand" : "") << ")\n"
            << "class:       " << t.type() << ", " << t.category() << ", via " << t.channel()
            << "\n"
            << "level:       " << t.level() << (t.group().empty() ? "" : ", group " + t.group())
            << "\n"
            << "assignee:    " << or_dash(t.assignee()) << "\n"
            << "requester:   " << t.requester()
            << (t.device_id().empty() ? "" : " on " + t.device_id()) << "\n"
            << "created:     " << t.created_at()
            << (t.created_by().empty() ? "" : " by " + t.created_by()) << "\n";
  const auto& sla = t.sla();
  std::cout << "response by: " << or_dash(sla.first_response_due())
            << (sla.first_response_breached() ? "  BREACHED" : "")
            << (t.first_response_at().empty() ? "" : "  (answered " + t.first_response_at() + ")")
            << "\n"
            << "resolve by:  " << or_dash(sla.resolve_due())
            << (sla.resolve_breached() ? "  BREACHED" : "") << (sla.paused() ? "  (paused)" : "")
            << "\n";
  const auto& f = t.facts();
  for (auto [label, value] :
       {std::pair{"since:       ", f.started()}, std::pair{"how often:   ", f.frequency()},
        std::pair{"affects:     ", f.affected()}, std::pair{"symptoms:    ", f.symptoms()},
        std::pair{"impact:      ", f.business_impact()}}) {
    if (!value.empty()) std::cout << label << value << "\n";
  }
  if (!t.solution().empty()) std::cout << "solution:    " << t.solution() << "\n";
  if (t.satisfaction().rating() != 0) {
    std::cout << "rating:      " << t.satisfaction().rating() << "/5 " << t.satisfaction().comment()
              << "\n";
  }
  if (!t.description().empty()) std::cout << "\n" << t.description() << "\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& a : t.attachments()) {
    rows.push_back({a.kind(), or_dash(a.name()), a.size() == 0 ? "-" : std::to_string(a.size()),
                    a.ref(), a.added_at(), a.added_by()});
  }
  std::cout << "\nattachments:\n";
  print_table(std::cout, {"KIND", "NAME", "BYTES", "REF", "ADDED", "BY"}, rows);
  rows.clear();
  for (const auto& k : t.kb_articles()) {
    rows.push_back({k.id(), k.reason(), k.audience(), k.title()});
  }
  if (!rows.empty()) {
    std::cout << "\nknowledge base:\n";
    print_table(std::cout, {"ARTICLE", "WHY", "AUDIENCE", "TITLE"}, rows);
  }
  std::cout << "\nconversation:\n";
  for (const auto& m : t.messages()) {
    std::cout << "--- " << m.at() << "  " << m.author() << " (" << m.author_kind()
              << (m.internal() ? ", internal note" : "") << ")\n"
              << m.body() << "\n";
  }
  rows.clear();
  for (const auto& h : t.history()) {
    rows.push_back({h.at(), h.actor(), h.field(), h.old_value(), h.new_value(), h.reason()});
  }
  std::cout << "\nhistory:\n";
  print_table(std::cout, {"AT", "BY", "FIELD", "FROM", "TO", "WHY"}, rows);
}

}  // namespace helpline::cli
