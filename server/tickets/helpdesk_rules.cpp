#include "server/tickets/helpdesk_rules.h"

#include "server/tickets/ticket_error.h"

namespace helpline::relay::tickets {

Result<void> validate_rules(const HelpdeskRules& rules) {
  if (rules.reopen_window.count() < 0 || rules.reopen_window > HelpdeskRules::kMaxReopenWindow) {
    return fail(make_error(TicketError::kBadConfig, "reopen window must be between 0 and 365d"));
  }
  return validate_escalation_rules(rules.escalations);
}

}  // namespace helpline::relay::tickets
