#include "tools/vnstock_sim/market.h"

#include <algorithm>
#include <map>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "libs/market/daily_csv.h"
#include "libs/market/exchange.h"

namespace vnstream::sim {
namespace {

constexpr v1::Exchange kHose = v1::EXCHANGE_HOSE;
constexpr absl::CivilDay kLastDay(2019, 6, 14);

absl::Duration At(int hour, int minute, int second = 0) {
  return absl::Hours(hour) + absl::Minutes(minute) + absl::Seconds(second);
}

absl::Time UtcMidnight(absl::CivilDay day) {
  return absl::FromCivil(absl::CivilSecond(day), absl::UTCTimeZone());
}

class MarketTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<market::DailyData> data =
        market::LoadDailyCsv("data/vn30/vn30-daily-2016-2019.csv");
    ASSERT_TRUE(data.ok()) << data.status();
    market_ = new SimMarket(*std::move(data));
  }
  static void TearDownTestSuite() { delete market_; }

  static int LastIndex() {
    return static_cast<int>(market_->data().days.size()) - 1;
  }
  static const market::SymbolHistory& History(absl::string_view symbol) {
    for (const market::SymbolHistory& h : market_->data().symbols) {
      if (h.symbol == symbol) return h;
    }
    ADD_FAILURE() << symbol;
    return market_->data().symbols.front();
  }
  // The last trading day as the sim's today, at `time_of_day`.
  static Snapshot LastDayAt(absl::Duration time_of_day) {
    return MakeSnapshot(kLastDay, LastIndex(), time_of_day);
  }

  static SimMarket* market_;
};

SimMarket* MarketTest::market_ = nullptr;

TEST_F(MarketTest, DatesAreTheCsvsOwnWhenTodayIsTheReplayDate) {
  const Snapshot s = LastDayAt(At(10, 0));
  const std::vector<absl::CivilDay>& days = market_->data().days;
  for (int i = 0; i <= LastIndex(); ++i) {
    ASSERT_EQ(market_->MappedDay(s, i), days[i]) << i;
  }
  // The same for an earlier replay date.
  const int index = 500;
  const Snapshot earlier = MakeSnapshot(days[index], index, At(10, 0));
  for (int i = 0; i <= index; ++i) {
    ASSERT_EQ(market_->MappedDay(earlier, i), days[i]) << i;
  }
  // Weekdays the CSV skips are its holidays (Tet 2016, 8-12 Feb).
  EXPECT_FALSE(market_->calendar().IsTradingDay(absl::CivilDay(2016, 2, 8)));
  EXPECT_TRUE(market_->calendar().IsTradingDay(absl::CivilDay(2016, 2, 15)));
  // Today's exchange holidays come from data/calendar (Tet 2026).
  EXPECT_FALSE(market_->calendar().IsTradingDay(absl::CivilDay(2026, 2, 17)));
  EXPECT_TRUE(market_->calendar().IsTradingDay(absl::CivilDay(2026, 2, 23)));
  EXPECT_TRUE(market_->calendar().IsTradingDay(absl::CivilDay(2025, 11, 20)));
}

TEST_F(MarketTest, DatesMapOntoWeekdaysEndingToday) {
  const absl::CivilDay today(2025, 11, 24);  // A Monday.
  const Snapshot s = MakeSnapshot(today, LastIndex(), At(10, 0));
  EXPECT_EQ(market_->MappedDay(s, LastIndex()), today);
  EXPECT_EQ(market_->MappedDay(s, LastIndex() - 1),
            absl::CivilDay(2025, 11, 21));
  EXPECT_EQ(market_->MappedDay(s, LastIndex() - 5),
            absl::CivilDay(2025, 11, 17));
  absl::CivilDay later = today + 1;
  for (int i = LastIndex(); i >= 0; --i) {
    const absl::CivilDay day = market_->MappedDay(s, i);
    ASSERT_LT(day, later);  // One-to-one, in order.
    const absl::Weekday w = absl::GetWeekday(day);
    ASSERT_NE(w, absl::Weekday::saturday);
    ASSERT_NE(w, absl::Weekday::sunday);
    // Consecutive CSV days are consecutive weekdays (no CSV holidays so
    // long after the CSV).
    if (i < LastIndex()) {
      ASSERT_EQ(market_->calendar().NextTradingDay(day), later);
    }
    later = day;
  }
}

