#include "server/tickets/ticket_error.h"

#include <utility>

namespace helpline::relay::tickets {

const char* to_code(TicketError error) {
  switch (error) {
    case TicketError::kBadValue:
      return "bad_value";
    case TicketError::kBadConfig:
      return "bad_config";
    case TicketError::kIllegalTransition:
      return "illegal_transition";
    case TicketError::kNotAllowed:
      return "not_allowed";
    case TicketError::kInsufficientLevel:
      return "insufficient_level";
    case TicketError::kReasonRequired:
      return "reason_required";
    case TicketError::kAssigneeRequired:
      return "assignee_required";
    case TicketError::kReopenWindowPassed:
      return "reopen_window_passed";
    case TicketError::kTicketFinished:
      return "ticket_finished";
    case TicketError::kNoChange:
      return "no_change";
  }
  return "ticket_error";
}

namespace {

// Used when a caller passes no detail, so an Error never has an empty message.
const char* describe(TicketError error) {
  switch (error) {
    case TicketError::kBadValue:
      return "a field has an invalid value";
    case TicketError::kBadConfig:
      return "the helpdesk configuration is invalid";
    case TicketError::kIllegalTransition:
      return "the ticket cannot move to that status from its current one";
    case TicketError::kNotAllowed:
      return "this kind of user may not make that change";
    case TicketError::kInsufficientLevel:
      return "the ticket is at a higher support level than the technician";
    case TicketError::kReasonRequired:
      return "this change needs a reason";
    case TicketError::kAssigneeRequired:
      return "assign a technician first";
    case TicketError::kReopenWindowPassed:
      return "the reopen window has passed; open a new ticket";
    case TicketError::kTicketFinished:
      return "the ticket is resolved or closed";
    case TicketError::kNoChange:
      return "the request changes nothing";
  }
  return "ticket error";
}

}  // namespace

Error make_error(TicketError error, std::string detail) {
  if (detail.empty()) detail = describe(error);
  return Error{to_code(error), std::move(detail)};
}

}  // namespace helpline::relay::tickets
