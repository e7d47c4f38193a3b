// Everything configurable about the helpdesk, in one value the relay builds
// from relay.toml at start-up and passes to the ticket operations.
#pragma once

#include <chrono>
#include <vector>

#include "common/core/result.h"
#include "server/tickets/category.h"
#include "server/tickets/escalation_rule.h"
#include "server/tickets/priority_matrix.h"
#include "server/tickets/sla_policy.h"

namespace helpline::relay::tickets {

struct HelpdeskRules {
  static constexpr std::chrono::milliseconds kDefaultReopenWindow = std::chrono::hours(24 * 7);
  static constexpr std::chrono::milliseconds kMaxReopenWindow = std::chrono::hours(24 * 365);

  PriorityMatrix matrix;       // GLPI default
  CategoryCatalog categories;  // built-ins only
  SlaPolicy sla;               // default targets, 24x7
  // Wall-clock time after resolution during which the requester may reopen;
  // afterwards the system may close the ticket. 0: requesters cannot reopen.
  std::chrono::milliseconds reopen_window = kDefaultReopenWindow;
  std::vector<EscalationRule> escalations;  // none by default
};

// The parts whose types do not already guarantee validity: the reopen
// window (0..365d) and the escalation rules. Errors: "bad_config".
[[nodiscard]] Result<void> validate_rules(const HelpdeskRules& rules);

}  // namespace helpline::relay::tickets
