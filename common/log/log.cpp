#include "common/log/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <string>

namespace helpline::log {

Result<void> setup(const Options& options) {
  auto level = spdlog::level::from_str(std::string(options.level));
  if (level == spdlog::level::off && options.level != "off") {
    return fail("bad_log_level", "unknown log level '" + std::string(options.level) +
                                     "' (use trace, debug, info, warn, error or off)");
  }
  auto logger = std::make_shared<spdlog::logger>(
      std::string(options.name), std::make_shared<spdlog::sinks::stderr_sink_mt>());
  if (options.json) {
    logger->set_pattern(
        R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","logger":"%n","msg":"%v"})",
        spdlog::pattern_time_type::utc);
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ %n: %v");
  }
  logger->set_level(level);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
  return {};
}

}  // namespace helpline::log
