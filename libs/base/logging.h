// Process-wide logging setup. The project logs with spdlog everywhere
// (Debian's Abseil 20220623 has no absl/log); call sites use
// spdlog::info("...{}...", value) and friends directly. Including this
// header also lets fmt/spdlog format absl::string_view and absl::Status.
#ifndef VNSTREAM_LIBS_BASE_LOGGING_H_
#define VNSTREAM_LIBS_BASE_LOGGING_H_

#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "spdlog/spdlog.h"

namespace vnstream {

// Configures the default spdlog logger: stderr, one line per event,
// "<UTC time> <level> <service> [thread] message", level from --log_level
// (trace, debug, info, warn, error). Call once from main after flags are
// parsed; safe to call again (tests).
void InitLogging(absl::string_view service_name);

}  // namespace vnstream

// Debian's Abseil is built with its own string_view type (not std's).
template <>
struct fmt::formatter<absl::string_view> : fmt::formatter<std::string_view> {
  template <typename FormatContext>
  auto format(absl::string_view s, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format(
        std::string_view(s.data(), s.size()), ctx);
  }
};

template <>
struct fmt::formatter<absl::Status> : fmt::formatter<std::string_view> {
  template <typename FormatContext>
  auto format(const absl::Status& status, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format(status.ToString(), ctx);
  }
};

#endif  // VNSTREAM_LIBS_BASE_LOGGING_H_
