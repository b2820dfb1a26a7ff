// Candles of any vnstock interval (1m 5m 15m 30m 1H 1D 1W 1M) built from
// the stored 1-minute and daily bars, by the exchange's sessions. Pure
// functions and a value type: no database, no clock (callers pass `now`).
//
// Where a bar goes (times are Asia/Ho_Chi_Minh; the same on HOSE, HNX and
// UPCOM):
//   1m       its own minute; the closing auction is its own 14:45 candle.
//   5m..1H   buckets counted from the session's open: the morning session
//            09:00-11:30, the afternoon session 13:00-14:30. No candle spans
//            the lunch break: the last morning 1H candle is 11:00-11:30.
//            A bar before 09:00 goes to the first morning candle, a bar in
//            the lunch break to the last morning candle, and a bar at or
//            after 14:30 (the closing auction, 14:45) to the last afternoon
//            candle (5m: 14:25, 15m: 14:15, 30m: 14:00, 1H: 14:00).
//   1D       its trading day (the daily bar as stored).
//   1W, 1M   the trading days of its calendar week (Monday-Sunday) or
//            month; holidays simply have no bar.
// A candle starts (start_time) at its bucket's start for 5m..1H, at its
// minute for 1m, and at 00:00 of its first trading day for 1D, 1W and 1M;
// trading_date is the date of its first bar.
//
// A candle is final when every bar in it is final and its interval is over:
// 1m at the end of the minute, a bucket at its end (the last afternoon
// bucket after the closing auction, 14:46), 1D at 15:00 of the day, 1W and
// 1M at 15:00 of the last trading day of the week or month (the trading
// calendar: a Friday holiday ends the week on Thursday).
#ifndef VNSTREAM_LIBS_CANDLES_AGGREGATE_H_
#define VNSTREAM_LIBS_CANDLES_AGGREGATE_H_

#include <cstdint>
#include <optional>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "libs/market/calendar.h"
#include "vnstream/v1/market_data.pb.h"

namespace vnstream::candles {

// Prices as value * 1e9 (exact; VND or index points).
using Nanos = int64_t;

// A stored bar: 1-minute (start = its UTC minute) or daily (start = 00:00
// Asia/Ho_Chi_Minh of its trading date).
struct Bar {
  absl::Time start;
  Nanos open = 0;
  Nanos high = 0;
  Nanos low = 0;
  Nanos close = 0;
  int64_t volume = 0;
  bool final = false;
};

struct Candle {
  absl::Time start;
  absl::CivilDay trading_date;
  Nanos open = 0;
  Nanos high = 0;
  Nanos low = 0;
  Nanos close = 0;
  int64_t volume = 0;
  bool final = false;
};

// The stored bars an interval is built from.
enum class BarTable { kMinute, kDaily };

// False for UNSPECIFIED and unknown values.
bool IsSupported(v1::BarInterval interval);
BarTable TableOf(v1::BarInterval interval);

// Every bar of the candle holding time `t` starts in
// [CoverStart(t), CoverEnd(t)): where to read bars from to build that
// candle whole.
absl::Time CoverStart(v1::BarInterval interval, absl::Time t);
absl::Time CoverEnd(v1::BarInterval interval, absl::Time t);

// The most bars one candle can hold (to bound a lookback read).
int MaxBarsPerCandle(v1::BarInterval interval);

// Folds bars, oldest first, into candles. Not thread-safe (a value type).
class Aggregator {
 public:
  // `calendar` must outlive the aggregator; `now` decides `final`.
  Aggregator(v1::BarInterval interval, const market::TradingCalendar& calendar,
             absl::Time now);

  // Adds the next bar (starts strictly increase); returns the candle it
  // closed, if it opened a new one.
  std::optional<Candle> Add(const Bar& bar);
  // The candle still open, if any (at the end of the bars).
  std::optional<Candle> Finish();

 private:
  // When the candle starting with a bar at `first_bar` is over.
  absl::Time IntervalEnd(absl::Time first_bar) const;
  // Identifies the candle of a bar (its cover start).
  absl::Time Key(absl::Time bar_start) const;

  const v1::BarInterval interval_;
  const market::TradingCalendar& calendar_;
  const absl::Time now_;
  std::optional<Candle> open_;
  absl::Time open_key_;
  bool all_final_ = true;
};

}  // namespace vnstream::candles

#endif  // VNSTREAM_LIBS_CANDLES_AGGREGATE_H_
