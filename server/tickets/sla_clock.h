// The SLA clocks of one ticket, as stored with it.
//
// What is stored is what the deadlines are derived from: the start, the
// targets that apply, and the business time spent paused. The deadlines are
// kept too (the store sorts the queue by them) but can always be recomputed
// with retarget(), so a changed SLA policy or priority never loses a pause:
//
//   first_response_due = start + first_response target          (never paused)
//   resolve_due        = start + resolve target + paused_total  (business time)
//
// The resolve clock pauses while the ticket is pending and stops while it is
// resolved or closed (a stop is a pause that may never end: a reopen resumes
// it). The first-response clock never pauses.
//
// Breach: a deadline is met by anything done at or before it; it is breached
// from the first millisecond after it (at `now > due`, or when the response
// or the pause that stopped the clock came after it).
#pragma once

#include <chrono>

#include "common/core/time_format.h"
#include "server/tickets/business_calendar.h"
#include "server/tickets/sla_policy.h"

namespace helpline::relay::tickets {

struct SlaClock {
  UnixMillis start = 0;  // when both clocks started (ticket creation)
  SlaTargets targets;    // the targets that apply now (from the policy and the priority)
  UnixMillis first_response_due = 0;          // 0: no target
  UnixMillis resolve_due = 0;                 // 0: no target; excludes a pause in progress
  UnixMillis paused_since = 0;                // 0: the resolve clock runs
  std::chrono::milliseconds paused_total{0};  // business time of finished pauses

  [[nodiscard]] bool paused() const { return paused_since != 0; }

  friend bool operator==(const SlaClock&, const SlaClock&) = default;
};

// Both clocks running from `start`, deadlines computed.
[[nodiscard]] SlaClock start_sla_clock(UnixMillis start, const SlaTargets& targets,
                                       const BusinessCalendar& calendar);

// Stops the resolve clock at `now`; no-op when already paused.
void pause_sla(SlaClock& clock, UnixMillis now);

// Restarts the resolve clock: the business time since paused_since joins
// paused_total and resolve_due moves by it. No-op when running.
void resume_sla(SlaClock& clock, const BusinessCalendar& calendar, UnixMillis now);

// New targets (policy change, new priority) or a new calendar: recomputes
// both deadlines from start, the targets and paused_total. A pause in
// progress stays in progress.
void retarget_sla(SlaClock& clock, const SlaTargets& targets, const BusinessCalendar& calendar);

struct SlaState {
  bool first_response_breached = false;
  bool resolve_breached = false;
  bool paused = false;
};

// `first_response_at` is the ticket's first response (0: none yet). Resolve
// breach while paused compares the pause start with resolve_due, so a
// ticket paused in time never breaches while it waits.
[[nodiscard]] SlaState sla_state(const SlaClock& clock, UnixMillis first_response_at,
                                 UnixMillis now);

}  // namespace helpline::relay::tickets
