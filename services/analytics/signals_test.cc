#include "services/analytics/signals.h"

#include <map>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vnstream::analytics {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::IsEmpty;

const indicators::Params kParams;

v1::IndicatorValues Smas(double short_sma, double medium_sma) {
  v1::IndicatorValues v;
  v.set_sma_short(short_sma);
  v.set_sma_medium(medium_sma);
  return v;
}

std::vector<v1::SignalKind> Kinds(const std::vector<Crossing>& crossings) {
  std::vector<v1::SignalKind> kinds;
  for (const Crossing& c : crossings) kinds.push_back(c.kind);
  return kinds;
}

TEST(SignalsTest, SmaCrossovers) {
  const std::vector<Crossing> golden =
      DetectSignals(kParams, Smas(99, 100), 0, Smas(101, 100.5), 0);
  ASSERT_EQ(golden.size(), 1u);
  EXPECT_EQ(golden[0].kind, v1::SIGNAL_KIND_SMA_GOLDEN_CROSS);
  EXPECT_EQ(golden[0].value, 101);
  EXPECT_EQ(golden[0].reference, 100.5);
  EXPECT_EQ(golden[0].description, "SMA20 crossed above SMA50");
  EXPECT_THAT(
      Kinds(DetectSignals(kParams, Smas(101, 100), 0, Smas(99, 100), 0)),
      ElementsAre(v1::SIGNAL_KIND_SMA_DEATH_CROSS));
  // Touching first, then moving past: a cross. Touching only: none.
  EXPECT_THAT(
      Kinds(DetectSignals(kParams, Smas(100, 100), 0, Smas(101, 100), 0)),
      ElementsAre(v1::SIGNAL_KIND_SMA_GOLDEN_CROSS));
  EXPECT_THAT(DetectSignals(kParams, Smas(99, 100), 0, Smas(100, 100), 0),
              IsEmpty());
  EXPECT_THAT(DetectSignals(kParams, Smas(101, 100), 0, Smas(102, 100), 0),
              IsEmpty());
  // Inside the medium SMA's lookback at the earlier bar: nothing.
  v1::IndicatorValues early;
  early.set_sma_short(99);
  EXPECT_THAT(DetectSignals(kParams, early, 0, Smas(101, 100), 0), IsEmpty());
}

TEST(SignalsTest, RsiLeavingOversoldAndOverbought) {
  v1::IndicatorValues a, b;
  a.set_rsi(29.9);
  b.set_rsi(30);
  std::vector<Crossing> c = DetectSignals(kParams, a, 0, b, 0);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].kind, v1::SIGNAL_KIND_RSI_LEAVES_OVERSOLD);
  EXPECT_EQ(c[0].value, 30);
  EXPECT_EQ(c[0].reference, 30);
  EXPECT_EQ(c[0].description, "RSI14 rose through 30 (leaving oversold)");
  a.set_rsi(70.5);
  b.set_rsi(65);
  EXPECT_THAT(Kinds(DetectSignals(kParams, a, 0, b, 0)),
              ElementsAre(v1::SIGNAL_KIND_RSI_LEAVES_OVERBOUGHT));
  // Entering oversold / overbought, or staying inside, is not a signal.
  a.set_rsi(35);
  b.set_rsi(25);
  EXPECT_THAT(DetectSignals(kParams, a, 0, b, 0), IsEmpty());
  a.set_rsi(65);
  b.set_rsi(75);
  EXPECT_THAT(DetectSignals(kParams, a, 0, b, 0), IsEmpty());
  a.set_rsi(20);
  b.set_rsi(29);
  EXPECT_THAT(DetectSignals(kParams, a, 0, b, 0), IsEmpty());
}

TEST(SignalsTest, BollingerBreakouts) {
  v1::IndicatorValues a, b;
  a.set_bb_upper(110);
  a.set_bb_lower(90);
  b.set_bb_upper(111);
  b.set_bb_lower(91);
  std::vector<Crossing> up = DetectSignals(kParams, a, 110, b, 112);
  ASSERT_EQ(up.size(), 1u);
  EXPECT_EQ(up[0].kind, v1::SIGNAL_KIND_BOLLINGER_BREAKOUT_UP);
  EXPECT_EQ(up[0].value, 112);
  EXPECT_EQ(up[0].reference, 111);
  EXPECT_EQ(up[0].description,
            "close crossed above the upper Bollinger band (20, 2)");
  std::vector<Crossing> down = DetectSignals(kParams, a, 95, b, 90);
  ASSERT_EQ(down.size(), 1u);
  EXPECT_EQ(down[0].kind, v1::SIGNAL_KIND_BOLLINGER_BREAKOUT_DOWN);
  EXPECT_EQ(down[0].value, 90);
  EXPECT_EQ(down[0].reference, 91);
  // Already outside at the earlier bar: no new breakout.
  EXPECT_THAT(DetectSignals(kParams, a, 111, b, 115), IsEmpty());
  EXPECT_THAT(DetectSignals(kParams, a, 100, b, 111), IsEmpty());
}

