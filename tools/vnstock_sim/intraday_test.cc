#include "tools/vnstock_sim/intraday.h"

#include <algorithm>
#include <optional>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "libs/market/calendar.h"
#include "libs/market/daily_csv.h"
#include "libs/market/exchange.h"

namespace vnstream::sim {
namespace {

constexpr v1::Exchange kHose = v1::EXCHANGE_HOSE;

const market::DailyData& Data() {
  static const market::DailyData* data = [] {
    absl::StatusOr<market::DailyData> d =
        market::LoadDailyCsv("data/vn30/vn30-daily-2016-2019.csv");
    if (!d.ok()) {
      ADD_FAILURE() << d.status();
      return new market::DailyData();
    }
    return new market::DailyData(*std::move(d));
  }();
  return *data;
}

// The rounding rule, restated: nearest tick, then into the band.
int64_t Tradeable(int64_t price, int64_t floor, int64_t ceiling) {
  return std::clamp(market::RoundToTick(kHose, price), floor, ceiling);
}

// Checks every promise of intraday.h for one replayed day; returns the first
// broken one ("" if none). Plain comparisons: this runs on every CSV day.
std::string Violation(const market::SymbolHistory& history, int symbol_index,
                      size_t bar) {
  const market::DailyBar& day = history.bars[bar];
  const std::optional<int64_t> previous =
      bar == 0 ? std::nullopt : std::optional(history.bars[bar - 1].close);
  const DayReplay r =
      BuildDayReplay(history.symbol, symbol_index, day, previous);
  const std::string where =
      absl::StrCat(history.symbol, " ", absl::FormatCivilTime(day.date), ": ");
  auto fail = [&](absl::string_view what, int64_t i = -1) {
    return absl::StrCat(where, what,
                        i >= 0 ? absl::StrCat(" at trade ", i) : "");
  };

  const int64_t reference =
      market::RoundToTick(kHose, previous.value_or(day.open));
  if (r.reference != reference) return fail("reference");
  if (r.ceiling != market::CeilingPrice(kHose, reference))
    return fail("ceiling");
  if (r.floor != market::FloorPrice(kHose, reference)) return fail("floor");
  if (r.open != Tradeable(day.open, r.floor, r.ceiling)) return fail("open");
  if (r.high != Tradeable(day.high, r.floor, r.ceiling)) return fail("high");
  if (r.low != Tradeable(day.low, r.floor, r.ceiling)) return fail("low");
  if (r.close != Tradeable(day.close, r.floor, r.ceiling)) return fail("close");
  // Round lots, half up; a very thin day gets the 1-4 lots its prices need.
  const int64_t lots = (day.volume + 50) / 100;
  if (lots >= 4
          ? r.volume != lots * 100
          : r.volume < std::max<int64_t>(lots, 1) * 100 || r.volume > 400) {
    return fail(absl::StrCat("volume ", r.volume));
  }
  if (r.trades.empty()) return fail("no trades");

  absl::flat_hash_set<int> bar_starts;
  for (absl::CivilMinute m : market::BarMinutes(kHose, day.date)) {
    bar_starts.insert((m.hour() * 60 + m.minute()) * 60);
  }
  int64_t volume = 0, value = 0;
  int64_t high = r.trades[0].price, low = r.trades[0].price;
  const int64_t n = static_cast<int64_t>(r.trades.size());
  for (int64_t i = 0; i < n; ++i) {
    const Trade& t = r.trades[i];
    if (t.price % market::TickSize(kHose, t.price) != 0) return fail("tick", i);
    if (t.price < r.floor || t.price > r.ceiling) return fail("band", i);
    if (t.volume <= 0 || t.volume % 100 != 0) return fail("lot", i);
    if (!bar_starts.contains(t.second_of_day / 60 * 60)) return fail("grid", i);
    const bool auction = i == 0 || i == n - 1;
    if ((t.side == Side::kAuction) != auction) return fail("auction side", i);
    if (i > 0) {
      const Trade& p = r.trades[i - 1];
      if (t.second_of_day < p.second_of_day) return fail("time order", i);
      if (t.id != p.id + 1) return fail("id", i);
      if (!auction && t.price != p.price &&
          t.side != (t.price > p.price ? Side::kBuy : Side::kSell)) {
        return fail("tick rule", i);
      }
      if (t.foreign_buy < p.foreign_buy || t.foreign_sell < p.foreign_sell) {
        return fail("foreign totals", i);
      }
    }
    volume += t.volume;
    value += t.price * t.volume;
    high = std::max(high, t.price);
    low = std::min(low, t.price);
    if (t.total_volume != volume || t.total_value != value || t.high != high ||
        t.low != low || t.foreign_buy > volume || t.foreign_sell > volume) {
      return fail("running totals", i);
    }
  }
  // Open, high, low and close are touched exactly; volumes add up.
  if (r.trades.front().price != r.open) return fail("first trade != open");
  if (r.trades.back().price != r.close) return fail("last trade != close");
  if (high != r.high || low != r.low) return fail("high/low not touched");
  if (volume != r.volume) return fail("volumes do not add up");
  if (r.trades.front().id % 1'000'000'000 / 100'000 != symbol_index) {
    return fail("id symbol");
  }
  // ATO at 09:15:00, ATC at 14:45:00 as a single match.
  if (n > 1 && (r.trades.front().second_of_day != (9 * 60 + 15) * 60 ||
                r.trades.back().second_of_day != (14 * 60 + 45) * 60 ||
                r.trades[n - 2].second_of_day >= (14 * 60 + 30) * 60)) {
    return fail("auction times");
  }
  return "";
}

// Every CSV day would be ~40 million trades (a minute at -O0): this takes
// every 10th day, the last 5 days and every unusual day of every symbol
// (first days, thin volume, prices outside the band of the previous close).
TEST(IntradayTest, CsvDaysReplayWithinTheRules) {
  const market::DailyData& data = Data();
  ASSERT_FALSE(data.symbols.empty());
  int checked = 0, unusual = 0;
  for (size_t s = 0; s < data.symbols.size(); ++s) {
    const std::vector<market::DailyBar>& bars = data.symbols[s].bars;
    for (size_t b = 0; b < bars.size(); ++b) {
      const bool thin = bars[b].volume < 226 * 4 * 100;
      const bool out_of_band =
          b > 0 && (bars[b].high * 100 > bars[b - 1].close * 107 ||
                    bars[b].low * 100 < bars[b - 1].close * 93);
      const bool first = b == 0;
      if (!thin && !out_of_band && !first && b % 10 != 0 &&
          b + 5 < bars.size()) {
        continue;
      }
      unusual += thin || out_of_band;
      ++checked;
      ASSERT_EQ(Violation(data.symbols[s], static_cast<int>(s), b), "");
    }
  }
  EXPECT_GT(checked, 1500);
  EXPECT_GE(unusual, 70);  // The VN30 file has 74 thin or out-of-band days.
}

TEST(IntradayTest, OffTickAndOutOfBandCsvPricesAreRoundedAndClamped) {
  // A split-adjusted day: every CSV price is off-tick.
  market::DailyBar day{absl::CivilDay(2019, 6, 14),
                       0,
                       23'130,
                       23'480,
                       22'960,
                       23'210,
                       1'234'567};
  DayReplay r = BuildDayReplay("AAA", 0, day, 23'110);
  EXPECT_EQ(r.reference, 23'100);
  EXPECT_EQ(r.open, 23'150);
  EXPECT_EQ(r.high, 23'500);
  EXPECT_EQ(r.low, 22'950);
  EXPECT_EQ(r.close, 23'200);
  EXPECT_EQ(r.volume, 1'234'600);
  // A day that the CSV shows 20 % up (a listing-day artefact): the high
  // and close are held at the ceiling.
  market::DailyBar jump{absl::CivilDay(2019, 6, 14),
                        0,
                        100'000,
                        120'000,
                        99'000,
                        120'000,
                        10'000};
  r = BuildDayReplay("AAA", 0, jump, 100'000);
  EXPECT_EQ(r.ceiling, 107'000);
  EXPECT_EQ(r.high, 107'000);
  EXPECT_EQ(r.close, 107'000);
  EXPECT_EQ(r.trades.back().price, 107'000);
  EXPECT_EQ(r.floor, 93'000);
}

TEST(IntradayTest, TinyVolumesStillPrintTheDay) {
  // 300 shares, four distinct prices: four trades need four lots.
  market::DailyBar thin{
      absl::CivilDay(2016, 12, 7), 0, 100'000, 101'000, 99'000, 100'500, 300};
  DayReplay r = BuildDayReplay("AAA", 1, thin, 100'000);
  EXPECT_EQ(r.volume, 400);
  ASSERT_EQ(r.trades.size(), 4u);
  EXPECT_EQ(r.trades.front().price, 100'000);
  EXPECT_EQ(r.trades.back().price, 100'500);
  // A flat day with no volume at all: one 100-share match.
  market::DailyBar flat{
      absl::CivilDay(2018, 5, 18), 0, 114'700, 114'700, 114'700, 114'700, 0};
  r = BuildDayReplay("AAA", 1, flat, std::nullopt);
  EXPECT_EQ(r.reference, 114'700);
  EXPECT_EQ(r.volume, 100);
  ASSERT_EQ(r.trades.size(), 1u);
  EXPECT_EQ(r.trades[0].second_of_day, (9 * 60 + 15) * 60);
}

TEST(IntradayTest, IsDeterministicPerSymbolAndDate) {
  const market::SymbolHistory& h = Data().symbols.at(3);
  const market::DailyBar& day = h.bars.back();
  const int64_t previous = h.bars[h.bars.size() - 2].close;
  const DayReplay a = BuildDayReplay(h.symbol, 3, day, previous);
  const DayReplay b = BuildDayReplay(h.symbol, 3, day, previous);
  ASSERT_EQ(a.trades.size(), b.trades.size());
  for (size_t i = 0; i < a.trades.size(); ++i) {
    ASSERT_EQ(a.trades[i].price, b.trades[i].price);
    ASSERT_EQ(a.trades[i].volume, b.trades[i].volume);
    ASSERT_EQ(a.trades[i].second_of_day, b.trades[i].second_of_day);
    ASSERT_EQ(a.trades[i].foreign_buy, b.trades[i].foreign_buy);
  }
  // Another seed (same prices, another symbol name) gives another path.
  const DayReplay c = BuildDayReplay("ZZZ", 3, day, previous);
  bool differs = c.trades.size() != a.trades.size();
  for (size_t i = 0; !differs && i < a.trades.size(); ++i) {
    differs = a.trades[i].price != c.trades[i].price ||
              a.trades[i].volume != c.trades[i].volume;
  }
  EXPECT_TRUE(differs);
}

TEST(IntradayTest, VolumeProfileIsUShaped) {
  // Across all symbols' last day: the first and last half hours of the
  // continuous session trade more per minute than the middle of the day.
  int64_t edges = 0, middle = 0;
  const market::DailyData& data = Data();
  for (size_t s = 0; s < data.symbols.size(); ++s) {
    const market::SymbolHistory& h = data.symbols[s];
    const DayReplay r =
        BuildDayReplay(h.symbol, static_cast<int>(s), h.bars.back(),
                       h.bars[h.bars.size() - 2].close);
    for (size_t i = 1; i + 1 < r.trades.size(); ++i) {
      const int minute = r.trades[i].second_of_day / 60;
      if ((minute >= 9 * 60 + 16 && minute < 9 * 60 + 46) ||
          (minute >= 14 * 60 && minute < 14 * 60 + 30)) {
        edges += r.trades[i].volume;  // 60 minutes.
      } else if (minute >= 10 * 60 + 30 && minute < 11 * 60 + 30) {
        middle += r.trades[i].volume;  // 60 minutes.
      }
    }
  }
  EXPECT_GT(edges, middle * 3 / 2);
}

}  // namespace
}  // namespace vnstream::sim
