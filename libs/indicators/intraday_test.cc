#include "libs/indicators/intraday.h"

#include <bit>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/market/calendar.h"
#include "libs/market/decimal.h"

namespace vnstream::indicators {
namespace {

using ::testing::DoubleNear;
using ::testing::HasSubstr;

// 60 one-minute closes from 09:15, VND (50-VND ticks).
const std::vector<double> kCloses = {
    30050, 30100, 30100, 30150, 30150, 30150, 30150, 30100, 30100, 30100,
    30100, 30100, 30050, 30050, 30050, 30050, 30000, 30000, 29950, 29950,
    29950, 29900, 29950, 29950, 30000, 30050, 30100, 30150, 30200, 30250,
    30300, 30350, 30350, 30300, 30300, 30250, 30200, 30150, 30100, 30050,
    30000, 30000, 30000, 30000, 30050, 30050, 30100, 30150, 30150, 30200,
    30200, 30250, 30250, 30250, 30300, 30300, 30300, 30350, 30350, 30350};

constexpr int k0915 = 9 * 60 + 15;

MinuteBar Bar(int i, double close, int64_t volume = 1000) {
  return {.minute = k0915 + i,
          .open = close,
          .high = close + 50,
          .low = close - 50,
          .close = close,
          .volume = volume};
}

std::vector<IntradaySession::Point> FreshDay(
    const std::vector<MinuteBar>& bars) {
  IntradaySession session{Params()};
  std::vector<IntradaySession::Point> out;
  for (const MinuteBar& bar : bars) out.push_back(session.Apply(bar).current);
  return out;
}

// A point's values and VWAP as bytes: bit-for-bit comparison.
std::string Bits(const IntradaySession::Point& p) {
  return absl::StrCat(p.values.ToProto().SerializeAsString(), "/",
                      p.vwap ? std::bit_cast<uint64_t>(*p.vwap) : 0, "/",
                      std::bit_cast<uint64_t>(p.close));
}

TEST(IntradayTest, OneMinuteIndicatorsMatchTaLib) {
  // Expected: the TA-Lib Python package (0.6) on kCloses: talib.RSI(c, 14),
  // talib.MACD(c, 12, 26, 9), talib.BBANDS(c, 20, 2, 2, 0), talib.SMA(c, 50).
  std::vector<MinuteBar> bars;
  for (size_t i = 0; i < kCloses.size(); ++i) {
    bars.push_back(Bar(static_cast<int>(i), kCloses[i]));
  }
  const std::vector<IntradaySession::Point> v = FreshDay(bars);
  constexpr double kRel = 1e-9;
  auto near = [](double expected) {
    return DoubleNear(expected, kRel * std::max(1.0, std::abs(expected)));
  };
  EXPECT_FALSE(v[13].values.rsi.has_value());
  EXPECT_THAT(*v[14].values.rsi, near(50.0));
  EXPECT_THAT(*v[30].values.rsi, near(78.32973156337299));
  EXPECT_THAT(*v[59].values.rsi, near(74.35603494833603));
  EXPECT_FALSE(v[32].values.macd.has_value());
  EXPECT_THAT(*v[33].values.macd, near(53.07172352270936));
  EXPECT_THAT(*v[45].values.macd, near(-27.46726623793802));
  EXPECT_THAT(*v[59].values.macd, near(59.06467455313759));
  EXPECT_THAT(*v[33].values.macd_signal, near(-2.1828910738994534));
  EXPECT_THAT(*v[45].values.macd_signal, near(-9.09990946208759));
  EXPECT_THAT(*v[59].values.macd_signal, near(39.475724742094954));
  EXPECT_THAT(*v[33].values.macd_hist, near(55.25461459660882));
  EXPECT_THAT(*v[59].values.macd_hist, near(19.58894981104264));
  EXPECT_FALSE(v[18].values.bb_upper.has_value());
  EXPECT_THAT(*v[19].values.bb_upper, near(30192.81209415516));
  EXPECT_THAT(*v[40].values.bb_upper, near(30422.30849247724));
  EXPECT_THAT(*v[59].values.bb_upper, near(30431.793566240285));
  EXPECT_THAT(*v[19].values.bb_middle, near(30072.5));
  EXPECT_THAT(*v[59].values.bb_middle, near(30180.0));
  EXPECT_THAT(*v[19].values.bb_lower, near(29952.18790584484));
  EXPECT_THAT(*v[40].values.bb_lower, near(29867.69150752276));
  EXPECT_THAT(*v[59].values.bb_lower, near(29928.206433759715));
  EXPECT_FALSE(v[48].values.sma_medium.has_value());
  EXPECT_THAT(*v[49].values.sma_medium, near(30100.0));
  EXPECT_THAT(*v[59].values.sma_medium, near(30135.0));
}

TEST(IntradayTest, SessionVwapByHand) {
  IntradaySession session{Params()};
  // Typical price 100, 10 shares.
  auto a = session.Apply({.minute = k0915,
                          .open = 100,
                          .high = 101,
                          .low = 99,
                          .close = 100,
                          .volume = 10});
  EXPECT_THAT(*a.current.vwap, DoubleNear(100, 1e-12));
  EXPECT_FALSE(a.previous.has_value());
  // Typical (103 + 100 + 102) / 3 = 101.666..., 30 shares:
  // (100 x 10 + 101.666... x 30) / 40 = 4050 / 40 = 101.25.
  auto b = session.Apply({.minute = k0915 + 1,
                          .open = 101,
                          .high = 103,
                          .low = 100,
                          .close = 102,
                          .volume = 30});
  EXPECT_THAT(*b.current.vwap, DoubleNear(101.25, 1e-9));
  EXPECT_THAT(*b.previous->vwap, DoubleNear(100, 1e-12));
  // A bar without volume leaves the VWAP where it was.
  auto c = session.Apply({.minute = k0915 + 2,
                          .open = 102,
                          .high = 102,
                          .low = 102,
                          .close = 102,
                          .volume = 0});
  EXPECT_THAT(*c.current.vwap, DoubleNear(101.25, 1e-9));
  // Before any volume there is no VWAP.
  IntradaySession empty{Params()};
  EXPECT_FALSE(empty.Apply(Bar(0, 100, 0)).current.vwap.has_value());
}

TEST(IntradayTest, RevisionsOfTheLastBarReplaceIt) {
  // In-progress revisions of bar 40, then the final one: the values are
  // those of a day that only ever saw the final bar, bit for bit.
  std::vector<MinuteBar> bars;
  for (int i = 0; i <= 40; ++i) bars.push_back(Bar(i, kCloses[i]));
  IntradaySession session{Params()};
  for (int i = 0; i < 40; ++i) session.Apply(bars[i]);
  session.Apply(Bar(40, 29000, 5));
  session.Apply(Bar(40, 31000, 500));
  const IntradaySession::Applied last = session.Apply(bars[40]);
  const std::vector<IntradaySession::Point> expected = FreshDay(bars);
  EXPECT_EQ(Bits(last.current), Bits(expected[40]));
  EXPECT_EQ(Bits(*last.previous), Bits(expected[39]));
  // And the next bar continues from the right state.
  bars.push_back(Bar(41, kCloses[41]));
  EXPECT_EQ(Bits(session.Apply(bars[41]).current), Bits(FreshDay(bars)[41]));
  EXPECT_EQ(session.bars().size(), 42u);
}

TEST(IntradayTest, ACorrectionOfAnEarlierBarRecomputesTheDay) {
  std::vector<MinuteBar> bars;
  for (int i = 0; i < 50; ++i) bars.push_back(Bar(i, kCloses[i]));
  IntradaySession session{Params()};
  for (const MinuteBar& bar : bars) session.Apply(bar);
  // Bar 20 corrected after bar 49 exists.
  bars[20] = Bar(20, 30400, 7000);
  const IntradaySession::Applied corrected = session.Apply(bars[20]);
  const std::vector<IntradaySession::Point> expected = FreshDay(bars);
  EXPECT_EQ(Bits(corrected.current), Bits(expected[20]));
  EXPECT_EQ(Bits(*corrected.previous), Bits(expected[19]));
  // The last bar's state was rebuilt too: revising it matches a fresh run.
  bars[49] = Bar(49, 30500);
  const IntradaySession::Applied revised = session.Apply(bars[49]);
  EXPECT_EQ(Bits(revised.current), Bits(FreshDay(bars)[49]));
  EXPECT_EQ(Bits(*revised.previous), Bits(FreshDay(bars)[48]));
  // A late bar for a missing minute is inserted in order.
  IntradaySession gaps{Params()};
  gaps.Apply(Bar(0, 100));
  gaps.Apply(Bar(2, 102));
  gaps.Apply(Bar(1, 101));
  ASSERT_EQ(gaps.bars().size(), 3u);
  EXPECT_EQ(gaps.bars()[1].minute, k0915 + 1);
  EXPECT_EQ(Bits(gaps.Apply(Bar(2, 102)).current),
            Bits(FreshDay({Bar(0, 100), Bar(1, 101), Bar(2, 102)})[2]));
}

TEST(IntradayTest, VolumeProfileAveragesPreviousDaysWithABarAtTheMinute) {
  IntradayParams params;
  params.volume_profile_days = 2;
  SymbolIntraday symbol(params);
  const absl::CivilDay d1(2026, 3, 2);
  // Day 1: 09:15 100 shares, 09:16 200 shares. Nothing to compare with yet.
  auto r = symbol.Apply(d1, Bar(0, 100, 100));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->values.volume_profile.has_value());
  EXPECT_FALSE(r->new_day);
  ASSERT_TRUE(symbol.Apply(d1, Bar(1, 100, 200)).ok());
  // Day 2: only 09:15, 300 shares; its profile is day 1's.
  r = symbol.Apply(d1 + 1, Bar(0, 100, 300));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->new_day);
  EXPECT_THAT(*r->values.volume_profile, DoubleNear(100, 0));
  EXPECT_THAT(*r->values.volume_profile_ratio, DoubleNear(3, 0));
  EXPECT_THAT(*r->values.vwap, DoubleNear(100, 1e-9)) << "a new session";
  // Day 3: 09:15 over days 1 and 2: (100 + 300) / 2; 09:16: day 1 only.
  r = symbol.Apply(d1 + 2, Bar(0, 100, 400));
  EXPECT_THAT(*r->values.volume_profile, DoubleNear(200, 0));
  EXPECT_THAT(*r->values.volume_profile_ratio, DoubleNear(2, 0));
  r = symbol.Apply(d1 + 2, Bar(1, 100, 50));
  EXPECT_THAT(*r->values.volume_profile, DoubleNear(200, 0));
  EXPECT_THAT(*r->values.volume_profile_ratio, DoubleNear(0.25, 0));
  // Day 4: 09:15 keeps only the last 2 days that had it (days 2 and 3);
  // 09:16 still has days 1 and 3 (day 2 had no bar there).
  r = symbol.Apply(d1 + 3, Bar(0, 100, 0));
  EXPECT_THAT(*r->values.volume_profile, DoubleNear(350, 0));
  EXPECT_THAT(*r->values.volume_profile_ratio, DoubleNear(0, 0));
  r = symbol.Apply(d1 + 3, Bar(1, 100, 0));
  EXPECT_THAT(*r->values.volume_profile, DoubleNear(125, 0));
  EXPECT_EQ(symbol.profile().minutes().at(k0915),
            (std::vector<int64_t>{300, 400}));
  // A bar of an earlier day changes nothing.
  EXPECT_THAT(symbol.Apply(d1, Bar(2, 100)).status().message(),
              HasSubstr("after bars of"));
  EXPECT_EQ(symbol.session().bars().size(), 2u);
}

