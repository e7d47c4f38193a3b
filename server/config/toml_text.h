// relay.toml's text as a TOML table, private to server/config: each part
// of the file (relay, [helpdesk], [webhooks]) is read from the same text.
#pragma once

#include <toml++/toml.h>

#include <string_view>

#include "common/core/result.h"

namespace helpline::relay {

// Errors: "bad_config" naming `origin`, what is wrong and the line.
[[nodiscard]] Result<toml::table> parse_toml_text(std::string_view text, std::string_view origin);

}  // namespace helpline::relay
