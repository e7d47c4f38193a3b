#include "server/tickets/sla_clock.h"

namespace helpline::relay::tickets {
namespace {

UnixMillis deadline(const BusinessCalendar& calendar, UnixMillis start,
                    std::chrono::milliseconds target, std::chrono::milliseconds extra) {
  if (target.count() <= 0) return 0;
  return calendar.add_business_time(start, target + extra);
}

}  // namespace

SlaClock start_sla_clock(UnixMillis start, const SlaTargets& targets,
                         const BusinessCalendar& calendar) {
  SlaClock clock;
  clock.start = start;
  retarget_sla(clock, targets, calendar);
  return clock;
}

void pause_sla(SlaClock& clock, UnixMillis now) {
  if (clock.paused()) return;
  // 0 means "running": a pause at the epoch itself is recorded one ms later.
  clock.paused_since = now > 0 ? now : 1;
}

void resume_sla(SlaClock& clock, const BusinessCalendar& calendar, UnixMillis now) {
  if (!clock.paused()) return;
  clock.paused_total += calendar.business_time_between(clock.paused_since, now);
  clock.paused_since = 0;
  clock.resolve_due = deadline(calendar, clock.start, clock.targets.resolve, clock.paused_total);
}

void retarget_sla(SlaClock& clock, const SlaTargets& targets, const BusinessCalendar& calendar) {
  clock.targets = targets;
  clock.first_response_due =
      deadline(calendar, clock.start, targets.first_response, std::chrono::milliseconds{0});
  clock.resolve_due = deadline(calendar, clock.start, targets.resolve, clock.paused_total);
}

SlaState sla_state(const SlaClock& clock, UnixMillis first_response_at, UnixMillis now) {
  SlaState state;
  state.paused = clock.paused();
  if (clock.first_response_due != 0) {
    const UnixMillis when = first_response_at != 0 ? first_response_at : now;
    state.first_response_breached = when > clock.first_response_due;
  }
  if (clock.resolve_due != 0) {
    const UnixMillis when = clock.paused() ? clock.paused_since : now;
    state.resolve_breached = when > clock.resolve_due;
  }
  return state;
}

}  // namespace helpline::relay::tickets
