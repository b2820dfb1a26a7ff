// Candles against bars computed by hand: the lunch break, the closing
// auction, week and month boundaries, a holiday.
#include "libs/candles/aggregate.h"

#include <vector>

#include "gtest/gtest.h"

namespace vnstream::candles {
namespace {

constexpr Nanos kVnd = 1'000'000'000;

absl::Time Local(int y, int mo, int d, int h = 0, int mi = 0) {
  return absl::FromCivil(absl::CivilMinute(y, mo, d, h, mi),
                         market::VietnamTime());
}

// A bar whose prices are distinct per bar: open o, high o+5, low o-5,
// close o+1 (thousands of VND), volume v.
Bar B(absl::Time start, int64_t o, int64_t v, bool final = true) {
  return {start,          o * kVnd, (o + 5) * kVnd, (o - 5) * kVnd,
          (o + 1) * kVnd, v,        final};
}

std::vector<Candle> Fold(v1::BarInterval interval, const std::vector<Bar>& bars,
                         const market::TradingCalendar& calendar = {},
                         absl::Time now = absl::InfiniteFuture()) {
  Aggregator aggregator(interval, calendar, now);
  std::vector<Candle> out;
  for (const Bar& bar : bars) {
    if (std::optional<Candle> c = aggregator.Add(bar)) out.push_back(*c);
  }
  if (std::optional<Candle> c = aggregator.Finish()) out.push_back(*c);
  return out;
}

// 2019-06-14 is a Friday.
TEST(AggregateTest, FiveMinutesFromTheOpeningAuction) {
  const std::vector<Candle> c = Fold(v1::BAR_INTERVAL_FIVE_MINUTES,
                                     {B(Local(2019, 6, 14, 9, 15), 100, 1000),
                                      B(Local(2019, 6, 14, 9, 16), 102, 10),
                                      B(Local(2019, 6, 14, 9, 19), 98, 20),
                                      B(Local(2019, 6, 14, 9, 20), 101, 30)});
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].start, Local(2019, 6, 14, 9, 15));
  EXPECT_EQ(c[0].trading_date, absl::CivilDay(2019, 6, 14));
  EXPECT_EQ(c[0].open, 100 * kVnd);
  EXPECT_EQ(c[0].high, 107 * kVnd);  // 102 + 5
  EXPECT_EQ(c[0].low, 93 * kVnd);    // 98 - 5
  EXPECT_EQ(c[0].close, 99 * kVnd);  // 98 + 1
  EXPECT_EQ(c[0].volume, 1030);
  EXPECT_EQ(c[1].start, Local(2019, 6, 14, 9, 20));
  EXPECT_EQ(c[1].volume, 30);
}

