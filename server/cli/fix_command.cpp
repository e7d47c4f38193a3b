#include "server/cli/fix_command.h"

#include <string_view>

namespace helpline::cli {

namespace {

// A value as a person would type it into a shell (for display only: the
// CLI never runs it).
[[nodiscard]] std::string shell_word(const std::string& value) {
  constexpr std::string_view kPlain =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%+=:,./_-";
  if (!value.empty() && value.find_first_not_of(kPlain) == std::string::npos) return value;
  std::string out = "'";
  for (char c : value) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

std::string fix_command(const v1::api::Finding& f, const std::string& device,
                        const v1::api::CatalogInfo& catalog) {
  for (const auto& action : catalog.actions()) {
    if (action.id() != f.action()) continue;
    std::string command = "helpline action run " + device + " " + action.id();
    int required = 0;
    for (const auto& p : action.parameters()) required += p.required() ? 1 : 0;
    for (const auto& p : action.parameters()) {
      if (!p.required()) continue;
      std::string value = required == 1 && !f.subject().empty() ? shell_word(f.subject())
                                                                 : "<" + p.type() + ">";
      command += " " + p.name() + "=" + value;
    }
    return command;
  }
  return {};
}

}  // namespace helpline::cli
