// Shared helpers for the tickets tests: times, actors, rules, and tickets
// brought into each status through the real workflow.
#pragma once

#include <string_view>

#include "server/tickets/tickets.h"

namespace helpline::relay::tickets::testing {

// RFC 3339 to UnixMillis; fails the test on a bad literal.
[[nodiscard]] UnixMillis at(std::string_view rfc3339);

inline constexpr std::int64_t kMinute = 60'000;
inline constexpr std::int64_t kHour = 60 * kMinute;
inline constexpr std::int64_t kDay = 24 * kHour;

[[nodiscard]] Actor tech(SupportLevel level = SupportLevel::kL1, std::string name = "bob");
[[nodiscard]] Actor user(std::string name = "alice");
[[nodiscard]] Actor robot();

// Mon-Fri 08:00-18:00 UTC with the given holidays.
[[nodiscard]] BusinessCalendar office_calendar(
    std::vector<std::chrono::year_month_day> holidays = {});

// Default rules, 24x7.
[[nodiscard]] HelpdeskRules default_rules();

// A fresh ticket (id 7) opened at `now` through open_ticket().
[[nodiscard]] Ticket new_ticket(const HelpdeskRules& rules, UnixMillis now,
                                Impact impact = Impact::kMedium,
                                Urgency urgency = Urgency::kMedium);

// A ticket opened at `opened` and driven by technician "bob" (L1) into
// `status` one minute later (pending: waiting_for_user; closed: after
// resolution).
[[nodiscard]] Ticket ticket_in(Status status, const HelpdeskRules& rules, UnixMillis opened);

// Unwraps a Result<Changes>, failing the test with the error.
[[nodiscard]] Ticket ok(const Result<Changes>& result);

}  // namespace helpline::relay::tickets::testing