TEST(IntradayTest, MinuteBarsFromTheWire) {
  v1::IntradayBar bar;
  // 2026-03-02 09:15 local = 02:15 UTC.
  *bar.mutable_start_time() = market::ToTimestamp(absl::FromCivil(
      absl::CivilMinute(2026, 3, 2, 2, 15), absl::UTCTimeZone()));
  *bar.mutable_open() = market::MakeDecimal(100);
  *bar.mutable_high() = market::MakeDecimal(102);
  *bar.mutable_low() = market::MakeDecimal(99);
  *bar.mutable_close() = market::MakeDecimal(101);
  bar.set_volume(5);
  absl::StatusOr<MinuteBar> m = MinuteBarFromProto(bar);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->minute, k0915);
  EXPECT_EQ(m->close, 101);
  EXPECT_EQ(TradingDay(bar), absl::CivilDay(2026, 3, 2));
  *bar.mutable_meta()->mutable_trading_date() =
      market::ToDate(absl::CivilDay(2026, 3, 3));
  EXPECT_EQ(TradingDay(bar), absl::CivilDay(2026, 3, 3));
  *bar.mutable_low() = market::MakeDecimal(103);
  EXPECT_THAT(MinuteBarFromProto(bar).status().message(),
              HasSubstr("low <= open"));
  bar.clear_start_time();
  EXPECT_FALSE(MinuteBarFromProto(bar).ok());
}

TEST(IntradayTest, ParamsCarryTheProfileDays) {
  IntradayParams params;
  EXPECT_TRUE(params.Validate().ok());
  EXPECT_EQ(params.ToProto().volume_profile_days(), 20);
  EXPECT_EQ(params.ToProto().rsi_period(), 14);
  params.volume_profile_days = 0;
  EXPECT_FALSE(params.Validate().ok());
}

}  // namespace
}  // namespace vnstream::indicators
