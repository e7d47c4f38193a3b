// Internal to server/tickets: limits on free text that reaches a ticket, and
// preconditions several operations share.
#pragma once

#include <cstddef>
#include <string_view>

#include "common/core/result.h"
#include "server/tickets/ticket.h"

namespace helpline::relay::tickets::detail {

inline constexpr std::size_t kMaxName = 200;        // people, groups, titles
inline constexpr std::size_t kMaxShortText = 4096;  // facts, reasons, comments
inline constexpr std::size_t kMaxLongText = 65536;  // description

// Single-line text: no control characters at all. Multi-line text: newline
// and tab allowed. Errors: "bad_value" starting with `field`.
[[nodiscard]] Result<void> check_line(std::string_view field, std::string_view value,
                                      std::size_t max, bool required);
[[nodiscard]] Result<void> check_multiline(std::string_view field, std::string_view value,
                                           std::size_t max, bool required);
// 1-128 characters of A-Z a-z 0-9 . _ : - (device ids, finding rule ids).
[[nodiscard]] Result<void> check_identifier(std::string_view field, std::string_view value);
// True when `value` has a character other than space, tab, CR or LF.
[[nodiscard]] bool has_content(std::string_view value);

// "ticket_finished" for a resolved or closed ticket ("HL-7 is resolved;
// reopen it first").
[[nodiscard]] Result<void> require_open(const Ticket& ticket);

}  // namespace helpline::relay::tickets::detail
