// Checks on free text the helpdesk stores itself (conversation bodies),
// private to server/helpdesk; server/tickets checks its own fields.
#pragma once

#include <cstddef>
#include <string_view>

#include "common/core/result.h"

namespace helpline::relay::helpdesk {

// Required (not only blanks), at most `max` bytes, no control characters
// other than newline, carriage return and tab.
// Errors: "bad_value" starting with "body: ".
[[nodiscard]] Result<void> check_body(std::string_view body, std::size_t max);

}  // namespace helpline::relay::helpdesk
