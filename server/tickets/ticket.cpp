#include "server/tickets/ticket.h"

#include "server/tickets/ticket_error.h"

namespace helpline::relay::tickets {

std::string Ticket::display_id() const { return format_display_id(id); }

std::string format_display_id(std::int64_t id) { return "HL-" + std::to_string(id); }

Result<std::int64_t> parse_display_id(std::string_view text) {
  auto bad = [&] {
    return fail(make_error(TicketError::kBadValue, "ticket: '" + std::string(text) +
                                                       "' is not a ticket id; use e.g. HL-1042"));
  };
  std::string_view digits = text;
  if (digits.size() > 3 && (digits[0] == 'H' || digits[0] == 'h') &&
      (digits[1] == 'L' || digits[1] == 'l') && digits[2] == '-') {
    digits.remove_prefix(3);
  }
  if (digits.empty() || digits.size() > 18) return bad();
  std::int64_t id = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return bad();
    id = id * 10 + (c - '0');
  }
  if (id <= 0) return bad();
  return id;
}

}  // namespace helpline::relay::tickets