TEST(AggregateTest, NoCandleSpansTheLunchBreakAndTheAuctionJoinsTheLastOne) {
  const std::vector<Bar> day = {
      B(Local(2019, 6, 14, 11, 0), 100, 1),
      B(Local(2019, 6, 14, 11, 29), 101, 2),
      B(Local(2019, 6, 14, 13, 0), 102, 4),
      B(Local(2019, 6, 14, 13, 59), 103, 8),
      B(Local(2019, 6, 14, 14, 0), 104, 16),
      B(Local(2019, 6, 14, 14, 29), 105, 32),
      B(Local(2019, 6, 14, 14, 45), 106, 64)};  // The closing auction.
  const std::vector<Candle> hours = Fold(v1::BAR_INTERVAL_ONE_HOUR, day);
  ASSERT_EQ(hours.size(), 3u);
  EXPECT_EQ(hours[0].start, Local(2019, 6, 14, 11, 0));  // 11:00-11:30
  EXPECT_EQ(hours[0].volume, 3);
  EXPECT_EQ(hours[0].close, 102 * kVnd);
  EXPECT_EQ(hours[1].start, Local(2019, 6, 14, 13, 0));
  EXPECT_EQ(hours[1].open, 102 * kVnd);
  EXPECT_EQ(hours[1].volume, 12);
  EXPECT_EQ(hours[2].start, Local(2019, 6, 14, 14, 0));
  EXPECT_EQ(hours[2].volume, 16 + 32 + 64) << "14:45 auction in 14:00";
  EXPECT_EQ(hours[2].close, 107 * kVnd);
  EXPECT_EQ(hours[2].high, 111 * kVnd);

  const std::vector<Candle> halves = Fold(v1::BAR_INTERVAL_THIRTY_MINUTES, day);
  ASSERT_EQ(halves.size(), 4u);
  EXPECT_EQ(halves[0].start, Local(2019, 6, 14, 11, 0));
  EXPECT_EQ(halves[1].start, Local(2019, 6, 14, 13, 0));
  EXPECT_EQ(halves[2].start, Local(2019, 6, 14, 13, 30));
  EXPECT_EQ(halves[3].start, Local(2019, 6, 14, 14, 0));
  EXPECT_EQ(halves[3].volume, 112);

  const std::vector<Candle> quarters =
      Fold(v1::BAR_INTERVAL_FIFTEEN_MINUTES, day);
  ASSERT_EQ(quarters.size(), 6u);
  EXPECT_EQ(quarters[1].start, Local(2019, 6, 14, 11, 15));
  EXPECT_EQ(quarters[5].start, Local(2019, 6, 14, 14, 15));
  EXPECT_EQ(quarters[5].volume, 32 + 64);

  const std::vector<Candle> fives = Fold(v1::BAR_INTERVAL_FIVE_MINUTES, day);
  ASSERT_EQ(fives.size(), 6u);
  EXPECT_EQ(fives[5].start, Local(2019, 6, 14, 14, 25));
  EXPECT_EQ(fives[5].volume, 32 + 64);

  // 1m: the auction is its own minute.
  const std::vector<Candle> minutes = Fold(v1::BAR_INTERVAL_ONE_MINUTE, day);
  ASSERT_EQ(minutes.size(), 7u);
  EXPECT_EQ(minutes[6].start, Local(2019, 6, 14, 14, 45));
  EXPECT_EQ(minutes[6].volume, 64);
}

TEST(AggregateTest, BarsOutsideTheSessionsJoinTheNearestCandle) {
  const std::vector<Candle> c =
      Fold(v1::BAR_INTERVAL_THIRTY_MINUTES,
           {B(Local(2019, 6, 14, 8, 59), 100, 1),  // before the open
            B(Local(2019, 6, 14, 9, 0), 101, 2),
            B(Local(2019, 6, 14, 11, 29), 102, 4),
            B(Local(2019, 6, 14, 12, 10), 103, 8),  // lunch break
            B(Local(2019, 6, 14, 13, 0), 104, 16),
            B(Local(2019, 6, 14, 15, 5), 105, 32)});  // after the close
  ASSERT_EQ(c.size(), 4u);
  EXPECT_EQ(c[0].start, Local(2019, 6, 14, 9, 0));
  EXPECT_EQ(c[0].volume, 3);
  EXPECT_EQ(c[1].start, Local(2019, 6, 14, 11, 0));
  EXPECT_EQ(c[1].volume, 12);
  EXPECT_EQ(c[2].start, Local(2019, 6, 14, 13, 0));
  EXPECT_EQ(c[2].volume, 16);
  EXPECT_EQ(c[3].start, Local(2019, 6, 14, 14, 0));
  EXPECT_EQ(c[3].volume, 32);
}

