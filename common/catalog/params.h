// Parameter validation and argv expansion: the boundary where a requester's
// text becomes part of a process's argv. No shell is ever involved (the
// agent spawns argv directly), but the rules below do not rely on that: a
// value that would mean anything to a shell, or that tries to leave its
// place, is refused.
//
// Every value, whatever its type, must be (rule names are the error codes):
//   too_long              at most kMaxValueLength bytes (and the type's limit)
//   control_character     no NUL, newline, tab or other control character
//   non_ascii             printable ASCII only
//   shell_metacharacter   none of ; | & $ ` < > ( ) \ ' " * ? [ ] { } ~ ! #
//   path_traversal        no ".." path segment
//   option_injection      not starting with "-" (enum and integer excepted)
// then satisfy its type:
//   enum     not_in_enum
//   integer  not_an_integer, out_of_range
//   string   pattern_mismatch (and too_long against max_length)
//   unit     bad_unit_name, unit_not_allowed
//   path     not_absolute, not_normalized, outside_roots, symlink_escape,
//            dangling_symlink, not_found (must_exist)
//   user     bad_user_name, unknown_user, system_user
//   process  bad_process_name, protected_process
// and the request as a whole: unknown_parameter, missing_parameter.
//
// A validated value is substituted as ONE argv element, or inside one
// element, exactly as validated: it is never split, globbed or re-expanded.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/catalog/host_facts.h"
#include "common/core/result.h"
#include "helpline/v1/catalog.pb.h"

namespace helpline::catalog {

inline constexpr std::size_t kMaxValueLength = 4096;
inline constexpr std::size_t kMaxUnitNameLength = 255;
inline constexpr std::size_t kMaxProcessNameLength = 15;
inline constexpr std::uint32_t kDefaultMinUid = 1000;

using ParameterValues = std::map<std::string, std::string, std::less<>>;

// The checks that need nothing from the host: characters, length, the
// type's syntax, enum membership, range, pattern, allowed units, roots
// (lexically). Returns the value to substitute (integers in canonical form).
// Errors: the rule as code; the message names the parameter.
[[nodiscard]] Result<std::string> check_value_syntax(const v1::Parameter& parameter,
                                                     std::string_view value);

// check_value_syntax, then what only the host can answer: symbolic links
// of paths, users that exist, protected process names.
[[nodiscard]] Result<std::string> check_value(const v1::Parameter& parameter,
                                              std::string_view value, const HostFacts& host);

struct PreparedAction {
  std::vector<std::string> argv;  // argv[0] is the absolute path of the program
  ParameterValues values;         // every parameter, defaults filled in, validated
};

// Validates `given` against the action's parameters (defaults fill what is
// missing) and expands the argv template. Errors: the rule as code, the
// message "action <id>: parameter <name>: <why>".
[[nodiscard]] Result<PreparedAction> prepare_action(const v1::Action& action,
                                                    const ParameterValues& given,
                                                    const HostFacts& host);

// Substitutes already validated values into the argv template. Errors:
// "missing_parameter" when a placeholder has no value, "bad_template".
[[nodiscard]] Result<std::vector<std::string>> expand_argv(const v1::Action& action,
                                                           const ParameterValues& values);

}  // namespace helpline::catalog
