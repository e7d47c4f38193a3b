// Plain-text tables for the CLI's human output: columns padded to the widest
// cell, two spaces apart.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace helpline::cli {

void print_table(std::ostream& out, const std::vector<std::string>& headers,
                 const std::vector<std::vector<std::string>>& rows);

}  // namespace helpline::cli
