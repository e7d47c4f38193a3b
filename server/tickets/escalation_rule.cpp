#include "server/tickets/escalation_rule.h"

#include <algorithm>
#include <set>

#include "server/tickets/checks.h"
#include "server/tickets/overloaded.h"
#include "server/tickets/ticket_error.h"

namespace helpline::relay::tickets {
namespace {

tl::unexpected<Error> bad_rule(std::string_view id, const std::string& why) {
  return fail(
      make_error(TicketError::kBadConfig, "escalation rule '" + std::string(id) + "': " + why));
}

Result<void> check_action(const EscalationAction& action) {
  return std::visit(detail::Overloaded{
                        [](const NotifyAction& a) {
                          return detail::check_line("target", a.target, detail::kMaxName, true);
                        },
                        [](const RaiseLevelAction&) { return Result<void>{}; },
                        [](const ReassignGroupAction& a) {
                          return detail::check_line("group", a.group, detail::kMaxName, true);
                        },
                    },
                    action);
}

}  // namespace

const char* to_string(SlaDeadline deadline) {
  return deadline == SlaDeadline::kFirstResponse ? "first_response" : "resolve";
}

Result<SlaDeadline> parse_sla_deadline(std::string_view text) {
  if (text == "first_response") return SlaDeadline::kFirstResponse;
  if (text == "resolve") return SlaDeadline::kResolve;
  return fail(make_error(
      TicketError::kBadValue,
      "deadline: '" + std::string(text) + "' is not valid; use first_response or resolve"));
}

std::string describe(const EscalationAction& action) {
  return std::visit(detail::Overloaded{
                        [](const NotifyAction& a) { return "notify " + a.target; },
                        [](const RaiseLevelAction& a) {
                          return std::string("raise_level ") + (a.to ? to_string(*a.to) : "+1");
                        },
                        [](const ReassignGroupAction& a) { return "reassign_group " + a.group; },
                    },
                    action);
}

bool EscalationRule::applies_to(Priority priority) const {
  return priorities.empty() ||
         std::find(priorities.begin(), priorities.end(), priority) != priorities.end();
}

Result<void> validate_escalation_rules(std::span<const EscalationRule> rules) {
  std::set<std::string_view> ids;
  for (const EscalationRule& rule : rules) {
    if (auto ok = detail::check_identifier("id", rule.id); !ok) {
      return bad_rule(rule.id, ok.error().message);
    }
    if (!ids.insert(rule.id).second) return bad_rule(rule.id, "the id is used twice");
    if (rule.offset > EscalationRule::kMaxOffset || rule.offset < -EscalationRule::kMaxOffset) {
      return bad_rule(rule.id, "offset must be within 30 days of the deadline");
    }
    if (auto ok = check_action(rule.action); !ok) return bad_rule(rule.id, ok.error().message);
  }
  return {};
}

}  // namespace helpline::relay::tickets
