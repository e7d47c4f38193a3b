// The collector table and selection by section.
//
// Every platform has exactly one table (agent/collect/<platform>/registry.cpp)
// listing all of its collectors; sections are the same on every platform.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "agent/collect/collector.h"
#include "common/core/result.h"

namespace helpline::agent::collect {

// Every section name, in bundle order.
inline constexpr std::array<std::string_view, 8> kSections = {
    "system", "hardware", "storage", "network", "software", "services", "processes", "logs"};

// This platform's collectors in table order. Built once; thread-safe.
[[nodiscard]] const std::vector<CollectorPtr>& platform_collectors();

// "linux-x86_64": the platform and machine the agent runs on.
[[nodiscard]] std::string platform_name();
// This machine's host name, "" if unknown.
[[nodiscard]] std::string local_hostname();

// Splits "system, logs" into names; empty items are ignored. Errors:
// "unknown_section" (see select_collectors) is not checked here.
[[nodiscard]] std::vector<std::string> split_sections(std::string_view text);

// The collectors of `all` selected by `names`, in table order, each once.
// A name is a section ("hardware": all its collectors) or a collector name
// ("hardware.smart"). Empty `names` selects every collector. Errors:
// "unknown_section" naming the bad names and listing the valid sections.
[[nodiscard]] Result<std::vector<CollectorPtr>> select_collectors(
    const std::vector<CollectorPtr>& all, const std::vector<std::string>& names);

}  // namespace helpline::agent::collect
