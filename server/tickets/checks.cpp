#include "server/tickets/checks.h"

#include <algorithm>
#include <string>

#include "server/tickets/ticket_error.h"

namespace helpline::relay::tickets::detail {
namespace {

tl::unexpected<Error> bad(std::string_view field, const std::string& why) {
  return fail(make_error(TicketError::kBadValue, std::string(field) + ": " + why));
}

Result<void> check(std::string_view field, std::string_view value, std::size_t max, bool required,
                   bool multiline) {
  if (required && !has_content(value)) return bad(field, "must not be empty");
  if (value.size() > max) {
    return bad(field, "is " + std::to_string(value.size()) + " bytes; at most " +
                          std::to_string(max) + " allowed");
  }
  for (char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    const bool allowed_control = multiline && (c == '\n' || c == '\t' || c == '\r');
    if ((byte < 0x20 || byte == 0x7f) && !allowed_control) {
      return bad(field, multiline ? "contains a control character"
                                  : "must be one line without control characters");
    }
  }
  return {};
}

}  // namespace

Result<void> require_open(const Ticket& ticket) {
  if (!is_finished(ticket.status)) return {};
  return fail(
      make_error(TicketError::kTicketFinished,
                 ticket.display_id() + " is " + to_string(ticket.status) + "; reopen it first"));
}

bool has_content(std::string_view value) {
  return std::any_of(value.begin(), value.end(),
                     [](char c) { return c != ' ' && c != '\t' && c != '\r' && c != '\n'; });
}

Result<void> check_line(std::string_view field, std::string_view value, std::size_t max,
                        bool required) {
  return check(field, value, max, required, false);
}

Result<void> check_multiline(std::string_view field, std::string_view value, std::size_t max,
                             bool required) {
  return check(field, value, max, required, true);
}

Result<void> check_identifier(std::string_view field, std::string_view value) {
  const bool ok =
      !value.empty() && value.size() <= 128 && std::all_of(value.begin(), value.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '_' || c == ':' || c == '-';
      });
  if (ok) return {};
  return bad(field, "'" + std::string(value.substr(0, 140)) +
                        "' is not valid; use 1-128 characters of A-Z, a-z, 0-9, '.', '_', ':' "
                        "or '-'");
}

}  // namespace helpline::relay::tickets::detail
