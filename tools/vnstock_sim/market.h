// The simulated market: the CSV history mapped onto the sim's calendar, the
// replayed day's trades, and what the three VCI endpoints report at a
// Snapshot (price board, ticks, OHLCV bars). Independent of HTTP and JSON.
//
// Dates: the CSV's trading days are mapped one-to-one and in order onto the
// trading days ending at Snapshot::today (the replayed CSV day is today).
// Trading days are weekdays; a weekday inside the CSV's date range that has
// no row at all is an exchange holiday (Tet and the like), so with today ==
// the replayed date every date is the CSV's own.
#ifndef VNSTREAM_TOOLS_VNSTOCK_SIM_MARKET_H_
#define VNSTREAM_TOOLS_VNSTOCK_SIM_MARKET_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "libs/market/calendar.h"
#include "libs/market/daily_csv.h"
#include "tools/vnstock_sim/indices.h"
#include "tools/vnstock_sim/intraday.h"
#include "tools/vnstock_sim/session_clock.h"

namespace vnstream::sim {

enum class TimeFrame { kMinute, kHour, kDay };

// One order-book level; price 0 and volume 0 when the level would be
// outside [floor, ceiling] (as VCI reports it at the band's edge).
struct BookLevel {
  int64_t price = 0;   // VND.
  int64_t volume = 0;  // Shares.
};

// The price-board state of one symbol at a Snapshot.
struct Quote {
  const market::SymbolHistory* history = nullptr;  // Symbol and name.
  int listing_id = 0;                              // 1-based symbol index.
  absl::CivilDay trading_date;
  int64_t reference = 0;  // VND.
  int64_t ceiling = 0;    // VND.
  int64_t floor = 0;      // VND.
  // The last match so far (with the running totals); unset before the
  // first match or when the symbol does not trade today.
  std::optional<Trade> last;
  absl::Time last_time;  // When `last` matched.
  // VCI's session name: STARTED (before 09:00), ATO, LO_MORNING,
  // LUNCH_BREAK, LO_AFTERNOON, ATC, ENDED (14:45-15:00), CLOSED.
  absl::string_view session;
  // False before 09:00 (VCI sends "bidAsk": null).
  bool has_book = false;
  std::array<BookLevel, 3> bids;  // Best first.
  std::array<BookLevel, 3> asks;  // Best first.
};

// Trades of one symbol, served newest first: replay->trades[begin, end).
struct TickPage {
  std::shared_ptr<const DayReplay> replay;  // Null when there are none.
  size_t begin = 0;
  size_t end = 0;
  absl::Time midnight;  // Local midnight of the day: add second_of_day.
};

struct Bar {
  absl::Time time;     // Bar start (daily bars: 00:00 UTC of the date).
  int64_t open = 0;    // VND.
  int64_t high = 0;    // VND.
  int64_t low = 0;     // VND.
  int64_t close = 0;   // VND.
  int64_t volume = 0;  // Shares.
};

struct BarSeries {
  // The stock's history, or null for an index.
  const market::SymbolHistory* history = nullptr;
  // The index, or null for a stock; its bars are in hundredths of a point.
  const SimIndex* index = nullptr;
  std::vector<Bar> bars;  // Oldest first.
};

// One entry of the listing (getAll).
struct ListingEntry {
  int id = 0;
  std::string symbol;      // As VCI spells it (an index: its VCI code).
  absl::string_view type;  // "STOCK" or "INDEX".
  v1::Exchange exchange = v1::EXCHANGE_HOSE;
  std::string name;
};

// VCI's session name at local `time_of_day` on a trading day.
absl::string_view VciSessionName(absl::Duration time_of_day);

// Thread-safe.
class SimMarket {
 public:
  explicit SimMarket(market::DailyData data);

  const market::DailyData& data() const { return data_; }
  const std::vector<SimIndex>& indices() const { return indices_; }
  // Weekdays minus the CSV's holidays (see the file comment).
  const market::TradingCalendar& calendar() const { return calendar_; }

  // The calendar day on which CSV day `day_index` (<= the replay index) is
  // served.
  absl::CivilDay MappedDay(const Snapshot& snapshot, int day_index) const;