TEST(AggregateTest, CoverOfACandleHoldsAllItsBars) {
  const v1::BarInterval h = v1::BAR_INTERVAL_ONE_HOUR;
  EXPECT_EQ(CoverStart(h, Local(2019, 6, 14, 9, 30)), Local(2019, 6, 14, 0, 0));
  EXPECT_EQ(CoverEnd(h, Local(2019, 6, 14, 9, 30)), Local(2019, 6, 14, 10, 0));
  EXPECT_EQ(CoverStart(h, Local(2019, 6, 14, 11, 10)),
            Local(2019, 6, 14, 11, 0));
  EXPECT_EQ(CoverEnd(h, Local(2019, 6, 14, 11, 10)), Local(2019, 6, 14, 13, 0));
  EXPECT_EQ(CoverStart(h, Local(2019, 6, 14, 12, 0)),
            Local(2019, 6, 14, 11, 0));
  EXPECT_EQ(CoverStart(h, Local(2019, 6, 14, 14, 45)),
            Local(2019, 6, 14, 14, 0));
  EXPECT_EQ(CoverEnd(h, Local(2019, 6, 14, 14, 45)), Local(2019, 6, 15, 0, 0));
  const v1::BarInterval w = v1::BAR_INTERVAL_ONE_WEEK;
  EXPECT_EQ(CoverStart(w, Local(2019, 6, 14, 10)), Local(2019, 6, 10));
  EXPECT_EQ(CoverEnd(w, Local(2019, 6, 14, 10)), Local(2019, 6, 17));
  const v1::BarInterval m = v1::BAR_INTERVAL_ONE_MONTH;
  EXPECT_EQ(CoverStart(m, Local(2019, 6, 14, 10)), Local(2019, 6, 1));
  EXPECT_EQ(CoverEnd(m, Local(2019, 12, 31, 10)), Local(2020, 1, 1));
  EXPECT_EQ(CoverEnd(v1::BAR_INTERVAL_ONE_MINUTE, Local(2019, 6, 14, 14, 45)),
            Local(2019, 6, 14, 14, 46));
}

std::vector<Bar> Days(std::vector<absl::CivilDay> days) {
  std::vector<Bar> bars;
  int64_t o = 100;
  for (absl::CivilDay day : days) {
    bars.push_back(B(absl::FromCivil(day, market::VietnamTime()), o++, 10));
  }
  return bars;
}

TEST(AggregateTest, WeeksAndMonthsFollowTheTradingCalendar) {
  // 2019-09-02 (Monday) was National Day: no bar. 2019-08-30 is a Friday,
  // the last trading day of August.
  const std::vector<Bar> bars =
      Days({absl::CivilDay(2019, 8, 29), absl::CivilDay(2019, 8, 30),
            absl::CivilDay(2019, 9, 3), absl::CivilDay(2019, 9, 4),
            absl::CivilDay(2019, 9, 6), absl::CivilDay(2019, 9, 9)});
  const std::vector<Candle> weeks = Fold(v1::BAR_INTERVAL_ONE_WEEK, bars);
  ASSERT_EQ(weeks.size(), 3u);
  EXPECT_EQ(weeks[0].start, Local(2019, 8, 29)) << "its first trading day";
  EXPECT_EQ(weeks[0].volume, 20);
  EXPECT_EQ(weeks[1].start, Local(2019, 9, 3)) << "Monday was a holiday";
  EXPECT_EQ(weeks[1].trading_date, absl::CivilDay(2019, 9, 3));
  EXPECT_EQ(weeks[1].open, 102 * kVnd);
  EXPECT_EQ(weeks[1].close, 105 * kVnd);  // Friday 9/6: open 104, close 105
  EXPECT_EQ(weeks[1].volume, 30);
  EXPECT_EQ(weeks[2].start, Local(2019, 9, 9));

  const std::vector<Candle> months = Fold(v1::BAR_INTERVAL_ONE_MONTH, bars);
  ASSERT_EQ(months.size(), 2u);
  EXPECT_EQ(months[0].start, Local(2019, 8, 29));
  EXPECT_EQ(months[0].close, 102 * kVnd);
  EXPECT_EQ(months[1].start, Local(2019, 9, 3));
  EXPECT_EQ(months[1].volume, 40);

  const std::vector<Candle> days = Fold(v1::BAR_INTERVAL_ONE_DAY, bars);
  ASSERT_EQ(days.size(), 6u);
  EXPECT_EQ(days[2].start, Local(2019, 9, 3));
}

