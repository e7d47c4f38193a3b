// The rule names parameter refusals carry as their error code, and the
// character- and name-level checks shared by parameter validation
// (params.cpp) and catalog validation (validate.cpp, which holds enum
// values, defaults and allowed units to the same rules).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace helpline::catalog {

namespace rules {
inline constexpr std::string_view kTooLong = "too_long";
inline constexpr std::string_view kControlCharacter = "control_character";
inline constexpr std::string_view kNonAscii = "non_ascii";
inline constexpr std::string_view kShellMetacharacter = "shell_metacharacter";
inline constexpr std::string_view kPathTraversal = "path_traversal";
inline constexpr std::string_view kOptionInjection = "option_injection";
inline constexpr std::string_view kEmptyValue = "empty_value";
inline constexpr std::string_view kNotInEnum = "not_in_enum";
inline constexpr std::string_view kNotAnInteger = "not_an_integer";
inline constexpr std::string_view kOutOfRange = "out_of_range";
inline constexpr std::string_view kPatternMismatch = "pattern_mismatch";
inline constexpr std::string_view kBadUnitName = "bad_unit_name";
inline constexpr std::string_view kUnitNotAllowed = "unit_not_allowed";
inline constexpr std::string_view kNotAbsolute = "not_absolute";
inline constexpr std::string_view kNotNormalized = "not_normalized";
inline constexpr std::string_view kOutsideRoots = "outside_roots";
inline constexpr std::string_view kSymlinkEscape = "symlink_escape";
inline constexpr std::string_view kDanglingSymlink = "dangling_symlink";
inline constexpr std::string_view kNotFound = "not_found";
inline constexpr std::string_view kBadUserName = "bad_user_name";
inline constexpr std::string_view kUnknownUser = "unknown_user";
inline constexpr std::string_view kSystemUser = "system_user";
inline constexpr std::string_view kBadProcessName = "bad_process_name";
inline constexpr std::string_view kProtectedProcess = "protected_process";
inline constexpr std::string_view kBadType = "bad_type";
inline constexpr std::string_view kUnknownParameter = "unknown_parameter";
inline constexpr std::string_view kMissingParameter = "missing_parameter";
}  // namespace rules

struct ValueProblem {
  std::string_view rule;
  std::string why;
};

// The rules every value obeys, in order: empty_value, too_long,
// control_character, non_ascii, shell_metacharacter, path_traversal,
// option_injection (unless `leading_dash_allowed`).
[[nodiscard]] std::optional<ValueProblem> common_value_problem(std::string_view value,
                                                               bool leading_dash_allowed);

// systemd's unit name rules: prefix[@instance].type with a known type,
// characters [A-Za-z0-9:_.@-], at most 255 bytes. std::nullopt when valid.
[[nodiscard]] std::optional<std::string> unit_name_problem(std::string_view name);

// Absolute, no empty, "." or ".." component, no trailing "/" (except "/").
[[nodiscard]] bool is_normal_path(std::string_view path);
// `path` equals `root` or lies below it, component-wise ("/home2" is not
// under "/home"). Both lexically normal.
[[nodiscard]] bool path_is_under(std::string_view path, std::string_view root);

// [a-z_][a-z0-9_-]{0,31}
[[nodiscard]] bool is_user_name(std::string_view name);
// 1 to 15 of [A-Za-z0-9._+:@-], not starting with "-".
[[nodiscard]] bool is_process_name(std::string_view name);

}  // namespace helpline::catalog
