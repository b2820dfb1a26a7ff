#include "libs/market/ohlc.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "libs/market/decimal.h"

namespace vnstream::market {

v1::Decimal PointsRoundingUnit() { return MakeDecimal(0, 10'000'000); }

absl::StatusOr<OhlcCheck> NormaliseOhlc(const v1::Decimal& open,
                                        v1::Decimal& high, v1::Decimal& low,
                                        const v1::Decimal& close,
                                        const v1::Decimal& unit) {
  const __int128 o = ToNanos(open), h = ToNanos(high), l = ToNanos(low),
                 c = ToNanos(close);
  const __int128 top = std::max({o, h, l, c});
  const __int128 bottom = std::min({o, h, l, c});
  if (top == h && bottom == l) return OhlcCheck::kConsistent;
  // How far the bar is off: what high must rise by, or low fall by.
  const __int128 off = std::max(top - h, l - bottom);
  const __int128 tolerance =
      std::max(ToNanos(unit), h * kOhlcToleranceBasisPoints / 10'000);
  if (off > tolerance) {
    return absl::InvalidArgumentError(absl::StrCat(
        "low <= open, close <= high does not hold (o=", DecimalToString(open),
        " h=", DecimalToString(high), " l=", DecimalToString(low),
        " c=", DecimalToString(close), ") by ", DecimalToString(FromNanos(off)),
        ", more than the tolerance ", DecimalToString(FromNanos(tolerance))));
  }
  high = FromNanos(top);
  low = FromNanos(bottom);
  return OhlcCheck::kNormalised;
}

}  // namespace vnstream::market