TEST(SignalsTest, MacdCrosses) {
  v1::IndicatorValues a, b;
  a.set_macd(-1);
  a.set_macd_signal(0.5);
  b.set_macd(1);
  b.set_macd_signal(0.75);
  std::vector<Crossing> bull = DetectSignals(kParams, a, 0, b, 0);
  ASSERT_EQ(bull.size(), 1u);
  EXPECT_EQ(bull[0].kind, v1::SIGNAL_KIND_MACD_BULLISH_CROSS);
  EXPECT_EQ(bull[0].value, 1);
  EXPECT_EQ(bull[0].reference, 0.75);
  EXPECT_EQ(bull[0].description, "MACD(12,26,9) crossed above its signal line");
  EXPECT_THAT(Kinds(DetectSignals(kParams, b, 0, a, 0)),
              ElementsAre(v1::SIGNAL_KIND_MACD_BEARISH_CROSS));
}

TEST(SignalsTest, EveryKindOnAConstructedSeries) {
  // 100 quiet bars rising slowly, a 30-bar slide, a 40-bar rally, then a
  // 15-bar pull-back: every kind happens, each in its phase.
  std::vector<double> closes;
  double c = 10'000;
  for (int i = 0; i < 100; ++i) closes.push_back(c += (i % 3 == 0 ? 30 : -10));
  for (int i = 0; i < 30; ++i) closes.push_back(c -= 150);
  for (int i = 0; i < 40; ++i) closes.push_back(c += 220);
  for (int i = 0; i < 15; ++i) closes.push_back(c -= 120);
  std::vector<indicators::Bar> bars;
  for (double close : closes) bars.push_back({close, close, close, close, 1});
  const indicators::Series values = indicators::Compute(kParams, bars);
  std::map<v1::SignalKind, std::vector<int>> at;
  for (size_t i = 1; i < values.size(); ++i) {
    for (const Crossing& x :
         DetectSignals(kParams, values[i - 1].ToProto(), closes[i - 1],
                       values[i].ToProto(), closes[i])) {
      at[x.kind].push_back(static_cast<int>(i));
    }
  }
  auto first_in = [&](v1::SignalKind kind, int from, int to) {
    for (int i : at[kind]) {
      if (i >= from && i < to) return true;
    }
    return false;
  };
  // The slide (bars 100-129).
  EXPECT_TRUE(first_in(v1::SIGNAL_KIND_MACD_BEARISH_CROSS, 100, 130));
  EXPECT_TRUE(first_in(v1::SIGNAL_KIND_BOLLINGER_BREAKOUT_DOWN, 100, 130));
  EXPECT_TRUE(first_in(v1::SIGNAL_KIND_SMA_DEATH_CROSS, 100, 130));
  // The rally (130-169).
  EXPECT_TRUE(first_in(v1::SIGNAL_KIND_RSI_LEAVES_OVERSOLD, 130, 170));
  EXPECT_TRUE(first_in(v1::SIGNAL_KIND_MACD_BULLISH_CROSS, 130, 170));
  EXPECT_TRUE(first_in(v1::SIGNAL_KIND_BOLLINGER_BREAKOUT_UP, 130, 170));
  EXPECT_TRUE(first_in(v1::SIGNAL_KIND_SMA_GOLDEN_CROSS, 130, 170));
  // The pull-back (170-184).
  EXPECT_TRUE(first_in(v1::SIGNAL_KIND_RSI_LEAVES_OVERBOUGHT, 170, 185));
  // A crossing of the SMAs needs both lines: nothing before bar 50.
  for (const auto& [kind, bars_at] : at) {
    for (int i : bars_at) {
      if (kind == v1::SIGNAL_KIND_SMA_GOLDEN_CROSS ||
          kind == v1::SIGNAL_KIND_SMA_DEATH_CROSS) {
        EXPECT_GE(i, 50);
      }
    }
  }
}

}  // namespace
}  // namespace vnstream::analytics
