#include "server/tickets/intake.h"

#include <algorithm>

#include "server/tickets/checks.h"
#include "server/tickets/ticket_editor.h"
#include "server/tickets/ticket_error.h"

namespace helpline::relay::tickets {
namespace {

using detail::check_identifier;
using detail::check_line;
using detail::check_multiline;
using detail::kMaxShortText;

Result<void> check_facts(const IntakeFacts& facts) {
  const std::pair<const char*, const std::string*> fields[] = {
      {"started", &facts.started},
      {"frequency", &facts.frequency},
      {"affected", &facts.affected},
      {"symptoms", &facts.symptoms},
      {"business_impact", &facts.business_impact},
  };
  for (const auto& [name, value] : fields) {
    if (auto ok = check_multiline(name, *value, kMaxShortText, false); !ok) return ok;
  }
  if (facts.started_at < 0) {
    return fail(make_error(TicketError::kBadValue, "started_at: must not be before 1970"));
  }
  return {};
}

Result<void> check_request(const NewTicket& request) {
  if (auto ok = check_line("title", request.title, detail::kMaxName, true); !ok) return ok;
  if (auto ok = check_multiline("description", request.description, detail::kMaxLongText, false);
      !ok) {
    return ok;
  }
  if (auto ok = check_line("requester", request.requester.name, detail::kMaxName, true); !ok) {
    return ok;
  }
  if (!request.requester.device_id.empty() || request.channel == Channel::kAgent) {
    if (auto ok = check_identifier("device_id", request.requester.device_id); !ok) return ok;
  }
  if (auto ok = check_line("group", request.group, detail::kMaxName, false); !ok) return ok;
  if (request.finding_ids.size() > kMaxFindingIds) {
    return fail(
        make_error(TicketError::kBadValue,
                   "finding_ids: at most " + std::to_string(kMaxFindingIds) + " per ticket"));
  }
  for (const std::string& id : request.finding_ids) {
    if (auto ok = check_identifier("finding_ids", id); !ok) return ok;
  }
  return check_facts(request.facts);
}

}  // namespace

Result<Changes> open_ticket(const NewTicket& request, const HelpdeskRules& rules,
                            const Actor& creator, UnixMillis now) {
  if (auto ok = check_request(request); !ok) return fail(ok.error());
  auto category = rules.categories.parse(request.category);
  if (!category) return fail(category.error());

  Ticket t;
  t.title = request.title;
  t.description = request.description;
  t.requester = request.requester;
  t.channel = request.channel;
  t.category = std::move(*category);
  t.type = request.type;
  t.impact = request.impact;
  t.urgency = request.urgency;
  t.priority = rules.matrix.compute(request.impact, request.urgency);
  t.level = request.level;
  t.group = request.group;
  t.facts = request.facts;
  for (const std::string& id : request.finding_ids) {
    if (std::find(t.finding_ids.begin(), t.finding_ids.end(), id) == t.finding_ids.end()) {
      t.finding_ids.push_back(id);
    }
  }
  t.created_at = now;
  t.sla = start_sla_clock(now, rules.sla.targets(t.priority), rules.sla.calendar());

  detail::TicketEditor editor(t, creator, now);
  editor.note("created", "", to_string(t.channel));
  return std::move(editor).finish();
}

}  // namespace helpline::relay::tickets
