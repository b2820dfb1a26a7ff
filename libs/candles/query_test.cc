#include "libs/candles/query.h"

#include <cmath>
#include <map>

#include "gtest/gtest.h"
#include "libs/candles/fake_store.h"
#include "libs/market/calendar.h"
#include "libs/market/decimal.h"

namespace vnstream::candles {
namespace {

constexpr Nanos kVnd = 1'000'000'000;

absl::Time Local(int y, int mo, int d, int h = 0, int mi = 0) {
  return absl::FromCivil(absl::CivilMinute(y, mo, d, h, mi),
                         market::VietnamTime());
}

// Every HOSE minute of `days` trading days from 2019-06-10 (Monday): a
// deterministic zig-zag around 45,000 VND.
std::vector<Bar> Minutes(int days) {
  std::vector<Bar> bars;
  absl::CivilDay day(2019, 6, 10);
  int i = 0;
  for (int d = 0; d < days; ++d, ++day) {
    if (absl::GetWeekday(day) == absl::Weekday::saturday) day += 2;
    for (absl::CivilMinute m : market::BarMinutes(v1::EXCHANGE_HOSE, day)) {
      const Nanos p = (45000 + (i * 37) % 500) * kVnd;
      bars.push_back({absl::FromCivil(m, market::VietnamTime()), p,
                      p + 50 * kVnd, p - 50 * kVnd, p + 10 * kVnd, 100 + i % 13,
                      true});
      ++i;
    }
  }
  return bars;
}

// `n` daily bars on consecutive weekdays from 2017-01-02.
std::vector<Bar> Days(int n) {
  std::vector<Bar> bars;
  absl::CivilDay day(2017, 1, 2);
  for (int i = 0; i < n; ++i, ++day) {
    while (absl::GetWeekday(day) == absl::Weekday::saturday ||
           absl::GetWeekday(day) == absl::Weekday::sunday) {
      ++day;
    }
    const Nanos close =
        static_cast<Nanos>(20000 + 3000 * std::sin(i / 17.0) + i * 7) * kVnd;
    bars.push_back({absl::FromCivil(day, market::VietnamTime()),
                    close - 100 * kVnd, close + 300 * kVnd, close - 400 * kVnd,
                    close, 100000 + (i % 11) * 1000, true});
  }
  return bars;
}

v1::GetCandlesRequest Request(const std::string& symbol, absl::Time start,
                              absl::Time end, v1::BarInterval interval,
                              int page_size = 0) {
  v1::GetCandlesRequest r;
  r.set_symbol(symbol);
  *r.mutable_start() = market::ToTimestamp(start);
  *r.mutable_end() = market::ToTimestamp(end);
  r.set_interval(interval);
  r.set_page_size(page_size);
  return r;
}

class QueryTest : public ::testing::Test {
 protected:
  QueryTest() : query_({}, store_, calendar_) {
    store_.bars[{BarTable::kMinute, "FPT"}] = Minutes(5);
    store_.bars[{BarTable::kDaily, "FPT"}] = Days(700);
    store_.types["FPT"] = v1::INSTRUMENT_TYPE_STOCK;
  }

  absl::StatusOr<v1::GetCandlesResponse> Run(const v1::GetCandlesRequest& r) {
    return query_.Run(r, now_, absl::Now() + absl::Seconds(10));
  }

  // Every page of `r` concatenated.
  std::vector<v1::Candle> AllPages(v1::GetCandlesRequest r, int* pages) {
    std::vector<v1::Candle> out;
    *pages = 0;
    while (true) {
      absl::StatusOr<v1::GetCandlesResponse> page = Run(r);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) return out;
      ++*pages;
      out.insert(out.end(), page->candles().begin(), page->candles().end());
      if (page->next_page_token().empty()) return out;
      r.set_page_token(page->next_page_token());
    }
  }

