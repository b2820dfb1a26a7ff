#include "tools/vnstock_sim/market.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/market/exchange.h"
#include "libs/market/holidays.h"
#include "tools/vnstock_sim/rng.h"

namespace vnstream::sim {
namespace {

constexpr v1::Exchange kHose = v1::EXCHANGE_HOSE;

// Weekdays in the CSV's range without any row: the exchange's holidays
// then; plus the shipped holidays (2024-2027), so the days the sim serves
// around today close when the real exchange does.
market::TradingCalendar CsvCalendar(const std::vector<absl::CivilDay>& days) {
  absl::flat_hash_set<absl::CivilDay> holidays = market::ShippedHolidayDays();
  const absl::flat_hash_set<absl::CivilDay> trading(days.begin(), days.end());
  const market::TradingCalendar weekdays;
  if (!days.empty()) {
    for (absl::CivilDay d = days.front(); d <= days.back(); ++d) {
      if (weekdays.IsTradingDay(d) && !trading.contains(d)) holidays.insert(d);
    }
  }
  return market::TradingCalendar(std::move(holidays));
}

int64_t SecondsSinceMidnight(const Snapshot& snapshot) {
  return absl::ToInt64Seconds(snapshot.now - LocalMidnight(snapshot.today));
}

// Trades of `replay` matched at or before local second `second_of_day`.
size_t TradesUpTo(const DayReplay& replay, int64_t second_of_day) {
  return static_cast<size_t>(
      std::upper_bound(
          replay.trades.begin(), replay.trades.end(), second_of_day,
          [](int64_t s, const Trade& t) { return s < t.second_of_day; }) -
      replay.trades.begin());
}

int64_t TickUp(int64_t price) { return price + market::TickSize(kHose, price); }
int64_t TickDown(int64_t price) {
  return price - market::TickSize(kHose, price - 1);
}

// Three levels a side around the last match (the reference before it): a
// buyer-initiated last match took the best ask, otherwise the best bid.
// Volumes are deterministic per symbol, day, minute and trade count, so the
// book changes once a virtual minute and with every match.
void FillBook(Quote& quote, int64_t second_of_day, size_t trades) {
  const int64_t anchor = quote.last ? quote.last->price : quote.reference;
  const bool took_ask = quote.last && quote.last->side == Side::kBuy;
  int64_t bid = took_ask ? TickDown(anchor) : anchor;
  int64_t ask = took_ask ? anchor : TickUp(anchor);
  Rng rng(SeedFrom(absl::StrCat(quote.history->symbol, "|",
                                absl::FormatCivilTime(quote.trading_date), "|",
                                second_of_day / 60, "|", trades)));
  auto level = [&](int64_t price) {
    const int64_t lots = rng.UniformInt(1, 800);
    return price >= quote.floor && price <= quote.ceiling
               ? BookLevel{price, lots * 100}
               : BookLevel{};
  };
  for (size_t i = 0; i < quote.bids.size(); ++i) {
    quote.bids[i] = level(bid);
    quote.asks[i] = level(ask);
    bid = TickDown(bid);
    ask = TickUp(ask);
  }
}

absl::Time UtcMidnight(absl::CivilDay day) {
  return absl::FromCivil(absl::CivilSecond(day), absl::UTCTimeZone());
}

}  // namespace

absl::string_view VciSessionName(absl::Duration time_of_day) {
  if (time_of_day >= absl::Hours(24)) return "CLOSED";
  const absl::CivilMinute minute =
      absl::CivilMinute(1970, 1, 1) + absl::ToInt64Minutes(time_of_day);
  switch (market::SessionAtLocalTime(kHose, minute)) {
    case v1::TRADING_SESSION_PRE_OPEN:
      return "STARTED";
    case v1::TRADING_SESSION_ATO:
      return "ATO";
    case v1::TRADING_SESSION_CONTINUOUS:
      return minute.hour() < 12 ? "LO_MORNING" : "LO_AFTERNOON";
    case v1::TRADING_SESSION_LUNCH_BREAK:
      return "LUNCH_BREAK";
    case v1::TRADING_SESSION_ATC:
      return "ATC";
    case v1::TRADING_SESSION_PUT_THROUGH:
      return "ENDED";
    default:
      return "CLOSED";
  }
}

SimMarket::SimMarket(market::DailyData data)
    : data_(std::move(data)),
      calendar_(CsvCalendar(data_.days)),
      indices_(BuildIndices(data_)),
      listed_(new std::atomic<bool>[data_.symbols.size()]) {
  for (size_t i = 0; i < data_.symbols.size(); ++i) listed_[i] = true;
}

absl::CivilDay SimMarket::MappedDay(const Snapshot& snapshot,
                                    int day_index) const {
  absl::CivilDay day = snapshot.today;
  for (int i = snapshot.replay_index; i > day_index; --i) {
    day = calendar_.LatestTradingDay(day - 1);
  }
  return day;
}

namespace {

// Index in data.symbols, or -1.
int FindCsvSymbol(const market::DailyData& data, absl::string_view symbol) {
  auto it = std::lower_bound(data.symbols.begin(), data.symbols.end(), symbol,
                             [](const market::SymbolHistory& h,
                                absl::string_view s) { return h.symbol < s; });
  return it != data.symbols.end() && it->symbol == symbol
             ? static_cast<int>(it - data.symbols.begin())
             : -1;
}

}  // namespace

int SimMarket::FindSymbol(absl::string_view symbol) const {
  const int index = FindCsvSymbol(data_, symbol);
  return index >= 0 && listed_[index] ? index : -1;
}

bool SimMarket::ListedBy(int symbol_index, int day_index) const {
  const market::SymbolHistory& history = data_.symbols[symbol_index];
  return BarsEnd(history, day_index) != history.bars.begin();
}

std::vector<ListingEntry> SimMarket::Listing(const Snapshot& snapshot) const {
  std::vector<ListingEntry> out;
  for (int i = 0; i < static_cast<int>(data_.symbols.size()); ++i) {
    if (!listed_[i] || !ListedBy(i, snapshot.replay_index)) continue;
    out.push_back({.id = i + 1,
                   .symbol = data_.symbols[i].symbol,
                   .type = "STOCK",
                   .exchange = kHose,
                   .name = data_.symbols[i].name});
  }
  for (size_t k = 0; k < indices_.size(); ++k) {
    const SimIndex& index = indices_[k];
    out.push_back({.id = static_cast<int>(data_.symbols.size() + k + 1),
                   .symbol = std::string(index.info->vci_code),
                   .type = "INDEX",
                   .exchange = index.info->exchange,
                   .name = index.name});
  }
  return out;
}

std::vector<std::string> SimMarket::Group(absl::string_view group,
                                          const Snapshot& snapshot) const {
  const bool hose = absl::EqualsIgnoreCase(group, "HOSE");
  const bool vn30 = absl::EqualsIgnoreCase(group, "VN30");
  std::vector<std::string> out;
  if (!hose && !vn30) return out;
  for (int i = 0; i < static_cast<int>(data_.symbols.size()); ++i) {
    if (!listed_[i] || !ListedBy(i, snapshot.replay_index)) continue;
    if (hose || InVn30(data_.symbols[i])) {
      out.push_back(data_.symbols[i].symbol);
    }
  }
  return out;
}

absl::Status SimMarket::SetListed(absl::string_view symbol, bool listed) {
  const int index = FindCsvSymbol(data_, symbol);
  if (index < 0) {
    return absl::NotFoundError(
        absl::StrCat("'", symbol, "' is not a symbol of the CSV"));
  }
  listed_[index] = listed;
  return absl::OkStatus();
}

std::vector<std::string> SimMarket::Delisted() const {
  std::vector<std::string> out;
  for (size_t i = 0; i < data_.symbols.size(); ++i) {
    if (!listed_[i]) out.push_back(data_.symbols[i].symbol);
  }
  return out;
}

std::vector<market::DailyBar>::const_iterator SimMarket::BarsEnd(
    const market::SymbolHistory& history, int day_index) const {
  return std::upper_bound(
      history.bars.begin(), history.bars.end(), day_index,
      [](int d, const market::DailyBar& bar) { return d < bar.day_index; });
}

std::shared_ptr<const DayReplay> SimMarket::Replay(int symbol_index,
                                                   int day_index) {
  const market::SymbolHistory& history = data_.symbols[symbol_index];
  const auto end = BarsEnd(history, day_index);
  if (end == history.bars.begin() || (end - 1)->day_index != day_index) {
    return nullptr;
  }
  absl::MutexLock lock(&mu_);
  if (cached_day_ != day_index) {
    cache_.assign(data_.symbols.size(), nullptr);
    cached_day_ = day_index;
  }
  std::shared_ptr<const DayReplay>& replay = cache_[symbol_index];
  if (replay == nullptr) {
    const std::optional<int64_t> previous_close =
        end - 1 == history.bars.begin() ? std::nullopt
                                        : std::optional((end - 2)->close);
    replay = std::make_shared<const DayReplay>(BuildDayReplay(
        history.symbol, symbol_index, *(end - 1), previous_close));
  }
  return replay;
}

std::optional<Quote> SimMarket::GetQuote(absl::string_view symbol,
                                         const Snapshot& snapshot) {
  const int index = FindSymbol(symbol);
  if (index < 0) return std::nullopt;
  const market::SymbolHistory& history = data_.symbols[index];
  const auto end = BarsEnd(history, snapshot.replay_index);
  if (end == history.bars.begin()) return std::nullopt;

  Quote quote;
  quote.history = &history;
  quote.listing_id = index + 1;
  quote.trading_date = snapshot.today;
  const int64_t second = SecondsSinceMidnight(snapshot);
  quote.session = VciSessionName(absl::Seconds(second));
  size_t trades = 0;
  if (std::shared_ptr<const DayReplay> replay =
          Replay(index, snapshot.replay_index)) {
    quote.reference = replay->reference;
    quote.ceiling = replay->ceiling;
    quote.floor = replay->floor;
    trades = TradesUpTo(*replay, second);
    if (trades > 0) {
      quote.last = replay->trades[trades - 1];
      quote.last_time = LocalMidnight(snapshot.today) +
                        absl::Seconds(quote.last->second_of_day);
    }
  } else {
    // Suspended today: the last close stands as the reference.
    quote.reference = ReferencePrice((end - 1)->close);
    quote.ceiling = market::CeilingPrice(kHose, quote.reference);
    quote.floor = market::FloorPrice(kHose, quote.reference);
  }
  quote.has_book = second >= 9 * 3600;
  if (quote.has_book) FillBook(quote, second, trades);
  return quote;
}

std::optional<TickPage> SimMarket::GetTicks(absl::string_view symbol,
                                            const Snapshot& snapshot,
                                            int64_t limit,
                                            std::optional<absl::Time> before) {
  const int index = FindSymbol(symbol);
  if (index < 0 || BarsEnd(data_.symbols[index], snapshot.replay_index) ==
                       data_.symbols[index].bars.begin()) {
    return std::nullopt;
  }
  TickPage page;
  page.midnight = LocalMidnight(snapshot.today);
  page.replay = Replay(index, snapshot.replay_index);
  if (page.replay == nullptr) return page;
  page.end = TradesUpTo(*page.replay, SecondsSinceMidnight(snapshot));
  if (before.has_value()) {
    // Trades strictly before `before`: at or before the second before it.
    const int64_t last_second =
        absl::ToInt64Seconds(
            absl::Ceil(*before - page.midnight, absl::Seconds(1))) -
        1;
    page.end = std::min(page.end, TradesUpTo(*page.replay, last_second));
  }
  page.begin =
      page.end - std::min<size_t>(page.end, static_cast<size_t>(limit));
  return page;
}

std::optional<BarSeries> SimMarket::GetBars(absl::string_view symbol,
                                            TimeFrame time_frame,
                                            const Snapshot& snapshot,
                                            absl::Time to, int64_t count_back) {
  const int index = FindSymbol(symbol);
  if (index < 0) {
    const market::MarketIndex* info = market::FindIndex(symbol);
    for (const SimIndex& sim_index : indices_) {
      if (sim_index.info == info) {
        return GetIndexBars(sim_index, time_frame, snapshot, to, count_back);
      }
    }
    return std::nullopt;
  }
  const market::SymbolHistory& history = data_.symbols[index];
  auto end = BarsEnd(history, snapshot.replay_index);
  if (end == history.bars.begin()) return std::nullopt;

  BarSeries series;
  series.history = &history;
  std::vector<Bar>& bars = series.bars;
  const std::shared_ptr<const DayReplay> replay =
      Replay(index, snapshot.replay_index);
  const size_t trades =
      replay ? TradesUpTo(*replay, SecondsSinceMidnight(snapshot)) : 0;

  if (time_frame != TimeFrame::kDay) {
    // Today's trades so far, bucketed by bar start.
    const int64_t width = time_frame == TimeFrame::kMinute ? 60 : 3600;
    const absl::Time midnight = LocalMidnight(snapshot.today);
    for (size_t i = 0; i < trades; ++i) {
      const Trade& trade = replay->trades[i];
      const absl::Time start =
          midnight + absl::Seconds(trade.second_of_day / width * width);
      if (start > to) break;
      if (bars.empty() || bars.back().time != start) {
        bars.push_back(
            {start, trade.price, trade.price, trade.price, trade.price, 0});
      }
      Bar& bar = bars.back();
      bar.high = std::max(bar.high, trade.price);
      bar.low = std::min(bar.low, trade.price);
      bar.close = trade.price;
      bar.volume += trade.volume;
    }
    if (static_cast<int64_t>(bars.size()) > count_back) {
      bars.erase(bars.begin(), bars.end() - count_back);
    }
    return series;
  }

  // Daily bars, collected newest first.
  auto keep = [&](const Bar& bar) {
    if (bar.time <= to && static_cast<int64_t>(bars.size()) < count_back) {
      bars.push_back(bar);
    }
  };
  if (trades > 0) {
    const Trade& last = replay->trades[trades - 1];
    keep({UtcMidnight(snapshot.today), replay->trades[0].price, last.high,
          last.low, last.price, last.total_volume});
  }
  if (replay) --end;  // Today's CSV row is served only as the replay.
  absl::CivilDay day = snapshot.today;
  int day_index = snapshot.replay_index;
  for (auto it = end; it != history.bars.begin() &&
                      static_cast<int64_t>(bars.size()) < count_back;) {
    --it;
    for (; day_index > it->day_index; --day_index) {
      day = calendar_.LatestTradingDay(day - 1);
    }
    keep(
        {UtcMidnight(day), it->open, it->high, it->low, it->close, it->volume});
  }
  std::reverse(bars.begin(), bars.end());
  return series;
}

std::shared_ptr<const std::vector<IndexPoint>> SimMarket::Points(
    const SimIndex& index, int day_index) {
  const size_t k = static_cast<size_t>(&index - indices_.data());
  {
    absl::MutexLock lock(&index_mu_);
    if (index_day_ != day_index) {
      points_.assign(indices_.size(), nullptr);
      index_day_ = day_index;
    }
    if (points_[k] != nullptr) return points_[k];
  }
  // Built outside the lock: the replays take their own lock.
  std::vector<std::shared_ptr<const DayReplay>> owned;
  std::vector<const DayReplay*> replays;
  for (int symbol : index.constituents) {
    owned.push_back(Replay(symbol, day_index));
    replays.push_back(owned.back().get());
  }
  const IndexDay* previous = day_index > 0 && index.days[day_index - 1].has_data
                                 ? &index.days[day_index - 1]
                                 : nullptr;
  auto points = std::make_shared<const std::vector<IndexPoint>>(
      IndexPoints(previous != nullptr ? previous->close : index.base, replays));
  absl::MutexLock lock(&index_mu_);
  if (index_day_ == day_index) points_[k] = points;
  return points;
}

std::optional<BarSeries> SimMarket::GetIndexBars(const SimIndex& index,
                                                 TimeFrame time_frame,
                                                 const Snapshot& snapshot,
                                                 absl::Time to,
                                                 int64_t count_back) {
  BarSeries series;
  series.index = &index;
  std::vector<Bar>& bars = series.bars;
  const std::shared_ptr<const std::vector<IndexPoint>> points =
      Points(index, snapshot.replay_index);
  const int64_t now = SecondsSinceMidnight(snapshot);
  const absl::Time midnight = LocalMidnight(snapshot.today);
  // Today's values so far, bucketed by bar start.
  const int64_t width = time_frame == TimeFrame::kMinute ? 60
                        : time_frame == TimeFrame::kHour ? 3600
                                                         : 24 * 3600;
  for (const IndexPoint& point : *points) {
    if (point.second_of_day > now) break;
    const absl::Time start =
        time_frame == TimeFrame::kDay
            ? UtcMidnight(snapshot.today)
            : midnight + absl::Seconds(point.second_of_day / width * width);
    if (start > to) break;
    if (bars.empty() || bars.back().time != start) {
      bars.push_back(
          {start, point.value, point.value, point.value, point.value, 0});
    }
    Bar& bar = bars.back();
    bar.high = std::max(bar.high, point.value);
    bar.low = std::min(bar.low, point.value);
    bar.close = point.value;
    bar.volume += point.volume;
  }
  if (time_frame != TimeFrame::kDay) {
    if (static_cast<int64_t>(bars.size()) > count_back) {
      bars.erase(bars.begin(), bars.end() - count_back);
    }
    return series;
  }
  // Past days, newest first, on the mapped dates.
  std::reverse(bars.begin(), bars.end());
  absl::CivilDay day = snapshot.today;
  for (int d = snapshot.replay_index - 1;
       d >= 0 && static_cast<int64_t>(bars.size()) < count_back; --d) {
    day = calendar_.LatestTradingDay(day - 1);
    const IndexDay& past = index.days[d];
    if (!past.has_data || UtcMidnight(day) > to) continue;
    bars.push_back({UtcMidnight(day), past.open, past.high, past.low,
                    past.close, past.volume});
  }
  if (static_cast<int64_t>(bars.size()) > count_back) bars.resize(count_back);
  std::reverse(bars.begin(), bars.end());
  return series;
}

}  // namespace vnstream::sim
