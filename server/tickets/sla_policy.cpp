#include "server/tickets/sla_policy.h"

#include <algorithm>
#include <utility>

#include "server/tickets/ticket_error.h"

namespace helpline::relay::tickets {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

bool valid_target(std::chrono::milliseconds target) {
  return target.count() == 0 ||
         (target >= SlaPolicy::kMinTarget && target <= SlaPolicy::kMaxTarget);
}

}  // namespace

SlaPolicy::SlaPolicy() : targets_(default_targets()) {}

SlaPolicy::Table SlaPolicy::default_targets() {
  return Table{{
      {hours(16), hours(160)},
      {hours(8), hours(80)},
      {hours(4), hours(40)},
      {hours(1), hours(16)},
      {minutes(30), hours(8)},
      {minutes(15), hours(4)},
  }};
}

Result<SlaPolicy> SlaPolicy::create(std::string name, Table targets, BusinessCalendar calendar) {
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const SlaTargets& t = targets[i];
    const std::string where = "sla: priority " + std::to_string(i + 1) + ": ";
    if (!valid_target(t.first_response) || !valid_target(t.resolve)) {
      return fail(make_error(TicketError::kBadConfig,
                             where + "targets must be 0 (none) or between 1m and 365d"));
    }
    if (t.first_response.count() != 0 && t.resolve.count() != 0 && t.first_response > t.resolve) {
      return fail(
          make_error(TicketError::kBadConfig,
                     where + "the first-response target is longer than the resolve target"));
    }
  }
  SlaPolicy policy;
  policy.name_ = name.empty() ? "default" : std::move(name);
  policy.targets_ = targets;
  policy.calendar_ = std::move(calendar);
  return policy;
}

const SlaTargets& SlaPolicy::targets(Priority priority) const {
  const int index = std::clamp(to_int(priority), 1, 6) - 1;
  return targets_[static_cast<std::size_t>(index)];
}

}  // namespace helpline::relay::tickets
