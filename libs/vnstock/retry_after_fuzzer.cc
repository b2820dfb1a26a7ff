// libFuzzer target: HTTP Retry-After header values (set by the server)
// through ParseRetryAfter. A parsed delay is never negative.
#include <cstdint>
#include <cstdlib>

#include "libs/vnstock/resilience.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::optional<absl::Duration> delay =
      vnstream::vnstock::ParseRetryAfter(
          absl::string_view(reinterpret_cast<const char*>(data), size),
          absl::FromUnixSeconds(1763605800));
  if (delay.has_value() && *delay < absl::ZeroDuration()) std::abort();
  return 0;
}
