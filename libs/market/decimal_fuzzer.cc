// libFuzzer target: decimal text (every price and volume VNStock sends)
// through ParseDecimal. An accepted value prints and parses back to itself
// and has nanos in range.
#include <cmath>
#include <cstdint>
#include <cstdlib>

#include "libs/market/decimal.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::StatusOr<vnstream::v1::Decimal> d = vnstream::market::ParseDecimal(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  if (!d.ok()) return 0;
  if (d->nanos() <= -1'000'000'000 || d->nanos() >= 1'000'000'000) {
    std::abort();
  }
  absl::StatusOr<vnstream::v1::Decimal> again =
      vnstream::market::ParseDecimal(vnstream::market::DecimalToString(*d));
  if (!again.ok() || again->units() != d->units() ||
      again->nanos() != d->nanos()) {
    std::abort();
  }
  if (!std::isfinite(vnstream::market::ToDouble(*d))) std::abort();
  return 0;
}
