// Exact decimal arithmetic on vnstream.v1.Decimal (units + nanos/1e9), the
// wire type of every price. Intermediate results use 128-bit integers, so
// nothing is ever rounded except where a function says so.
#ifndef VNSTREAM_LIBS_MARKET_DECIMAL_H_
#define VNSTREAM_LIBS_MARKET_DECIMAL_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "vnstream/v1/market_data.pb.h"

namespace vnstream::market {

inline constexpr int64_t kNanosPerUnit = 1'000'000'000;

// The value in nanos (units * 1e9 + nanos).
__int128 ToNanos(const v1::Decimal& d);
// InvalidArgument... never: callers pass values in range. Crashes only if
// the value exceeds int64 units (an impossible price).
v1::Decimal FromNanos(__int128 nanos);

v1::Decimal MakeDecimal(int64_t units, int32_t nanos = 0);

// Parses decimal text exactly: "32600", "32600.0", "-1.5", "79678.08",
// "1e3", "1.2E-2". More than 9 fractional digits is an error (not rounded),
// as is anything that is not a finite decimal number.
absl::StatusOr<v1::Decimal> ParseDecimal(absl::string_view text);

// Shortest exact text: "32600", "116950.5", "-0.25".
std::string DecimalToString(const v1::Decimal& d);

// Nearest double (for indicator math; never sent as a price).
double ToDouble(const v1::Decimal& d);

// d * 10^exponent, exact; InvalidArgument if it would need more than 9
// fractional digits or overflow. Used for unit changes such as VCI's
// million-VND traded value (exponent 6).
absl::StatusOr<v1::Decimal> ScaleByPowerOfTen(const v1::Decimal& d,
                                              int exponent);

v1::Decimal Add(const v1::Decimal& a, const v1::Decimal& b);
v1::Decimal Subtract(const v1::Decimal& a, const v1::Decimal& b);
// -1, 0 or 1.
int Compare(const v1::Decimal& a, const v1::Decimal& b);
bool IsZero(const v1::Decimal& d);
bool IsNegative(const v1::Decimal& d);

// 100 * numerator / denominator in percent, rounded half away from zero to
// `decimals` (0..9) fractional digits. InvalidArgument if denominator is 0.
absl::StatusOr<v1::Decimal> PercentOf(const v1::Decimal& numerator,
                                      const v1::Decimal& denominator,
                                      int decimals = 4);

// True if d is a whole multiple of `step` (a positive integer number of
// units, e.g. a tick size in VND).
bool IsMultipleOf(const v1::Decimal& d, int64_t step);

}  // namespace vnstream::market

#endif  // VNSTREAM_LIBS_MARKET_DECIMAL_H_
