#include "tests/unit/server/tickets/ticket_builders.h"

#include <gtest/gtest.h>

namespace helpline::relay::tickets::testing {

UnixMillis at(std::string_view rfc3339) {
  auto parsed = parse_rfc3339(rfc3339);
  EXPECT_TRUE(parsed.has_value()) << rfc3339;
  return parsed.value_or(0);
}

Actor tech(SupportLevel level, std::string name) {
  return Actor::technician(std::move(name), level);
}
Actor user(std::string name) { return Actor::requester(std::move(name)); }
Actor robot() { return Actor::system(); }

BusinessCalendar office_calendar(std::vector<std::chrono::year_month_day> holidays) {
  auto calendar = BusinessCalendar::weekdays(DayHours{8 * 60, 18 * 60}, 0, std::move(holidays));
  EXPECT_TRUE(calendar.has_value());
  return calendar.value_or(BusinessCalendar::always_open());
}

HelpdeskRules default_rules() { return HelpdeskRules{}; }

Ticket ok(const Result<Changes>& result) {
  EXPECT_TRUE(result.has_value()) << (result ? "" : result.error().to_string());
  return result ? result->ticket : Ticket{};
}

Ticket new_ticket(const HelpdeskRules& rules, UnixMillis now, Impact impact, Urgency urgency) {
  NewTicket request;
  request.title = "Printer offline";
  request.requester = Requester{"alice", "dev_01"};
  request.channel = Channel::kAgent;
  request.category = "hardware";
  request.impact = impact;
  request.urgency = urgency;
  Ticket ticket = ok(open_ticket(request, rules, user(), now));
  ticket.id = 7;
  return ticket;
}

Ticket ticket_in(Status status, const HelpdeskRules& rules, UnixMillis opened) {
  Ticket t = new_ticket(rules, opened);
  const UnixMillis now = opened + kMinute;
  const Actor bob = tech();
  auto move = [&](Status to, std::string reason = {},
                  std::optional<PendingReason> pending = std::nullopt) {
    t = ok(change_status(t, StatusChange{to, pending, std::move(reason)}, bob, rules, now));
  };
  switch (status) {
    case Status::kNew:
      break;
    case Status::kAssigned:
      t = ok(assign(t, "bob", bob, now));
      break;
    case Status::kInProgress:
      move(Status::kInProgress);
      break;
    case Status::kPending:
      move(Status::kPending, {}, PendingReason::kWaitingForUser);
      break;
    case Status::kResolved:
      move(Status::kResolved, "replaced the toner");
      break;
    case Status::kClosed:
      move(Status::kResolved, "replaced the toner");
      move(Status::kClosed);
      break;
  }
  EXPECT_EQ(t.status, status);
  return t;
}

}  // namespace helpline::relay::tickets::testing
