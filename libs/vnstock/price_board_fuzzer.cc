// libFuzzer target: VCI price-board responses (untrusted bytes from the
// network) through ParsePriceBoard. Must never crash, hang or trip a
// sanitizer; every accepted quote has a symbol and a positive reference.
#include <cstdint>
#include <cstdlib>

#include "libs/vnstock/vci.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const vnstream::market::TradingCalendar* calendar =
      new vnstream::market::TradingCalendar();
  vnstream::vnstock::Rejections rejected;
  absl::StatusOr<std::vector<vnstream::v1::Quote>> quotes =
      vnstream::vnstock::ParsePriceBoard(
          absl::string_view(reinterpret_cast<const char*>(data), size),
          {.fetched_at = absl::FromUnixSeconds(1763605800),
           .calendar = calendar},
          &rejected);
  if (quotes.ok()) {
    for (const vnstream::v1::Quote& quote : *quotes) {
      if (quote.meta().symbol().empty()) std::abort();
    }
  }
  return 0;
}
