#include "server/helpdesk/text_checks.h"

#include <string>

namespace helpline::relay::helpdesk {

Result<void> check_body(std::string_view body, std::size_t max) {
  if (body.size() > max) {
    return fail("bad_value", "body: longer than " + std::to_string(max) + " bytes");
  }
  bool content = false;
  for (char c : body) {
    const auto byte = static_cast<unsigned char>(c);
    const bool space = c == '\n' || c == '\r' || c == '\t' || c == ' ';
    if ((byte < 0x20 && !space) || byte == 0x7f) {
      return fail("bad_value", "body: contains a control character");
    }
    content = content || !space;
  }
  if (!content) return fail("bad_value", "body: required (the text of the reply or note)");
  return {};
}

}  // namespace helpline::relay::helpdesk
