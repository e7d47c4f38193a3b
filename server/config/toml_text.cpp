#include "server/config/toml_text.h"

#include <sstream>
#include <string>

namespace helpline::relay {

Result<toml::table> parse_toml_text(std::string_view text, std::string_view origin) {
  try {
    return toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    std::ostringstream why;
    why << e.description() << " (line " << e.source().begin.line << ")";
    return fail("bad_config", std::string(origin) + ": " + why.str());
  }
}

}  // namespace helpline::relay