  // The listing: every CSV symbol listed (not delisted with SetListed) that
  // has a row by the replayed day, as a HOSE stock, then the simulated
  // indices (the real getAll has no indices; the sim lists them so that
  // their names say "(simulated)").
  std::vector<ListingEntry> Listing(const Snapshot& snapshot) const;

  // The members of VCI group `group` (any case): "HOSE" every listed
  // symbol of Listing(), "VN30" those the CSV marks VN30 (its `index`
  // column); every other group is empty (the sim has no HNX or UPCOM
  // stocks and no other groups).
  std::vector<std::string> Group(absl::string_view group,
                                 const Snapshot& snapshot) const;

  // Lists or delists a CSV symbol from now on (the control API): a
  // delisted symbol is absent from every route, as an unknown one.
  // NotFound for a symbol that is not in the CSV.
  absl::Status SetListed(absl::string_view symbol, bool listed);
  // The delisted CSV symbols, sorted.
  std::vector<std::string> Delisted() const;

  // The functions below return nullopt for a symbol that is unknown,
  // delisted, or not yet listed on the replayed day (VCI omits unknown
  // symbols). `symbol` is upper-case. GetBars also serves the indices, by
  // symbol or VCI code (upper-cased: "HNXUPCOMINDEX").

  std::optional<Quote> GetQuote(absl::string_view symbol,
                                const Snapshot& snapshot);

  // The newest `limit` trades matched by snapshot.now and strictly before
  // `before` (when given).
  std::optional<TickPage> GetTicks(absl::string_view symbol,
                                   const Snapshot& snapshot, int64_t limit,
                                   std::optional<absl::Time> before);

  // The last `count_back` bars whose time is <= `to` (VCI gap-chart). Daily
  // bars: the CSV verbatim for past days, today's bar from the trades so
  // far. Minute and hour bars: today's, from the trades so far (the current
  // bar is in progress).
  std::optional<BarSeries> GetBars(absl::string_view symbol,
                                   TimeFrame time_frame,
                                   const Snapshot& snapshot, absl::Time to,
                                   int64_t count_back);

  // The replay of a symbol's CSV day; null if it has no row that day.
  // Cached for the most recent day asked for.
  std::shared_ptr<const DayReplay> Replay(int symbol_index, int day_index)
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // Index in data_.symbols of a listed symbol, or -1.
  int FindSymbol(absl::string_view symbol) const;
  // Has a row at or before `day_index`.
  bool ListedBy(int symbol_index, int day_index) const;
  std::optional<BarSeries> GetIndexBars(const SimIndex& index,
                                        TimeFrame time_frame,
                                        const Snapshot& snapshot, absl::Time to,
                                        int64_t count_back);
  // The index's points of CSV day `day_index` (all of the day), cached.
  std::shared_ptr<const std::vector<IndexPoint>> Points(const SimIndex& index,
                                                        int day_index)
      ABSL_LOCKS_EXCLUDED(index_mu_);
  // The symbol's bars with day_index <= `day_index` end here.
  std::vector<market::DailyBar>::const_iterator BarsEnd(
      const market::SymbolHistory& history, int day_index) const;

  const market::DailyData data_;
  const market::TradingCalendar calendar_;
  const std::vector<SimIndex> indices_;
  // Per symbol of data_: false once delisted (read without a lock on every
  // request).
  std::unique_ptr<std::atomic<bool>[]> listed_;
  absl::Mutex mu_;
  int cached_day_ ABSL_GUARDED_BY(mu_) = -1;
  // Per symbol, for cached_day_ (null = not built yet or no row).
  std::vector<std::shared_ptr<const DayReplay>> cache_ ABSL_GUARDED_BY(mu_);
  absl::Mutex index_mu_;
  int index_day_ ABSL_GUARDED_BY(index_mu_) = -1;
  // Per index of indices_, for index_day_.
  std::vector<std::shared_ptr<const std::vector<IndexPoint>>> points_
      ABSL_GUARDED_BY(index_mu_);
};

}  // namespace vnstream::sim

#endif  // VNSTREAM_TOOLS_VNSTOCK_SIM_MARKET_H_
