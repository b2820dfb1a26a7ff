// Daily bars from real data are not always consistent: adjusted prices
// (each of open, high, low and close adjusted and rounded on its own)
// sometimes break low <= open, close <= high by one rounding unit, as seen
// in real VN30 data. Dropping such a day would shift every indicator after
// it, and refusing the whole file loses everything, so a bar that breaks
// the rule by no more than a small tolerance is kept, normalised: high is
// raised and low lowered to contain open and close (open, close and volume
// are never changed). A bar beyond the tolerance is wrong data and
// rejected with a clear error.
//
// Tolerance: the larger of `unit`, one rounding unit of the source (10 VND
// for VND prices, the smallest tick; 0.01 for index points), and 0.5% of
// the bar's high. 0.5% is one tick at every HOSE price level (10 VND at
// 2,000, 50 VND at 10,000, 100 VND at 20,000 and up), and far inside the
// narrowest daily band (7%).
#ifndef VNSTREAM_LIBS_MARKET_OHLC_H_
#define VNSTREAM_LIBS_MARKET_OHLC_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "vnstream/v1/market_data.pb.h"

namespace vnstream::market {

// 0.5% of the bar's high, in basis points.
inline constexpr int64_t kOhlcToleranceBasisPoints = 50;
// One rounding unit of VND prices (the smallest tick), VND.
inline constexpr int64_t kVndRoundingUnit = 10;
// One rounding unit of index points (VCI serves 2 decimals).
v1::Decimal PointsRoundingUnit();

enum class OhlcCheck { kConsistent, kNormalised };

// Checks low <= open, close <= high for prices > 0 (the caller checks
// positivity). kConsistent: untouched. kNormalised: high and low were
// widened by at most the tolerance. InvalidArgument ("low <= open, close
// <= high does not hold (o=.. h=.. l=.. c=..) by X, more than the
// tolerance Y") otherwise, with nothing changed.
absl::StatusOr<OhlcCheck> NormaliseOhlc(const v1::Decimal& open,
                                        v1::Decimal& high, v1::Decimal& low,
                                        const v1::Decimal& close,
                                        const v1::Decimal& unit);

}  // namespace vnstream::market

#endif  // VNSTREAM_LIBS_MARKET_OHLC_H_
