// An automatic escalation: an action that fires once per ticket at an offset
// from one of its SLA deadlines.
//
// Offsets are business time in the SLA policy's calendar: "-30m" is half a
// working hour before the deadline, so a warning for a Monday 09:30
// deadline fires at 09:00, not on Sunday night. Negative fires before the
// deadline, positive after, zero at it.
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/core/result.h"
#include "server/tickets/ticket_enums.h"

namespace helpline::relay::tickets {

enum class SlaDeadline { kFirstResponse, kResolve };

// "first_response", "resolve".
[[nodiscard]] const char* to_string(SlaDeadline deadline);
[[nodiscard]] Result<SlaDeadline> parse_sla_deadline(std::string_view text);

// Tell someone (a user, a group, an on-call alias: the notifier resolves it).
struct NotifyAction {
  std::string target;
  friend bool operator==(const NotifyAction&, const NotifyAction&) = default;
};
// Raise the support level to `to`, or one level when unset; never lowers it
// and never goes past L4.
struct RaiseLevelAction {
  std::optional<SupportLevel> to;
  friend bool operator==(const RaiseLevelAction&, const RaiseLevelAction&) = default;
};
// Give the ticket to another support group (the assignee stays until the
// new group reassigns it).
struct ReassignGroupAction {
  std::string group;
  friend bool operator==(const ReassignGroupAction&, const ReassignGroupAction&) = default;
};

using EscalationAction = std::variant<NotifyAction, RaiseLevelAction, ReassignGroupAction>;

// "notify duty-manager", "raise_level L3", "raise_level +1", "reassign_group network".
[[nodiscard]] std::string describe(const EscalationAction& action);

struct EscalationRule {
  static constexpr std::chrono::milliseconds kMaxOffset = std::chrono::hours(24 * 30);

  std::string id;  // stable: the fired set remembers rules by id
  SlaDeadline deadline = SlaDeadline::kResolve;
  std::chrono::milliseconds offset{0};  // business time; negative: before the deadline
  EscalationAction action;
  std::vector<Priority> priorities;  // the rule applies to these; empty: to all

  [[nodiscard]] bool applies_to(Priority priority) const;

  friend bool operator==(const EscalationRule&, const EscalationRule&) = default;
};

// Errors: "bad_config" naming the rule: ids must be unique identifiers
// (A-Z a-z 0-9 . _ : -), offsets within +-30 days, notify targets and groups
// non-empty single lines.
[[nodiscard]] Result<void> validate_escalation_rules(std::span<const EscalationRule> rules);

}  // namespace helpline::relay::tickets
