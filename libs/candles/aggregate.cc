#include "libs/candles/aggregate.h"

#include <algorithm>

namespace vnstream::candles {
namespace {

// Minutes of the day, Asia/Ho_Chi_Minh.
constexpr int kMorningOpen = 9 * 60;
constexpr int kMorningClose = 11 * 60 + 30;
constexpr int kAfternoonOpen = 13 * 60;
constexpr int kAfternoonClose = 14 * 60 + 30;
// The closing auction's bar (14:45) ends at 14:46.
constexpr int kAuctionEnd = 14 * 60 + 46;
constexpr int kDayClose = 15 * 60;

int BucketMinutes(v1::BarInterval interval) {
  switch (interval) {
    case v1::BAR_INTERVAL_ONE_MINUTE:
      return 1;
    case v1::BAR_INTERVAL_FIVE_MINUTES:
      return 5;
    case v1::BAR_INTERVAL_FIFTEEN_MINUTES:
      return 15;
    case v1::BAR_INTERVAL_THIRTY_MINUTES:
      return 30;
    case v1::BAR_INTERVAL_ONE_HOUR:
      return 60;
    default:
      return 0;
  }
}

absl::CivilMinute Local(absl::Time t) {
  return absl::ToCivilMinute(t, market::VietnamTime());
}

absl::Time At(absl::CivilDay day, int minute_of_day) {
  return absl::FromCivil(absl::CivilMinute(day) + minute_of_day,
                         market::VietnamTime());
}

// The session bucket of a bar (5m..1H).
struct Bucket {
  absl::CivilDay day;
  int start = 0;  // Minute of the day.
  bool afternoon = false;
  int open = 0;
  int close = 0;
};

Bucket BucketOf(absl::Time t, int minutes) {
  const absl::CivilMinute local = Local(t);
  const int m = local.hour() * 60 + local.minute();
  Bucket b;
  b.day = absl::CivilDay(local);
  b.afternoon = m >= kAfternoonOpen;
  b.open = b.afternoon ? kAfternoonOpen : kMorningOpen;
  b.close = b.afternoon ? kAfternoonClose : kMorningClose;
  const int clamped = std::clamp(m, b.open, b.close - 1);
  b.start = b.open + (clamped - b.open) / minutes * minutes;
  return b;
}

absl::CivilDay Monday(absl::CivilDay day) {
  // GetWeekday: Monday .. Sunday.
  const int offset = static_cast<int>(absl::GetWeekday(day)) -
                     static_cast<int>(absl::Weekday::monday);
  return day - offset;
}

absl::CivilDay LocalDay(absl::Time t) {
  return absl::ToCivilDay(t, market::VietnamTime());
}

}  // namespace

bool IsSupported(v1::BarInterval interval) {
  return BucketMinutes(interval) > 0 || interval == v1::BAR_INTERVAL_ONE_DAY ||
         interval == v1::BAR_INTERVAL_ONE_WEEK ||
         interval == v1::BAR_INTERVAL_ONE_MONTH;
}

BarTable TableOf(v1::BarInterval interval) {
  return BucketMinutes(interval) > 0 ? BarTable::kMinute : BarTable::kDaily;
}

absl::Time CoverStart(v1::BarInterval interval, absl::Time t) {
  const int k = BucketMinutes(interval);
  if (k == 1) return absl::FromCivil(Local(t), market::VietnamTime());
  if (k > 1) {
    const Bucket b = BucketOf(t, k);
    // The first morning bucket also takes bars before the open.
    if (!b.afternoon && b.start == b.open) return At(b.day, 0);
    return At(b.day, b.start);
  }
  const absl::CivilDay day = LocalDay(t);
  switch (interval) {
    case v1::BAR_INTERVAL_ONE_WEEK:
      return At(Monday(day), 0);
    case v1::BAR_INTERVAL_ONE_MONTH:
      return At(absl::CivilDay(absl::CivilMonth(day)), 0);
    default:
      return At(day, 0);
  }
}

absl::Time CoverEnd(v1::BarInterval interval, absl::Time t) {
  const int k = BucketMinutes(interval);
  if (k == 1) {
    return absl::FromCivil(Local(t) + 1, market::VietnamTime());
  }
  if (k > 1) {
    const Bucket b = BucketOf(t, k);
    if (b.start + k < b.close) return At(b.day, b.start + k);
    // The last bucket of a session also takes the bars after it: the lunch
    // break (morning), the closing auction and after (afternoon).
    return b.afternoon ? At(b.day + 1, 0) : At(b.day, kAfternoonOpen);
  }
  const absl::CivilDay day = LocalDay(t);
  switch (interval) {
    case v1::BAR_INTERVAL_ONE_WEEK:
      return At(Monday(day) + 7, 0);
    case v1::BAR_INTERVAL_ONE_MONTH:
      return At(absl::CivilDay(absl::CivilMonth(day) + 1), 0);
    default:
      return At(day + 1, 0);
  }
}

int MaxBarsPerCandle(v1::BarInterval interval) {
  const int k = BucketMinutes(interval);
  if (k == 1) return 1;
  if (k > 1) return k + 1;  // + the closing auction.
  switch (interval) {
    case v1::BAR_INTERVAL_ONE_WEEK:
      return 7;
    case v1::BAR_INTERVAL_ONE_MONTH:
      return 31;
    default:
      return 1;
  }
}

Aggregator::Aggregator(v1::BarInterval interval,
                       const market::TradingCalendar& calendar, absl::Time now)
    : interval_(interval), calendar_(calendar), now_(now) {}

absl::Time Aggregator::Key(absl::Time bar_start) const {
  return CoverStart(interval_, bar_start);
}

absl::Time Aggregator::IntervalEnd(absl::Time first_bar) const {
  const int k = BucketMinutes(interval_);
  if (k == 1) return first_bar + absl::Minutes(1);
  if (k > 1) {
    const Bucket b = BucketOf(first_bar, k);
    if (b.start + k < b.close) return At(b.day, b.start + k);
    return At(b.day, b.afternoon ? kAuctionEnd : kMorningClose);
  }
  const absl::CivilDay day = LocalDay(first_bar);
  switch (interval_) {
    case v1::BAR_INTERVAL_ONE_WEEK:
      return At(calendar_.LatestTradingDay(Monday(day) + 6), kDayClose);
    case v1::BAR_INTERVAL_ONE_MONTH:
      return At(calendar_.LatestTradingDay(
                    absl::CivilDay(absl::CivilMonth(day) + 1) - 1),
                kDayClose);
    default:
      return At(day, kDayClose);
  }
}

std::optional<Candle> Aggregator::Add(const Bar& bar) {
  const absl::Time key = Key(bar.start);
  if (open_.has_value() && key == open_key_) {
    Candle& c = *open_;
    c.high = std::max(c.high, bar.high);
    c.low = std::min(c.low, bar.low);
    c.close = bar.close;
    c.volume += bar.volume;
    all_final_ = all_final_ && bar.final;
    return std::nullopt;
  }
  std::optional<Candle> done = Finish();
  Candle c;
  const int k = BucketMinutes(interval_);
  if (k > 1) {
    const Bucket b = BucketOf(bar.start, k);
    c.start = At(b.day, b.start);
  } else if (k == 1) {
    c.start = key;
  } else {
    c.start = At(LocalDay(bar.start), 0);
  }
  c.trading_date = LocalDay(bar.start);
  c.open = bar.open;
  c.high = bar.high;
  c.low = bar.low;
  c.close = bar.close;
  c.volume = bar.volume;
  open_ = c;
  open_key_ = key;
  all_final_ = bar.final;
  return done;
}

std::optional<Candle> Aggregator::Finish() {
  if (!open_.has_value()) return std::nullopt;
  Candle c = *open_;
  c.final = all_final_ && now_ >= IntervalEnd(c.start);
  open_.reset();
  return c;
}

}  // namespace vnstream::candles
