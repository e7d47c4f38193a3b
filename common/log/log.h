// Logging setup shared by the daemons and CLIs: spdlog to stderr (journald
// captures it under systemd), one format, a level from config or flags.
// Call setup() once in main before anything logs.
#pragma once

#include <string_view>

#include "common/core/result.h"

namespace helpline::log {

struct Options {
  std::string_view level = "info";  // trace, debug, info, warn, error, off
  bool json = false;                // one JSON object per line, for log shippers
  std::string_view name = "helpline";
};

// Errors: "bad_log_level" listing the valid levels.
[[nodiscard]] Result<void> setup(const Options& options);

}  // namespace helpline::log
