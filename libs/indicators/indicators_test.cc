#include "libs/indicators/indicators.h"

#include <cmath>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/market/calendar.h"
#include "libs/market/decimal.h"

namespace vnstream::indicators {
namespace {

using ::testing::DoubleNear;
using ::testing::HasSubstr;

// TA-Lib's regression-test close series (src/tools/ta_regtest/test_data.c,
// TA_SREF_close_daily_ref_0_PRIV), 252 daily closes.
const std::vector<double> kTaLibClose = {
    91.5,    94.815,  94.375,  95.095,  93.78,   94.625,  92.53,   92.75,
    90.315,  92.47,   96.125,  97.25,   98.5,    89.875,  91,      92.815,
    89.155,  89.345,  91.625,  89.875,  88.375,  87.625,  84.78,   83,
    83.5,    81.375,  84.44,   89.25,   86.375,  86.25,   85.25,   87.125,
    85.815,  88.97,   88.47,   86.875,  86.815,  84.875,  84.19,   83.875,
    83.375,  85.5,    89.19,   89.44,   91.095,  90.75,   91.44,   89,
    91,      90.5,    89.03,   88.815,  84.28,   83.5,    82.69,   84.75,
    85.655,  86.19,   88.94,   89.28,   88.625,  88.5,    91.97,   91.5,
    93.25,   93.5,    93.155,  91.72,   90,      89.69,   88.875,  85.19,
    83.375,  84.875,  85.94,   97.25,   99.875,  104.94,  106,     102.5,
    102.405, 104.595, 106.125, 106,     106.065, 104.625, 108.625, 109.315,
    110.5,   112.75,  123,     119.625, 118.75,  119.25,  117.94,  116.44,
    115.19,  111.875, 110.595, 118.125, 116,     116,     112,     113.75,
    112.94,  116,     120.5,   116.62,  117,     115.25,  114.31,  115.5,
    115.87,  120.69,  120.19,  120.75,  124.75,  123.37,  122.94,  122.56,
    123.12,  122.56,  124.62,  129.25,  131,     132.25,  131,     132.81,
    134,     137.38,  137.81,  137.88,  137.25,  136.31,  136.25,  134.63,
    128.25,  129,     123.87,  124.81,  123,     126.25,  128.38,  125.37,
    125.69,  122.25,  119.37,  118.5,   123.19,  123.5,   122.19,  119.31,
    123.31,  121.12,  123.37,  127.37,  128.5,   123.87,  122.94,  121.75,
    124.44,  122,     122.37,  122.94,  124,     123.19,  124.56,  127.25,
    125.87,  128.86,  132,     130.75,  134.75,  135,     132.38,  133.31,
    131.94,  130,     125.37,  130.13,  127.12,  125.19,  122,     125,
    123,     123.5,   120.06,  121,     117.75,  119.87,  122,     119.19,
    116.37,  113.5,   114.25,  110,     105.06,  107,     107.87,  107,
    107.12,  107,     91,      93.94,   93.87,   95.5,    93,      94.94,
    98.25,   96.75,   94.81,   94.37,   91.56,   90.25,   93.94,   93.62,
    97,      95,      95.87,   94.06,   94.62,   93.75,   98,      103.94,
    107.87,  106.06,  104.5,   105,     104.19,  103.06,  103.42,  105.27,
    111.87,  116,     116.62,  118.28,  113.37,  109,     109.7,   109.25,
    107,     109.19,  110,     109.2,   110.12,  108,     108.62,  109.75,
    109.81,  109,     108.75,  107.87};

std::vector<Bar> FromCloses(const std::vector<double>& closes,
                            double volume = 1000) {
  std::vector<Bar> bars;
  for (double c : closes) bars.push_back({c, c, c, c, volume});
  return bars;
}

// The index of the first bar where `field` is set, or -1.
int FirstSet(const Series& values, std::optional<double> Values::*field) {
  for (size_t i = 0; i < values.size(); ++i) {
    if ((values[i].*field).has_value()) return static_cast<int>(i);
  }
  return -1;
}

TEST(IndicatorsTest, TaLibRegressionVectors) {
  // Expected values from TA-Lib's own regression tests (test_ma.c,
  // test_rsi.c, test_macd.c), which it checks to within 0.01 (0.0001 for
  // the 4-decimal MACD values).
  const std::vector<Bar> bars = FromCloses(kTaLibClose);
  Params p;
  p.sma_short_period = 30;
  p.ema_fast_period = 10;
  const Series v = Compute(p, bars);
  EXPECT_THAT(*v[29].sma_short, DoubleNear(90.42, 0.01));
  EXPECT_THAT(*v[30].sma_short, DoubleNear(90.21, 0.01));
  EXPECT_THAT(*v[31].sma_short, DoubleNear(89.96, 0.01));
  EXPECT_THAT(*v[58].sma_short, DoubleNear(87.12, 0.01));
  EXPECT_THAT(*v[250].sma_short, DoubleNear(107.95, 0.01));
  EXPECT_THAT(*v[251].sma_short, DoubleNear(108.42, 0.01));
  EXPECT_THAT(*v[9].ema_fast, DoubleNear(93.22, 0.01));
  EXPECT_THAT(*v[10].ema_fast, DoubleNear(93.75, 0.01));
  EXPECT_THAT(*v[29].ema_fast, DoubleNear(86.46, 0.01));
  EXPECT_THAT(*v[251].ema_fast, DoubleNear(108.97, 0.01));
  EXPECT_THAT(*v[14].rsi, DoubleNear(49.14, 0.01));
  EXPECT_THAT(*v[15].rsi, DoubleNear(52.32, 0.01));
  EXPECT_THAT(*v[16].rsi, DoubleNear(46.07, 0.01));
  EXPECT_THAT(*v[251].rsi, DoubleNear(49.63, 0.01));
  EXPECT_THAT(*v[33].macd, DoubleNear(-1.9738, 0.0001));
  EXPECT_THAT(*v[33].macd_signal, DoubleNear(-2.7071, 0.0001));
  EXPECT_THAT(*v[33].macd_hist, DoubleNear(-1.9738 + 2.7071, 0.0002));
}

TEST(IndicatorsTest, LookbacksAreTaLibsAndUnsetMeansUnset) {
  const Series v = Compute(Params(), FromCloses(kTaLibClose));
  EXPECT_EQ(FirstSet(v, &Values::sma_short), 19);
  EXPECT_EQ(FirstSet(v, &Values::sma_medium), 49);
  EXPECT_EQ(FirstSet(v, &Values::sma_long), 199);
  EXPECT_EQ(FirstSet(v, &Values::ema_fast), 11);
  EXPECT_EQ(FirstSet(v, &Values::ema_slow), 25);
  EXPECT_EQ(FirstSet(v, &Values::rsi), 14);
  EXPECT_EQ(FirstSet(v, &Values::macd), 33);
  EXPECT_EQ(FirstSet(v, &Values::macd_signal), 33);
  EXPECT_EQ(FirstSet(v, &Values::bb_middle), 19);
  EXPECT_EQ(FirstSet(v, &Values::atr), 14);
  EXPECT_EQ(FirstSet(v, &Values::stoch_k), 17);
  EXPECT_EQ(FirstSet(v, &Values::stoch_d), 17);
  EXPECT_EQ(FirstSet(v, &Values::obv), 0);
  EXPECT_EQ(FirstSet(v, &Values::volume_sma), 19);
  EXPECT_EQ(FirstSet(v, &Values::daily_return), 1);
  EXPECT_EQ(FirstSet(v, &Values::cumulative_return), 0);
}

TEST(IndicatorsTest, HandCheckedSmallSeries) {
  Params p;
  p.sma_short_period = 3;
  p.ema_fast_period = 3;
  p.rsi_period = 2;
  const Series v = Compute(p, FromCloses({10, 11, 10, 12, 14}));
  EXPECT_FALSE(v[1].sma_short.has_value());
  EXPECT_DOUBLE_EQ(*v[2].sma_short, 31.0 / 3);
  EXPECT_DOUBLE_EQ(*v[3].sma_short, 11.0);
  // EMA(3): k = 0.5, seed = mean of the first three.
  EXPECT_DOUBLE_EQ(*v[2].ema_fast, 31.0 / 3);
  EXPECT_DOUBLE_EQ(*v[3].ema_fast, (12 - 31.0 / 3) * 0.5 + 31.0 / 3);
  // RSI(2): changes +1, -1 -> 50; then +2: gain (0.5+2)/2, loss 0.5/2.
  EXPECT_DOUBLE_EQ(*v[2].rsi, 50.0);
  EXPECT_DOUBLE_EQ(*v[3].rsi, 100.0 * 1.25 / 1.5);
  // OBV starts at the first volume and follows the closes.
  EXPECT_DOUBLE_EQ(*v[0].obv, 1000);
  EXPECT_DOUBLE_EQ(*v[1].obv, 2000);
  EXPECT_DOUBLE_EQ(*v[2].obv, 1000);
  EXPECT_DOUBLE_EQ(*v[1].daily_return, 11.0 / 10 - 1);
  EXPECT_DOUBLE_EQ(*v[4].cumulative_return, 14.0 / 10 - 1);
  EXPECT_DOUBLE_EQ(*v[0].cumulative_return, 0.0);
}

TEST(IndicatorsTest, FlatPricesGiveZeroWidthBandsAndZeroOscillators) {
  const Series v =
      Compute(Params(), FromCloses(std::vector<double>(60, 25'000)));
  const Values& last = v.back();
  EXPECT_DOUBLE_EQ(*last.bb_upper, 25'000);
  EXPECT_DOUBLE_EQ(*last.bb_lower, 25'000);
  EXPECT_DOUBLE_EQ(*last.rsi, 0.0)
      << "TA-Lib: 0 when gains and losses are both 0";
  EXPECT_DOUBLE_EQ(*last.stoch_k, 0.0) << "TA-Lib: 0 when the range is 0";
  EXPECT_DOUBLE_EQ(*last.macd, 0.0);
  EXPECT_DOUBLE_EQ(*last.atr, 0.0);
  EXPECT_DOUBLE_EQ(*last.obv, 1000);
}

TEST(IndicatorsTest, GapsAndTrueRange) {
  Params p;
  p.atr_period = 2;
  // A gap up: the true range reaches back to the previous close.
  const std::vector<Bar> bars = {{100, 101, 99, 100, 10},
                                 {110, 112, 109, 111, 10},
                                 {111, 113, 110, 112, 10}};
  const Series v = Compute(p, bars);
  EXPECT_FALSE(v[1].atr.has_value());
  // TR1 = max(3, |100-112|, |100-109|) = 12; TR2 = max(3, 1, 2) = 3.
  EXPECT_DOUBLE_EQ(*v[2].atr, (12 + 3) / 2.0);
}

TEST(IndicatorsTest, FewerBarsThanTheLookbackAndASingleBar) {
  const Series few = Compute(Params(), FromCloses({1, 2, 3, 4, 5}));
  for (size_t i = 0; i < few.size(); ++i) {
    const Values v = few[i];
    EXPECT_FALSE(v.sma_short || v.ema_fast || v.rsi || v.macd || v.bb_middle ||
                 v.atr || v.stoch_k || v.volume_sma);
  }
  const Series one = Compute(Params(), FromCloses({42'000}));
  ASSERT_EQ(one.size(), 1u);
  EXPECT_DOUBLE_EQ(*one[0].obv, 1000);
  EXPECT_FALSE(one[0].daily_return.has_value());
  EXPECT_TRUE(Compute(Params(), {}).empty());
}

TEST(IndicatorsTest, ZeroVolumeLeavesTheRatioUnset) {
  const Series v =
      Compute(Params(), FromCloses(std::vector<double>(25, 10), 0));
  EXPECT_DOUBLE_EQ(*v.back().volume_sma, 0.0);
  EXPECT_FALSE(v.back().volume_ratio.has_value());
}

bool SameValues(const Values& a, const Values& b) {
  const std::optional<double> Values::*fields[] = {
      &Values::sma_short,    &Values::sma_medium,       &Values::sma_long,
      &Values::ema_fast,     &Values::ema_slow,         &Values::rsi,
      &Values::macd,         &Values::macd_signal,      &Values::macd_hist,
      &Values::bb_upper,     &Values::bb_middle,        &Values::bb_lower,
      &Values::atr,          &Values::stoch_k,          &Values::stoch_d,
      &Values::obv,          &Values::volume_sma,       &Values::volume_ratio,
      &Values::daily_return, &Values::cumulative_return};
  for (auto f : fields) {
    if (a.*f != b.*f) return false;  // Bit-exact, and set/unset alike.
  }
  return true;
}

TEST(IndicatorsTest, IncrementalRevisionOfTheLastBarEqualsAFullRecompute) {
  std::vector<Bar> bars = FromCloses(kTaLibClose);
  for (size_t i = 0; i < bars.size(); ++i) {
    bars[i].high += 1 + 0.1 * (i % 7);
    bars[i].low -= 1 + 0.1 * (i % 5);
    bars[i].volume = 1'000'000 + 1000 * static_cast<double>(i % 13);
  }
  // State after all but the last bar, kept and re-used.
  Incremental before_last(Params{});
  for (size_t i = 0; i + 1 < bars.size(); ++i) before_last.Update(bars[i]);
  for (double revised_close : {105.0, 110.5, 99.25}) {
    Bar revised = bars.back();
    revised.close = revised_close;
    Incremental copy = before_last;
    const Values incremental = copy.Update(revised);
    std::vector<Bar> full = bars;
    full.back() = revised;
    EXPECT_TRUE(SameValues(incremental, Compute(Params{}, full).back()))
        << revised_close;
  }
}

TEST(IndicatorsTest, IncrementalEqualsAFullRecomputeAtEveryBar) {
  // Compute() runs Step()'s parts as separate loops; Update() runs the
  // whole step per bar. Every value of every bar must agree bit for bit,
  // through every indicator's lookback and Stochastic's window blocks.
  std::vector<Bar> bars = FromCloses(kTaLibClose);
  for (size_t i = 0; i < bars.size(); ++i) {
    bars[i].high += 0.5 + 0.25 * static_cast<double>(i % 11);
    bars[i].low -= 0.5 + 0.25 * static_cast<double>(i % 7);
    bars[i].volume = 500'000 + 7'000 * static_cast<double>(i % 17);
  }
  const Series full = Compute(Params{}, bars);
  ASSERT_EQ(full.size(), bars.size());
  Incremental incremental(Params{});
  for (size_t i = 0; i < bars.size(); ++i) {
    EXPECT_TRUE(SameValues(incremental.Update(bars[i]), full[i])) << i;
  }
}

TEST(IndicatorsTest, PerformanceSummary) {
  const Performance p =
      ComputePerformance(Params(), FromCloses({100, 110, 99}));
  EXPECT_DOUBLE_EQ(*p.total_return, 99.0 / 100 - 1);
  EXPECT_DOUBLE_EQ(*p.max_drawdown, 99.0 / 110 - 1);
  const double r1 = 110.0 / 100 - 1;
  const double r2 = 99.0 / 110 - 1;
  const double mean = (r1 + r2) / 2;
  const double sd =
      std::sqrt(((r1 - mean) * (r1 - mean) + (r2 - mean) * (r2 - mean)) / 1);
  EXPECT_DOUBLE_EQ(*p.annualized_volatility, sd * std::sqrt(252.0));
  EXPECT_DOUBLE_EQ(*p.sharpe_ratio, mean * 252 / (sd * std::sqrt(252.0)));
  EXPECT_FALSE(
      ComputePerformance(Params(), FromCloses({100})).total_return.has_value());
  const Performance flat =
      ComputePerformance(Params(), FromCloses({100, 100, 100}));
  EXPECT_DOUBLE_EQ(*flat.annualized_volatility, 0.0);
  EXPECT_FALSE(flat.sharpe_ratio.has_value());
}

v1::DailyHistory History(const std::vector<double>& closes) {
  v1::DailyHistory h;
  h.mutable_meta()->set_symbol("FPT");
  h.mutable_meta()->set_seq(7);
  absl::CivilDay day(2019, 1, 2);
  for (double c : closes) {
    v1::DailyBar* bar = h.add_bars();
    *bar->mutable_date() = market::ToDate(day++);
    const int64_t units = static_cast<int64_t>(c);
    *bar->mutable_open() = market::MakeDecimal(units);
    *bar->mutable_high() = market::MakeDecimal(units + 100);
    *bar->mutable_low() = market::MakeDecimal(units - 100);
    *bar->mutable_close() = market::MakeDecimal(units);
    bar->set_volume(5000);
  }
  return h;
}

TEST(EnrichTest, CopiesBarsAndMetaAndSetsOnlyComputedValues) {
  std::vector<double> closes;
  for (int i = 0; i < 40; ++i) closes.push_back(100'000 + 50 * (i % 9));
  v1::EnrichedHistory out;
  ASSERT_TRUE(Enrich(History(closes), Params(), &out).ok());
  EXPECT_EQ(out.meta().seq(), 7u);
  EXPECT_EQ(out.params().sma_long_period(), 200);
  ASSERT_EQ(out.bars_size(), 40);
  EXPECT_EQ(out.bars(39).bar().close().units(), 100'000 + 50 * (39 % 9));
  EXPECT_FALSE(out.bars(18).indicators().has_sma_short());
  EXPECT_TRUE(out.bars(19).indicators().has_sma_short());
  EXPECT_FALSE(out.bars(39).indicators().has_sma_long());
  EXPECT_TRUE(out.bars(39).indicators().has_macd());
  EXPECT_TRUE(out.performance().has_total_return());
}

TEST(EnrichTest, RejectsUnusableHistories) {
  v1::EnrichedHistory out;
  v1::DailyHistory h = History({100'000, 101'000, 102'000});
  *h.mutable_bars(2)->mutable_date() = h.bars(1).date();
  EXPECT_THAT(Enrich(h, Params(), &out).message(),
              HasSubstr("not strictly increasing"));
  h = History({100'000, 101'000});
  *h.mutable_bars(1)->mutable_low() = market::MakeDecimal(0);
  EXPECT_THAT(Enrich(h, Params(), &out).message(),
              HasSubstr("non-positive price"));
  h = History({100'000, 101'000});
  *h.mutable_bars(0)->mutable_high() = market::MakeDecimal(99'000);
  EXPECT_THAT(Enrich(h, Params(), &out).message(),
              HasSubstr("low <= open, close <= high"));
  h = History({100'000});
  h.mutable_bars(0)->set_volume(-1);
  EXPECT_THAT(Enrich(h, Params(), &out).message(),
              HasSubstr("negative volume"));
  Params bad;
  bad.macd_fast_period = 30;
  EXPECT_EQ(Enrich(History({1}), bad, &out).code(),
            absl::StatusCode::kInvalidArgument);
  v1::EnrichedHistory empty;
  EXPECT_TRUE(Enrich(v1::DailyHistory(), Params(), &empty).ok());
  EXPECT_EQ(empty.bars_size(), 0);
}

TEST(ParamsTest, ValidationAndProtoRoundTrip) {
  EXPECT_TRUE(Params().Validate().ok());
  Params p;
  p.rsi_period = 1;
  EXPECT_THAT(p.Validate().message(), HasSubstr("rsi_period"));
  p = Params();
  p.bbands_stddev = 0;
  EXPECT_FALSE(p.Validate().ok());
  p = Params();
  p.atr_period = 21;
  const Params round_trip = Params::FromProto(p.ToProto());
  EXPECT_EQ(round_trip.atr_period, 21);
  EXPECT_EQ(round_trip.stoch_slowd_period, 3);
  EXPECT_DOUBLE_EQ(round_trip.bbands_stddev, 2.0);
}

}  // namespace
}  // namespace vnstream::indicators