TEST_F(MarketTest, PastDailyBarsAreTheCsvVerbatim) {
  const Snapshot s = LastDayAt(At(15, 5));
  for (const market::SymbolHistory& h : market_->data().symbols) {
    std::optional<BarSeries> series = market_->GetBars(
        h.symbol, TimeFrame::kDay, s, UtcMidnight(kLastDay), 100'000);
    ASSERT_TRUE(series.has_value()) << h.symbol;
    ASSERT_EQ(series->bars.size(), h.bars.size()) << h.symbol;
    for (size_t i = 0; i + 1 < h.bars.size(); ++i) {
      const Bar& bar = series->bars[i];
      const market::DailyBar& csv = h.bars[i];
      ASSERT_EQ(bar.time, UtcMidnight(csv.date)) << h.symbol;
      ASSERT_EQ(bar.open, csv.open);
      ASSERT_EQ(bar.high, csv.high);
      ASSERT_EQ(bar.low, csv.low);
      ASSERT_EQ(bar.close, csv.close);
      ASSERT_EQ(bar.volume, csv.volume);
    }
    // Today: the replay's rounded values, complete after the close.
    std::shared_ptr<const DayReplay> replay = market_->Replay(
        static_cast<int>(&h - market_->data().symbols.data()), LastIndex());
    ASSERT_NE(replay, nullptr);
    const Bar& today = series->bars.back();
    EXPECT_EQ(today.time, UtcMidnight(kLastDay));
    EXPECT_EQ(today.open, replay->open);
    EXPECT_EQ(today.high, replay->high);
    EXPECT_EQ(today.low, replay->low);
    EXPECT_EQ(today.close, replay->close);
    EXPECT_EQ(today.volume, replay->volume);
  }
}

TEST_F(MarketTest, GapChartTakesTheLastCountBackBarsUpToTo) {
  const Snapshot s = LastDayAt(At(15, 5));
  std::optional<BarSeries> series = market_->GetBars(
      "CTD", TimeFrame::kDay, s,
      UtcMidnight(absl::CivilDay(2019, 6, 12)) + absl::Hours(3), 3);
  ASSERT_TRUE(series.has_value());
  ASSERT_EQ(series->bars.size(), 3u);
  EXPECT_EQ(series->bars[0].time, UtcMidnight(absl::CivilDay(2019, 6, 10)));
  EXPECT_EQ(series->bars[2].time, UtcMidnight(absl::CivilDay(2019, 6, 12)));
  EXPECT_EQ(series->bars[2].close, 105'900);  // The CSV's 2019-06-12 close.
  // Before the first bar: nothing.
  series = market_->GetBars("CTD", TimeFrame::kDay, s,
                            UtcMidnight(absl::CivilDay(2015, 1, 1)), 3);
  ASSERT_TRUE(series.has_value());
  EXPECT_TRUE(series->bars.empty());
  // Mapped onto another today, the same bars carry the mapped dates.
  const Snapshot later =
      MakeSnapshot(absl::CivilDay(2025, 11, 24), LastIndex(), At(15, 5));
  series = market_->GetBars("CTD", TimeFrame::kDay, later,
                            UtcMidnight(absl::CivilDay(2025, 11, 25)), 2);
  ASSERT_EQ(series->bars.size(), 2u);
  EXPECT_EQ(series->bars[0].time, UtcMidnight(absl::CivilDay(2025, 11, 21)));
  EXPECT_EQ(series->bars[0].close, 104'300);  // CSV 2019-06-13.
  EXPECT_EQ(series->bars[1].time, UtcMidnight(absl::CivilDay(2025, 11, 24)));
}

TEST_F(MarketTest, UnknownAndUnlistedSymbolsAreAbsent) {
  const Snapshot s = LastDayAt(At(10, 30));
  EXPECT_FALSE(market_->GetQuote("XXX", s).has_value());
  EXPECT_FALSE(market_->GetTicks("XXX", s, 10, std::nullopt).has_value());
  EXPECT_FALSE(
      market_->GetBars("XXX", TimeFrame::kDay, s, s.now, 10).has_value());
  // TCB's first row is 2018-06-05: replaying 2017 it does not exist.
  const std::vector<absl::CivilDay>& days = market_->data().days;
  const int index = static_cast<int>(
      std::lower_bound(days.begin(), days.end(), absl::CivilDay(2017, 6, 1)) -
      days.begin());
  const Snapshot early = MakeSnapshot(days[index], index, At(10, 30));
  EXPECT_FALSE(market_->GetQuote("TCB", early).has_value());
  EXPECT_TRUE(market_->GetQuote("FPT", early).has_value());
}

TEST_F(MarketTest, ASuspendedSymbolQuotesItsLastCloseWithoutTrades) {
  // VHM has no row on 2018-05-21 (its last close before: 114,700).
  const std::vector<absl::CivilDay>& days = market_->data().days;
  const int index = static_cast<int>(
      std::lower_bound(days.begin(), days.end(), absl::CivilDay(2018, 5, 21)) -
      days.begin());
  const Snapshot s = MakeSnapshot(days[index], index, At(14, 0));
  std::optional<Quote> quote = market_->GetQuote("VHM", s);
  ASSERT_TRUE(quote.has_value());
  EXPECT_EQ(quote->reference, 114'700);
  EXPECT_EQ(quote->ceiling, market::CeilingPrice(kHose, 114'700));
  EXPECT_FALSE(quote->last.has_value());
  std::optional<TickPage> ticks =
      market_->GetTicks("VHM", s, 100, std::nullopt);
  ASSERT_TRUE(ticks.has_value());
  EXPECT_EQ(ticks->end - ticks->begin, 0u);
}

// Minute bars, hour bars, today's daily bar, the ticks and the price board
// all describe the same trades, at several times of the day.
TEST_F(MarketTest, PriceBoardBarsAndTicksAgreeThroughTheDay) {
  const struct {
    absl::Duration time;
    absl::string_view session;
  } times[] = {
      {At(8, 30), "STARTED"},     {At(9, 5), "ATO"},
      {At(9, 15), "LO_MORNING"},  {At(10, 30, 30), "LO_MORNING"},
      {At(12, 0), "LUNCH_BREAK"}, {At(13, 45), "LO_AFTERNOON"},
      {At(14, 40), "ATC"},        {At(14, 50), "ENDED"},
      {At(15, 5), "CLOSED"},
  };
  for (const market::SymbolHistory& h : market_->data().symbols) {
    const int index = static_cast<int>(&h - market_->data().symbols.data());
    std::shared_ptr<const DayReplay> replay =
        market_->Replay(index, LastIndex());
    ASSERT_NE(replay, nullptr);
    for (const auto& [time, session] : times) {
      SCOPED_TRACE(h.symbol + " " + absl::FormatDuration(time));
      const Snapshot s = LastDayAt(time);
      std::optional<Quote> quote = market_->GetQuote(h.symbol, s);
      ASSERT_TRUE(quote.has_value());
      EXPECT_EQ(quote->session, session);
      EXPECT_EQ(quote->trading_date, kLastDay);
      EXPECT_EQ(quote->reference,
                market::RoundToTick(kHose, h.bars[h.bars.size() - 2].close));
      EXPECT_EQ(quote->ceiling, replay->ceiling);
      EXPECT_EQ(quote->floor, replay->floor);

      std::optional<BarSeries> minutes =
          market_->GetBars(h.symbol, TimeFrame::kMinute, s, s.now, 100'000);
      std::optional<BarSeries> hours =
          market_->GetBars(h.symbol, TimeFrame::kHour, s, s.now, 100'000);
      std::optional<BarSeries> daily = market_->GetBars(
          h.symbol, TimeFrame::kDay, s, UtcMidnight(kLastDay), 1);
      std::optional<TickPage> ticks =
          market_->GetTicks(h.symbol, s, 30'000, std::nullopt);
      ASSERT_TRUE(minutes && hours && daily && ticks);

      if (time < At(9, 15)) {
        EXPECT_FALSE(quote->last.has_value());
        EXPECT_TRUE(minutes->bars.empty());
        EXPECT_TRUE(hours->bars.empty());
        EXPECT_EQ(ticks->end, 0u);
        // No bar for today yet: the newest daily bar is yesterday's.
        EXPECT_EQ(daily->bars.at(0).time,
                  UtcMidnight(absl::CivilDay(2019, 6, 13)));
        EXPECT_EQ(quote->has_book, time >= At(9, 0));
        continue;
      }
      ASSERT_TRUE(quote->last.has_value());
      ASSERT_FALSE(minutes->bars.empty());
      int64_t volume = 0, high = 0, low = INT64_MAX;
      for (const Bar& bar : minutes->bars) {
        EXPECT_LE(bar.time, s.now);
        EXPECT_LE(bar.low, std::min(bar.open, bar.close));
        EXPECT_GE(bar.high, std::max(bar.open, bar.close));
        volume += bar.volume;
        high = std::max(high, bar.high);
        low = std::min(low, bar.low);
      }
      const Bar& last_minute = minutes->bars.back();
      EXPECT_EQ(quote->last->price, last_minute.close);
      EXPECT_EQ(quote->last->total_volume, volume);
      EXPECT_EQ(quote->last->high, high);
      EXPECT_EQ(quote->last->low, low);
      EXPECT_LE(quote->last_time, s.now);
      EXPECT_GE(quote->last_time, last_minute.time);

      int64_t hour_volume = 0;
      for (const Bar& bar : hours->bars) hour_volume += bar.volume;
      EXPECT_EQ(hour_volume, volume);
      EXPECT_EQ(hours->bars.front().open, minutes->bars.front().open);
      EXPECT_EQ(hours->bars.back().close, last_minute.close);

      const Bar& today = daily->bars.at(0);
      EXPECT_EQ(today.time, UtcMidnight(kLastDay));
      EXPECT_EQ(today.open, replay->open);
      EXPECT_EQ(today.close, quote->last->price);
      EXPECT_EQ(today.high, high);
      EXPECT_EQ(today.low, low);
      EXPECT_EQ(today.volume, volume);

      ASSERT_GT(ticks->end, 0u);
      EXPECT_EQ(ticks->begin, 0u);
      EXPECT_EQ(ticks->replay->trades[ticks->end - 1].id, quote->last->id);

      // The book: three levels a side on ticks inside the band, best bid
      // below best ask, one of them at the last price.
      ASSERT_TRUE(quote->has_book);
      if (quote->bids[0].price != 0 && quote->asks[0].price != 0) {
        EXPECT_LT(quote->bids[0].price, quote->asks[0].price);
      }
      EXPECT_TRUE(quote->bids[0].price == quote->last->price ||
                  quote->asks[0].price == quote->last->price);
      for (const auto* side : {&quote->bids, &quote->asks}) {
        for (const BookLevel& level : *side) {
          if (level.price == 0) {
            EXPECT_EQ(level.volume, 0);
            continue;
          }
          EXPECT_EQ(level.price % market::TickSize(kHose, level.price), 0);
          EXPECT_GE(level.price, quote->floor);
          EXPECT_LE(level.price, quote->ceiling);
          EXPECT_GT(level.volume, 0);
          EXPECT_EQ(level.volume % 100, 0);
        }
      }
      if (quote->bids[1].price != 0) {
        EXPECT_GT(quote->bids[0].price, quote->bids[1].price);
      }
      if (quote->asks[1].price != 0) {
        EXPECT_LT(quote->asks[0].price, quote->asks[1].price);
      }
    }
    // After the close, the day's full replay.
    std::optional<Quote> closed =
        market_->GetQuote(h.symbol, LastDayAt(At(15, 5)));
    EXPECT_EQ(closed->last->price, replay->close);
    EXPECT_EQ(closed->last->total_volume, replay->volume);
  }
}

TEST_F(MarketTest, MinuteBarsFollowTheVciGrid) {
  const Snapshot s = LastDayAt(At(15, 5));
  std::optional<BarSeries> minutes =
      market_->GetBars("FPT", TimeFrame::kMinute, s, s.now, 100'000);
  ASSERT_TRUE(minutes.has_value());
  ASSERT_FALSE(minutes->bars.empty());
  const absl::Time midnight = LocalMidnight(kLastDay);
  EXPECT_EQ(minutes->bars.front().time, midnight + At(9, 15));
  EXPECT_EQ(minutes->bars.back().time, midnight + At(14, 45));
  for (const Bar& bar : minutes->bars) {
    const absl::Duration t = bar.time - midnight;
    EXPECT_TRUE((t >= At(9, 15) && t < At(11, 30)) ||
                (t >= At(13, 0) && t < At(14, 30)) || t == At(14, 45))
        << absl::FormatDuration(t);
  }
  // countBack / to on minutes: the 3 bars up to 10:00.
  std::optional<BarSeries> three =
      market_->GetBars("FPT", TimeFrame::kMinute, s, midnight + At(10, 0), 3);
  ASSERT_TRUE(three.has_value());
  ASSERT_EQ(three->bars.size(), 3u);
  EXPECT_EQ(three->bars.back().time, midnight + At(10, 0));
  // In progress: at 10:30:30 the 10:30 bar holds only the first 30 s.
  const Snapshot mid = LastDayAt(At(10, 30, 30));
  std::optional<BarSeries> partial =
      market_->GetBars("FPT", TimeFrame::kMinute, mid, mid.now, 1);
  std::optional<TickPage> ticks =
      market_->GetTicks("FPT", mid, 30'000, std::nullopt);
  ASSERT_TRUE(partial.has_value() && ticks.has_value());
  const Trade& last = ticks->replay->trades[ticks->end - 1];
  EXPECT_LE(last.second_of_day, absl::ToInt64Seconds(At(10, 30, 30)));
  if (last.second_of_day >= absl::ToInt64Seconds(At(10, 30))) {
    EXPECT_EQ(partial->bars.at(0).time, midnight + At(10, 30));
    EXPECT_EQ(partial->bars.at(0).close, last.price);
  }
}

TEST_F(MarketTest, TicksPageNewestFirstBeforeTruncTime) {
  const Snapshot s = LastDayAt(At(15, 5));
  std::optional<TickPage> all =
      market_->GetTicks("VIC", s, 30'000, std::nullopt);
  ASSERT_TRUE(all.has_value());
  const std::vector<Trade>& trades = all->replay->trades;
  ASSERT_EQ(all->end, trades.size());
  std::optional<TickPage> page = market_->GetTicks("VIC", s, 100, std::nullopt);
  ASSERT_EQ(page->end, trades.size());
  ASSERT_EQ(page->end - page->begin, 100u);
  // The next page: strictly before the oldest trade's second.
  const absl::Time cursor =
      page->midnight + absl::Seconds(trades[page->begin].second_of_day);
  std::optional<TickPage> next = market_->GetTicks("VIC", s, 100, cursor);
  ASSERT_GT(next->end, 0u);
  EXPECT_LT(trades[next->end - 1].second_of_day,
            trades[page->begin].second_of_day);
  EXPECT_EQ(next->end - next->begin, 100u);
  // A cursor before the open: nothing.
  next = market_->GetTicks("VIC", s, 100, page->midnight + At(9, 0));
  EXPECT_EQ(next->end, 0u);
}

TEST_F(MarketTest, RepliesAreDeterministic) {
  absl::StatusOr<market::DailyData> data =
      market::LoadDailyCsv("data/vn30/vn30-daily-2016-2019.csv");
  ASSERT_TRUE(data.ok());
  SimMarket other(*std::move(data));
  for (absl::Duration t : {At(9, 30), At(11, 0), At(14, 10)}) {
    const Snapshot s = LastDayAt(t);
    std::optional<Quote> a = market_->GetQuote("MWG", s);
    std::optional<Quote> b = other.GetQuote("MWG", s);
    ASSERT_TRUE(a && b && a->last && b->last);
    EXPECT_EQ(a->last->id, b->last->id);
    EXPECT_EQ(a->last->price, b->last->price);
    EXPECT_EQ(a->last->total_value, b->last->total_value);
    EXPECT_EQ(a->last->foreign_buy, b->last->foreign_buy);
    for (size_t i = 0; i < 3; ++i) {
      EXPECT_EQ(a->bids[i].volume, b->bids[i].volume);
      EXPECT_EQ(a->asks[i].price, b->asks[i].price);
    }
  }
}

TEST_F(MarketTest, ListingGroupsAndDelisting) {
  const Snapshot s = LastDayAt(At(10, 30));
  std::vector<ListingEntry> listing = market_->Listing(s);
  ASSERT_EQ(listing.size(), 22u + 5u);
  EXPECT_EQ(listing[0].symbol, "CTD");
  EXPECT_EQ(listing[0].type, "STOCK");
  EXPECT_EQ(listing[0].exchange, kHose);
  EXPECT_EQ(listing[0].name, "Cotec Construction JSC");
  EXPECT_EQ(listing[22].symbol, "VNINDEX");
  EXPECT_EQ(listing[22].type, "INDEX");
  EXPECT_EQ(listing[26].symbol, "HNXUpcomIndex");
  EXPECT_EQ(listing[26].exchange, v1::EXCHANGE_UPCOM);
  EXPECT_EQ(listing[26].name, "UPCoM-Index (simulated)");
  // Every CSV row says VN30.
  EXPECT_EQ(market_->Group("VN30", s).size(), 22u);
  EXPECT_EQ(market_->Group("hose", s).size(), 22u);
  EXPECT_TRUE(market_->Group("HNX30", s).empty());
  // Not yet listed in 2017: TCB.
  const std::vector<absl::CivilDay>& days = market_->data().days;
  const int index = static_cast<int>(
      std::lower_bound(days.begin(), days.end(), absl::CivilDay(2017, 6, 1)) -
      days.begin());
  const Snapshot early = MakeSnapshot(days[index], index, At(10, 30));
  for (const ListingEntry& e : market_->Listing(early)) {
    EXPECT_NE(e.symbol, "TCB");
  }

  ASSERT_TRUE(market_->SetListed("FPT", false).ok());
  EXPECT_EQ(market_->Delisted(), std::vector<std::string>{"FPT"});
  EXPECT_EQ(market_->Listing(s).size(), 21u + 5u);
  EXPECT_EQ(market_->Group("VN30", s).size(), 21u);
  EXPECT_FALSE(market_->GetQuote("FPT", s).has_value());
  EXPECT_FALSE(market_->GetTicks("FPT", s, 10, std::nullopt).has_value());
  EXPECT_FALSE(
      market_->GetBars("FPT", TimeFrame::kDay, s, s.now, 10).has_value());
  ASSERT_TRUE(market_->SetListed("FPT", true).ok());
  EXPECT_TRUE(market_->GetQuote("FPT", s).has_value());
  EXPECT_TRUE(market_->Delisted().empty());
  EXPECT_EQ(market_->SetListed("XXX", false).code(),
            absl::StatusCode::kNotFound);
}

// The daily values chain the constituents' prices (indices.h), recomputed
// here from the CSV independently.
TEST_F(MarketTest, IndexDaysChainTheCsvPrices) {
  const market::DailyData& data = market_->data();
  const Snapshot s = LastDayAt(At(15, 30));
  std::optional<BarSeries> series =
      market_->GetBars("HNXUPCOMINDEX", TimeFrame::kDay, s, s.now, 100000);
  ASSERT_TRUE(series.has_value());
  ASSERT_NE(series->index, nullptr);
  EXPECT_EQ(series->index->info->symbol, "UPCOMINDEX");
  ASSERT_EQ(series->bars.size(), data.days.size());
  // symbol -> close by day index.
  std::vector<std::map<int, const market::DailyBar*>> rows(data.symbols.size());
  for (size_t i = 0; i < data.symbols.size(); ++i) {
    for (const market::DailyBar& bar : data.symbols[i].bars) {
      rows[i][bar.day_index] = &bar;
    }
  }
  EXPECT_EQ(series->bars[0].close, 80'00) << "the base value";
  // Every past day: close = previous close * sum(close) / sum(previous
  // close) over the symbols with a row on both days (and on the days
  // between, none is missing here: the last row before counts).
  for (int d = 1; d + 1 < static_cast<int>(data.days.size()); ++d) {
    __int128 numerator = 0;
    __int128 denominator = 0;
    for (size_t i = 0; i < data.symbols.size(); ++i) {
      auto today = rows[i].find(d);
      if (today == rows[i].end() || today == rows[i].begin()) continue;
      numerator += today->second->close;
      denominator += std::prev(today)->second->close;
    }
    const Bar& bar = series->bars[d];
    const __int128 exact = series->bars[d - 1].close * numerator;
    ASSERT_EQ(bar.close, static_cast<int64_t>((2 * exact + denominator) /
                                              (2 * denominator)))
        << data.days[d];
    ASSERT_LE(bar.low, std::min(bar.open, bar.close)) << data.days[d];
    ASSERT_GE(bar.high, std::max(bar.open, bar.close)) << data.days[d];
    ASSERT_EQ(bar.time, UtcMidnight(data.days[d]));
  }
}

// Today's index values follow the constituents' last trades: at any time,
// previous close * sum(last price) / sum(reference).
TEST_F(MarketTest, IndexIntradayFollowsTheConstituentsQuotes) {
  const market::DailyData& data = market_->data();
  for (absl::Duration t : {At(9, 10), At(10, 30, 30), At(14, 50)}) {
    const Snapshot s = LastDayAt(t);
    std::optional<BarSeries> daily =
        market_->GetBars("VNINDEX", TimeFrame::kDay, s, s.now, 2);
    std::optional<BarSeries> minutes =
        market_->GetBars("VNINDEX", TimeFrame::kMinute, s, s.now, 1000);
    std::optional<BarSeries> hours =
        market_->GetBars("VNINDEX", TimeFrame::kHour, s, s.now, 1000);
    ASSERT_TRUE(daily && minutes && hours);
    const int64_t previous = daily->index->days[LastIndex() - 1].close;
    __int128 last_sum = 0;
    __int128 reference_sum = 0;
    int64_t volume = 0;
    for (const market::SymbolHistory& h : data.symbols) {
      std::optional<Quote> q = market_->GetQuote(h.symbol, s);
      ASSERT_TRUE(q.has_value()) << h.symbol;
      reference_sum += q->reference;
      last_sum += q->last ? q->last->price : q->reference;
      volume += q->last ? q->last->total_volume : 0;
    }
    if (t == At(9, 10)) {  // Before the ATO match: no values today.
      EXPECT_TRUE(minutes->bars.empty());
      ASSERT_EQ(daily->bars.size(), 2u);
      EXPECT_EQ(daily->bars.back().close, previous)
          << "yesterday is the newest bar";
      continue;
    }
    const int64_t expected = static_cast<int64_t>(
        (2 * previous * last_sum + reference_sum) / (2 * reference_sum));
    ASSERT_FALSE(minutes->bars.empty());
    const Bar& today = daily->bars.back();
    EXPECT_EQ(today.time, UtcMidnight(kLastDay));
    EXPECT_EQ(today.close, expected);
    EXPECT_EQ(minutes->bars.back().close, expected);
    EXPECT_EQ(hours->bars.back().close, expected);
    EXPECT_EQ(today.volume, volume);
    int64_t minute_volume = 0;
    int64_t high = 0;
    int64_t low = INT64_MAX;
    for (const Bar& bar : minutes->bars) {
      minute_volume += bar.volume;
      high = std::max(high, bar.high);
      low = std::min(low, bar.low);
      EXPECT_LE(bar.low, std::min(bar.open, bar.close));
      EXPECT_GE(bar.high, std::max(bar.open, bar.close));
    }
    EXPECT_EQ(minute_volume, volume);
    EXPECT_EQ(high, today.high);
    EXPECT_EQ(low, today.low);
    EXPECT_EQ(minutes->bars.front().open, today.open);
    // The first minute bar is the 09:15 ATO.
    EXPECT_EQ(minutes->bars.front().time, LocalMidnight(kLastDay) + At(9, 15));
  }
}

}  // namespace
}  // namespace vnstream::sim
