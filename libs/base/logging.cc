#include "libs/base/logging.h"

#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "spdlog/sinks/stdout_sinks.h"
#include "spdlog/spdlog.h"

ABSL_FLAG(std::string, log_level, "info",
          "Minimum log level: trace, debug, info, warn, error.");

namespace vnstream {

void InitLogging(absl::string_view service_name) {
  // stderr_sink_mt: logs go to the process's stderr, which the local stack
  // redirects to .run/logs/<service>.log and Kubernetes collects.
  auto logger = std::make_shared<spdlog::logger>(
      std::string(service_name),
      std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %n [%t] %v",
                      spdlog::pattern_time_type::utc);
  const std::string level = absl::GetFlag(FLAGS_log_level);
  const spdlog::level::level_enum parsed = spdlog::level::from_str(level);
  logger->set_level(parsed);
  // Warnings and errors reach the file even if the process dies right after.
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
  if (parsed == spdlog::level::off && level != "off") {
    spdlog::set_level(spdlog::level::info);
    spdlog::warn("unknown --log_level={}, using info", level);
  }
}

}  // namespace vnstream
