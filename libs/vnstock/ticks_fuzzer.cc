// libFuzzer target: VCI LEData (ticks) responses through ParseTicks.
// Accepted ticks come sorted by time.
#include <cstdint>
#include <cstdlib>

#include "libs/vnstock/vci.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vnstream::vnstock::Rejections rejected;
  absl::StatusOr<std::vector<vnstream::vnstock::Tick>> ticks =
      vnstream::vnstock::ParseTicks(
          absl::string_view(reinterpret_cast<const char*>(data), size),
          &rejected);
  if (ticks.ok()) {
    for (size_t i = 1; i < ticks->size(); ++i) {
      if ((*ticks)[i].time < (*ticks)[i - 1].time) std::abort();
    }
  }
  return 0;
}
