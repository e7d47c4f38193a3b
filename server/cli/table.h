// Plain-text tables for the CLI's human output: columns padded to the widest
// cell, two spaces apart.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace helpline::cli {

void print_table(std::ostream& out, const std::vector<std::string>& headers,
                 const std::vector<std::vector<std::string>>& rows);

// A cell for a value that may be empty: "-" then.
[[nodiscard]] inline std::string or_dash(const std::string& text) {
  return text.empty() ? "-" : text;
}
// A ticket cell: "HL-<id>", or "-" for none (0).
[[nodiscard]] inline std::string ticket_or_dash(std::int64_t id) {
  return id == 0 ? "-" : "HL-" + std::to_string(id);
}

}  // namespace helpline::cli
