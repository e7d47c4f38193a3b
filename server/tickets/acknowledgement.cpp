#include "server/tickets/acknowledgement.h"

namespace helpline::relay::tickets {

std::string format_hours_minutes(std::chrono::milliseconds duration) {
  // Rounded up to the minute: a promise should not sound shorter than it is.
  const std::int64_t minutes = (duration.count() + 59'999) / 60'000;
  if (minutes <= 0) return "0m";
  std::string out;
  if (minutes >= 60) out += std::to_string(minutes / 60) + "h";
  if (minutes % 60 != 0) out += std::to_string(minutes % 60) + "m";
  return out;
}

Acknowledgement make_acknowledgement(const Ticket& ticket) {
  Acknowledgement ack;
  ack.display_id = ticket.display_id();
  ack.priority = ticket.priority;
  ack.first_response_due = ticket.sla.first_response_due;
  ack.first_response_target = ticket.sla.targets.first_response;

  std::string text =
      "Your request has been recorded as " + ack.display_id + ": \"" + ticket.title + "\".\n";
  text += std::string("Priority: ") + to_string(ticket.priority) + " (" + label(ticket.priority) +
          ").\n";
  if (ack.first_response_due != 0) {
    const std::string target = format_hours_minutes(ack.first_response_target);
    const bool business_hours =
        ack.first_response_due - ticket.sla.start > ack.first_response_target.count();
    text += "Expected first response: by " + format_rfc3339(ack.first_response_due) + " (within " +
            target + (business_hours ? " of business hours" : "") + ").\n";
  } else {
    text += "A technician will respond as soon as possible.\n";
  }
  text += "Quote " + ack.display_id + " when you add information or ask about this request.\n";
  ack.text = std::move(text);
  return ack;
}

}  // namespace helpline::relay::tickets
