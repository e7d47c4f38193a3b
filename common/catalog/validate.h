// Structural validation of a Catalog: what every catalog must satisfy before
// it is signed (sign-catalog), accepted by the relay, or used by the agent.
// The agent validates again after verifying the signature: a signed catalog
// is trusted for what it says, not for being well-formed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/result.h"
#include "helpline/v1/catalog.pb.h"

namespace helpline::catalog {

inline constexpr std::size_t kMaxActions = 500;
inline constexpr std::size_t kMaxActionIdLength = 64;
inline constexpr std::size_t kMaxTitleLength = 120;
inline constexpr std::size_t kMaxDescriptionLength = 4000;
inline constexpr std::size_t kMaxIssuerLength = 128;
inline constexpr std::size_t kMaxArgvElements = 64;
inline constexpr std::size_t kMaxArgvElementLength = 1024;
inline constexpr std::size_t kMaxParameters = 32;
inline constexpr std::size_t kMaxParameterNameLength = 32;
inline constexpr std::size_t kMaxEnumValues = 64;
inline constexpr std::size_t kMaxLinks = 32;  // kb_articles, finding_rules
inline constexpr std::size_t kMaxLinkLength = 128;
inline constexpr std::uint32_t kMinTimeoutMs = 1000;
inline constexpr std::uint32_t kMaxTimeoutMs = 6 * 3600 * 1000;
inline constexpr std::uint64_t kMaxOutputBytes = 16u << 20;
// The largest serialized catalog accepted anywhere.
inline constexpr std::size_t kMaxCatalogBytes = 4u << 20;

// The platform names an action may list.
[[nodiscard]] const std::vector<std::string>& known_platforms();
// "linux" on this build.
[[nodiscard]] std::string_view this_platform();

// Checks everything docs/catalog.md lists: ids, texts, argv templates and
// their placeholders, parameter types and defaults, run_as, limits, rollback
// references. `source` prefixes every message ("catalog.toml", "catalog").
// Errors: "bad_catalog" naming the action and the field.
[[nodiscard]] Result<void> validate_catalog(const v1::Catalog& catalog,
                                            std::string_view source = "catalog");

// The action with that id, or nullptr. The pointer lives as long as `catalog`.
[[nodiscard]] const v1::Action* find_action(const v1::Catalog& catalog, std::string_view id);
[[nodiscard]] const v1::Parameter* find_parameter(const v1::Action& action, std::string_view name);

[[nodiscard]] std::string_view risk_name(v1::Risk risk);  // "low", "medium", "high"

// One piece of an argv template element: literal text or a placeholder.
struct TemplatePart {
  bool placeholder = false;
  std::string text;  // the literal, or the parameter name
};
// Splits "--vacuum-size={size}M" into parts. "{{" and "}}" are literal
// braces; any other brace outside a placeholder is an error.
// Errors: "bad_template" explaining the position.
[[nodiscard]] Result<std::vector<TemplatePart>> parse_template(std::string_view element);

}  // namespace helpline::catalog
