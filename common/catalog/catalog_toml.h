// The catalog as the organisation writes it: TOML (docs/catalog.md).
#pragma once

#include <string_view>

#include "common/core/result.h"
#include "helpline/v1/catalog.pb.h"

namespace helpline::catalog {

// Parses and validates (validate_catalog) a catalog file. issued_at_ms is
// left 0: the signer stamps it. Unknown keys are refused by name, so that a
// typo never silently falls back to a default. `source` (the file name)
// prefixes every message. Errors: "bad_catalog" naming the action and the
// field, or the TOML syntax error with its line.
[[nodiscard]] Result<v1::Catalog> parse_catalog_toml(std::string_view text,
                                                     std::string_view source = "catalog.toml");

}  // namespace helpline::catalog