  market::TradingCalendar calendar_;
  FakeStore store_;
  CandleQuery query_;
  absl::Time now_ = Local(2020, 1, 1);
};

TEST_F(QueryTest, MalformedRequestsAreInvalidArguments) {
  const absl::Time a = Local(2019, 6, 10);
  const absl::Time b = Local(2019, 6, 15);
  const v1::BarInterval m = v1::BAR_INTERVAL_ONE_MINUTE;
  for (const v1::GetCandlesRequest& r :
       {Request("F*T", a, b, m), Request("FPT", b, a, m),
        Request("FPT", a, a, m),
        Request("FPT", a, b, v1::BAR_INTERVAL_UNSPECIFIED),
        Request("FPT", a, b, static_cast<v1::BarInterval>(42)),
        Request("FPT", a, b, m, 50001), Request("FPT", a, b, m, -1)}) {
    EXPECT_EQ(Run(r).status().code(), absl::StatusCode::kInvalidArgument)
        << r.ShortDebugString();
  }
  v1::GetCandlesRequest no_end = Request("FPT", a, b, m);
  no_end.clear_end();
  EXPECT_EQ(Run(no_end).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Run(Request("fpt", a, b, m, 50000)).ok()) << "at the limit";
}

TEST_F(QueryTest, PagesAddUpToOneLargePage) {
  const v1::GetCandlesRequest whole =
      Request("FPT", Local(2019, 6, 10), Local(2019, 6, 15),
              v1::BAR_INTERVAL_FIFTEEN_MINUTES);
  absl::StatusOr<v1::GetCandlesResponse> one = Run(whole);
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_TRUE(one->next_page_token().empty());
  // 5 days x (10 morning + 6 afternoon) quarters; HOSE's first bar is 09:15,
  // so the 09:00 quarter is empty: 15 a day.
  EXPECT_EQ(one->candles_size(), 5 * 15);
  EXPECT_EQ(one->symbol(), "FPT");
  EXPECT_EQ(one->instrument_type(), v1::INSTRUMENT_TYPE_STOCK);
  v1::GetCandlesRequest paged = whole;
  paged.set_page_size(7);
  int pages = 0;
  const std::vector<v1::Candle> candles = AllPages(paged, &pages);
  EXPECT_EQ(pages, 11);
  ASSERT_EQ(static_cast<int>(candles.size()), one->candles_size());
  for (size_t i = 0; i < candles.size(); ++i) {
    ASSERT_EQ(candles[i].SerializeAsString(),
              one->candles(i).SerializeAsString())
        << i;
  }
  // The last quarter of a day holds the closing auction.
  const v1::Candle& last = one->candles(14);
  EXPECT_EQ(market::FromTimestamp(last.start_time()),
            Local(2019, 6, 10, 14, 15));
  int64_t volume = 0;
  for (const Bar& bar : store_.bars[{BarTable::kMinute, "FPT"}]) {
    if (bar.start >= Local(2019, 6, 10, 14, 15) &&
        bar.start < Local(2019, 6, 10, 15, 0)) {
      volume += bar.volume;
    }
  }
  EXPECT_EQ(last.volume(), volume);
  EXPECT_TRUE(last.final());
}

TEST_F(QueryTest, CandlesStartInTheRangeAndAreWhole) {
  // 10:07..10:37 in 15m: the 10:00 candle starts before the range; the
  // 10:30 candle starts inside it and keeps its bars up to 10:44.
  absl::StatusOr<v1::GetCandlesResponse> r =
      Run(Request("FPT", Local(2019, 6, 11, 10, 7), Local(2019, 6, 11, 10, 37),
                  v1::BAR_INTERVAL_FIFTEEN_MINUTES));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->candles_size(), 2);
  EXPECT_EQ(market::FromTimestamp(r->candles(0).start_time()),
            Local(2019, 6, 11, 10, 15));
  EXPECT_EQ(market::FromTimestamp(r->candles(1).start_time()),
            Local(2019, 6, 11, 10, 30));
  int64_t volume = 0;
  for (const Bar& bar : store_.bars[{BarTable::kMinute, "FPT"}]) {
    if (bar.start >= Local(2019, 6, 11, 10, 30) &&
        bar.start < Local(2019, 6, 11, 10, 45)) {
      volume += bar.volume;
    }
  }
  EXPECT_EQ(r->candles(1).volume(), volume);
  EXPECT_EQ(market::ToCivilDay(r->candles(1).trading_date()),
            absl::CivilDay(2019, 6, 11));
}