TEST(AggregateTest, AWeekEndingInAHolidayIsFinalAfterItsLastTradingDay) {
  // Friday 2019-05-03 declared a holiday: the week ends on Thursday.
  const market::TradingCalendar calendar({absl::CivilDay(2019, 5, 3)});
  const std::vector<Bar> bars = Days({absl::CivilDay(2019, 5, 2)});
  const absl::Time thursday_close = Local(2019, 5, 2, 15, 0);
  EXPECT_TRUE(Fold(v1::BAR_INTERVAL_ONE_WEEK, bars, calendar, thursday_close)
                  .at(0)
                  .final);
  EXPECT_FALSE(Fold(v1::BAR_INTERVAL_ONE_WEEK, bars, calendar,
                    thursday_close - absl::Minutes(1))
                   .at(0)
                   .final);
  // Without the holiday the week is not over on Thursday.
  EXPECT_FALSE(
      Fold(v1::BAR_INTERVAL_ONE_WEEK, bars, {}, thursday_close).at(0).final);
  // The month of May 2019 ends on Friday 31.
  EXPECT_FALSE(Fold(v1::BAR_INTERVAL_ONE_MONTH, bars, calendar, thursday_close)
                   .at(0)
                   .final);
  EXPECT_TRUE(Fold(v1::BAR_INTERVAL_ONE_MONTH, bars, calendar,
                   Local(2019, 5, 31, 15, 0))
                  .at(0)
                  .final);
}

TEST(AggregateTest, IntradayCandlesAreFinalWhenTheirTimeIsOverAndBarsFinal) {
  const std::vector<Bar> bars = {B(Local(2019, 6, 14, 14, 29), 100, 1),
                                 B(Local(2019, 6, 14, 14, 45), 101, 2)};
  const v1::BarInterval q = v1::BAR_INTERVAL_FIFTEEN_MINUTES;
  EXPECT_FALSE(Fold(q, bars, {}, Local(2019, 6, 14, 14, 45)).at(0).final)
      << "the auction minute is not over";
  EXPECT_TRUE(Fold(q, bars, {}, Local(2019, 6, 14, 14, 46)).at(0).final);
  std::vector<Bar> open = bars;
  open.back().final = false;
  EXPECT_FALSE(Fold(q, open, {}, Local(2019, 6, 14, 15, 0)).at(0).final);
  EXPECT_TRUE(Fold(v1::BAR_INTERVAL_FIVE_MINUTES,
                   {B(Local(2019, 6, 14, 10, 2), 100, 1)}, {},
                   Local(2019, 6, 14, 10, 5))
                  .at(0)
                  .final);
  EXPECT_FALSE(Fold(v1::BAR_INTERVAL_FIVE_MINUTES,
                    {B(Local(2019, 6, 14, 10, 2), 100, 1)}, {},
                    Local(2019, 6, 14, 10, 4))
                   .at(0)
                   .final);
}

TEST(AggregateTest, Limits) {
  EXPECT_FALSE(IsSupported(v1::BAR_INTERVAL_UNSPECIFIED));
  EXPECT_FALSE(IsSupported(static_cast<v1::BarInterval>(99)));
  EXPECT_EQ(TableOf(v1::BAR_INTERVAL_ONE_HOUR), BarTable::kMinute);
  EXPECT_EQ(TableOf(v1::BAR_INTERVAL_ONE_WEEK), BarTable::kDaily);
  EXPECT_EQ(MaxBarsPerCandle(v1::BAR_INTERVAL_FIFTEEN_MINUTES), 16);
}

}  // namespace
}  // namespace vnstream::candles
