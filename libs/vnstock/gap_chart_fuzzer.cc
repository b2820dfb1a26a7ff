// libFuzzer target: VCI gap-chart (OHLCV bars) responses through
// ParseGapChart. Accepted series must keep bars in strictly increasing
// time order, as vci.h promises.
#include <cstdint>
#include <cstdlib>

#include "libs/vnstock/vci.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vnstream::vnstock::Rejections rejected;
  absl::StatusOr<std::vector<vnstream::vnstock::SymbolBars>> series =
      vnstream::vnstock::ParseGapChart(
          absl::string_view(reinterpret_cast<const char*>(data), size),
          &rejected);
  if (series.ok()) {
    for (const vnstream::vnstock::SymbolBars& s : *series) {
      for (size_t i = 1; i < s.bars.size(); ++i) {
        if (!(s.bars[i - 1].time < s.bars[i].time)) std::abort();
      }
    }
  }
  return 0;
}