TEST_F(QueryTest, TokensAreValidatedAgainstTheirRequest) {
  v1::GetCandlesRequest r =
      Request("FPT", Local(2019, 6, 10), Local(2019, 6, 15),
              v1::BAR_INTERVAL_FIVE_MINUTES, 10);
  absl::StatusOr<v1::GetCandlesResponse> first = Run(r);
  ASSERT_TRUE(first.ok());
  ASSERT_FALSE(first->next_page_token().empty());
  v1::GetCandlesRequest other = r;
  other.set_page_token(first->next_page_token());
  ASSERT_TRUE(Run(other).ok());
  *other.mutable_end() = market::ToTimestamp(Local(2019, 6, 14));
  EXPECT_EQ(Run(other).status().code(), absl::StatusCode::kInvalidArgument);
  other = r;
  other.set_interval(v1::BAR_INTERVAL_FIFTEEN_MINUTES);
  other.set_page_token(first->next_page_token());
  EXPECT_EQ(Run(other).status().code(), absl::StatusCode::kInvalidArgument);
  other = r;
  other.set_page_token("not a token!");
  EXPECT_EQ(Run(other).status().code(), absl::StatusCode::kInvalidArgument);
  std::string tampered = first->next_page_token();
  tampered[5] = tampered[5] == 'A' ? 'B' : 'A';
  other.set_page_token(tampered);
  EXPECT_EQ(Run(other).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(QueryTest, DefaultPageIs5000Candles) {
  absl::StatusOr<v1::GetCandlesResponse> r =
      Run(Request("FPT", Local(2019, 6, 10), Local(2019, 7, 1),
                  v1::BAR_INTERVAL_ONE_MINUTE));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->candles_size(), 5 * 226) << "all of it: fewer than 5,000";
  store_.bars[{BarTable::kMinute, "FPT"}] = Minutes(30);  // 6,780 bars
  r = Run(Request("FPT", Local(2019, 6, 10), Local(2019, 8, 1),
                  v1::BAR_INTERVAL_ONE_MINUTE));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->candles_size(), 5000);
  EXPECT_FALSE(r->next_page_token().empty());
}

TEST_F(QueryTest, IndicatorsStartFromTheLookbackAndAgreeAcrossPages) {
  const std::vector<Bar>& days = store_.bars[{BarTable::kDaily, "FPT"}];
  const size_t first = 500;
  v1::GetCandlesRequest r = Request("FPT", days[first].start, days[650].start,
                                    v1::BAR_INTERVAL_ONE_DAY);
  r.set_with_indicators(true);
  absl::StatusOr<v1::GetCandlesResponse> one = Run(r);
  ASSERT_TRUE(one.ok()) << one.status();
  ASSERT_EQ(one->candles_size(), 150);
  EXPECT_EQ(one->params().sma_long_period(), 200);
  // The library over the 400 days before the range and the range.
  const int lookback = LookbackCandles(indicators::Params());
  ASSERT_EQ(lookback, 400);
  indicators::Incremental expected(indicators::Params{});
  auto to_bar = [](const Bar& b) {
    auto d = [](Nanos n) { return market::ToDouble(market::FromNanos(n)); };
    return indicators::Bar{d(b.open), d(b.high), d(b.low), d(b.close),
                           static_cast<double>(b.volume)};
  };
  for (size_t i = first - lookback; i < first; ++i) {
    expected.Update(to_bar(days[i]));
  }
  for (int i = 0; i < one->candles_size(); ++i) {
    const v1::IndicatorValues want =
        expected.Update(to_bar(days[first + i])).ToProto();
    const v1::IndicatorValues& got = one->candles(i).indicators();
    ASSERT_TRUE(got.has_sma_long()) << "candle " << i << " has a value";
    EXPECT_EQ(got.sma_long(), want.sma_long());
    EXPECT_EQ(got.macd_signal(), want.macd_signal());
    EXPECT_EQ(got.rsi(), want.rsi());
    EXPECT_EQ(got.atr(), want.atr());
    EXPECT_EQ(got.daily_return(), want.daily_return());
    EXPECT_DOUBLE_EQ(
        got.cumulative_return(),
        market::ToDouble(market::FromNanos(days[first + i].close)) /
                market::ToDouble(market::FromNanos(days[first].close)) -
            1);
  }
  // Paged: the same numbers (to ~1e-12 for the recursive indicators).
  r.set_page_size(40);
  int pages = 0;
  const std::vector<v1::Candle> paged = AllPages(r, &pages);
  EXPECT_EQ(pages, 4);
  ASSERT_EQ(paged.size(), 150u);
  for (size_t i = 0; i < paged.size(); ++i) {
    const v1::IndicatorValues& a = paged[i].indicators();
    const v1::IndicatorValues& b = one->candles(i).indicators();
    // TA-Lib's running sums round differently from another start.
    EXPECT_NEAR(a.sma_long(), b.sma_long(), 1e-12 * b.sma_long()) << i;
    EXPECT_NEAR(a.ema_slow(), b.ema_slow(), 1e-12 * b.ema_slow()) << i;
    EXPECT_NEAR(a.macd(), b.macd(), 1e-9) << i;
    EXPECT_NEAR(a.rsi(), b.rsi(), 1e-9) << i;
    EXPECT_EQ(a.cumulative_return(), b.cumulative_return()) << i;
  }
}

