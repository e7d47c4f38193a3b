// The service levels promised per priority: time to first response ("time to
// own") and time to resolve, both counted in the policy's business calendar.
//
// A target of zero means "no target" for that priority: the ticket gets no
// deadline and is left out of SLA compliance.
#pragma once

#include <array>
#include <chrono>
#include <string>

#include "common/core/result.h"
#include "server/tickets/business_calendar.h"
#include "server/tickets/ticket_enums.h"

namespace helpline::relay::tickets {

struct SlaTargets {
  std::chrono::milliseconds first_response{0};  // 0: no target
  std::chrono::milliseconds resolve{0};         // 0: no target

  friend bool operator==(const SlaTargets&, const SlaTargets&) = default;
};

class SlaPolicy {
 public:
  static constexpr std::chrono::milliseconds kMinTarget = std::chrono::minutes(1);
  static constexpr std::chrono::milliseconds kMaxTarget = std::chrono::hours(24 * 365);

  // Index 0 is priority 1 (very low) ... index 5 is priority 6 (major).
  using Table = std::array<SlaTargets, 6>;

  // "default", 24x7, with the targets of default_targets().
  SlaPolicy();

  // Errors: "bad_config" naming the priority, for a target that is neither 0
  // nor within [1 min, 365 d], or a first-response target above the resolve
  // target.
  [[nodiscard]] static Result<SlaPolicy> create(std::string name, Table targets,
                                                BusinessCalendar calendar);

  // 1 very low: 16h / 160h, 2 low: 8h / 80h, 3 medium: 4h / 40h,
  // 4 high: 1h / 16h, 5 very high: 30m / 8h, 6 major: 15m / 4h.
  [[nodiscard]] static Table default_targets();

  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] const SlaTargets& targets(Priority priority) const;
  [[nodiscard]] const Table& table() const { return targets_; }
  [[nodiscard]] const BusinessCalendar& calendar() const { return calendar_; }

 private:
  std::string name_ = "default";
  Table targets_;
  BusinessCalendar calendar_;
};

}  // namespace helpline::relay::tickets