TEST_F(QueryTest, WithoutHistoryTheFirstCandlesAreInsideTheLookback) {
  const std::vector<Bar>& days = store_.bars[{BarTable::kDaily, "FPT"}];
  v1::GetCandlesRequest r =
      Request("FPT", days[0].start, days[30].start, v1::BAR_INTERVAL_ONE_DAY);
  r.set_with_indicators(true);
  absl::StatusOr<v1::GetCandlesResponse> one = Run(r);
  ASSERT_TRUE(one.ok());
  EXPECT_FALSE(one->candles(0).indicators().has_sma_short());
  EXPECT_TRUE(one->candles(19).indicators().has_sma_short());
}

TEST_F(QueryTest, WeeksAndMonthsFromDailyBars) {
  // 2017-01-02 is a Monday: whole weeks of 5 bars.
  const std::vector<Bar>& days = store_.bars[{BarTable::kDaily, "FPT"}];
  absl::StatusOr<v1::GetCandlesResponse> weeks = Run(Request(
      "FPT", Local(2017, 1, 1), Local(2017, 2, 1), v1::BAR_INTERVAL_ONE_WEEK));
  ASSERT_TRUE(weeks.ok());
  ASSERT_EQ(weeks->candles_size(), 5);
  EXPECT_EQ(weeks->candles(1).volume(), days[5].volume + days[6].volume +
                                            days[7].volume + days[8].volume +
                                            days[9].volume);
  EXPECT_EQ(weeks->candles(1).close().units(), days[9].close / kVnd);
  absl::StatusOr<v1::GetCandlesResponse> months = Run(Request(
      "FPT", Local(2017, 1, 1), Local(2018, 1, 1), v1::BAR_INTERVAL_ONE_MONTH));
  ASSERT_TRUE(months.ok());
  EXPECT_EQ(months->candles_size(), 12);
  EXPECT_EQ(market::ToCivilDay(months->candles(3).trading_date()),
            absl::CivilDay(2017, 4, 3))
      << "April 1-2, 2017 is a weekend";
}

TEST_F(QueryTest, UnknownSymbolsAndUnreachableStores) {
  const absl::Time a = Local(2019, 6, 10);
  const absl::Time b = Local(2019, 6, 15);
  EXPECT_EQ(Run(Request("XYZ", a, b, v1::BAR_INTERVAL_ONE_DAY)).status().code(),
            absl::StatusCode::kNotFound);
  // Known by its bars only: OK, type unknown; an empty range of a known
  // symbol is OK too.
  store_.bars[{BarTable::kDaily, "VNINDEX"}] = Days(3);
  absl::StatusOr<v1::GetCandlesResponse> index =
      Run(Request("VNINDEX", a, b, v1::BAR_INTERVAL_ONE_DAY));
  ASSERT_TRUE(index.ok());
  EXPECT_EQ(index->candles_size(), 0);
  EXPECT_EQ(index->instrument_type(), v1::INSTRUMENT_TYPE_UNSPECIFIED);
  store_.failure = absl::UnavailableError("postgres: connection refused");
  EXPECT_EQ(Run(Request("FPT", a, b, v1::BAR_INTERVAL_ONE_DAY)).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(QueryTest, FinalFollowsTheClock) {
  now_ = Local(2019, 6, 14, 10, 20);  // Friday, mid-morning.
  absl::StatusOr<v1::GetCandlesResponse> r =
      Run(Request("FPT", Local(2019, 6, 14, 10, 0), Local(2019, 6, 14, 10, 30),
                  v1::BAR_INTERVAL_FIFTEEN_MINUTES));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->candles_size(), 2);
  EXPECT_TRUE(r->candles(0).final());
  EXPECT_FALSE(r->candles(1).final()) << "10:15-10:30 is not over at 10:20";
}

}  // namespace
}  // namespace vnstream::candles
