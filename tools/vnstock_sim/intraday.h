// The intraday replay of one symbol's CSV day: every match (tick) of the
// day on HOSE, from the opening auction to the closing auction.
//
// Rules (README.md "The model" has the full story):
//  * Reference price = the previous CSV close rounded to a tick (the open
//    for a symbol's first day); ceiling/floor = reference +-7 % rounded
//    inward (libs/market CeilingPrice/FloorPrice).
//  * The day's tradeable open/high/low/close = the CSV values rounded to the
//    nearest HOSE tick, then clamped into [floor, ceiling]. The CSV is
//    split-adjusted, so ~30 % of its prices are off-tick; past days are
//    served verbatim, only the replayed day uses these rounded values.
//  * Volume = the CSV volume rounded to the nearest round lot (100 shares,
//    half up), raised if needed to the few lots that printing the distinct
//    O/H/L/C prices takes (2-4 lots; only a zero-volume listing day needs it).
//  * Lots are spread over BarMinutes(HOSE) (09:15..11:29, 13:00..14:29,
//    14:45) with a U-shaped profile plus noise (ATO ~4 %, ATC ~7 % of the
//    day); minutes that get no lot have no trade and no bar, as on VCI.
//  * The first trade (09:15:00, the ATO match) is at the open, the last
//    (14:45:00, the single ATC match) at the close; the high and the low are
//    printed at random trades in between; between those anchors prices follow
//    a Brownian bridge on the tick ladder [low, high].
//  * Everything is drawn from a generator seeded by "SYMBOL|YYYY-MM-DD" (the
//    CSV date), so a day replays identically on every run.
#ifndef VNSTREAM_TOOLS_VNSTOCK_SIM_INTRADAY_H_
#define VNSTREAM_TOOLS_VNSTOCK_SIM_INTRADAY_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/strings/string_view.h"
#include "libs/market/daily_csv.h"

namespace vnstream::sim {

// VCI's matchType of a trade.
enum class Side : char {
  kBuy = 'b',      // Buyer-initiated (price at or above the previous trade).
  kSell = 's',     // Seller-initiated.
  kAuction = 'u',  // ATO/ATC call-auction match; VCI says "unknown".
};

absl::string_view SideName(Side side);  // "b", "s", "unknown"

// One match. Running totals include this trade.
struct Trade {
  // Unique across symbols and days: CSV epoch day * 1e9 + symbol index *
  // 1e5 + sequence in the day (< 2^53, exact as a JSON double).
  int64_t id = 0;
  int second_of_day = 0;  // Local (UTC+7) seconds since midnight.
  int64_t price = 0;      // VND, on a HOSE tick.
  int64_t volume = 0;     // Shares, a multiple of 100.
  Side side = Side::kAuction;
  int64_t total_volume = 0;  // Shares.
  int64_t total_value = 0;   // VND (sum of price * volume).
  int64_t high = 0;          // VND.
  int64_t low = 0;           // VND.
  int64_t foreign_buy = 0;   // Shares bought by foreign investors so far.
  int64_t foreign_sell = 0;  // Shares sold by foreign investors so far.
};

struct DayReplay {
  int64_t reference = 0;  // VND.
  int64_t ceiling = 0;    // VND.
  int64_t floor = 0;      // VND.
  // The day's tradeable prices (VND) and volume (shares); the trades print
  // exactly these.
  int64_t open = 0;
  int64_t high = 0;
  int64_t low = 0;
  int64_t close = 0;
  int64_t volume = 0;
  std::vector<Trade> trades;  // In time order, at least one.
};

// The reference price (VND) of a day after a close of `previous_close` VND:
// the close rounded to the nearest tick (it may be off-tick in the CSV).
int64_t ReferencePrice(int64_t previous_close);

// Replays `day` of `symbol` (the `symbol_index`-th symbol of the data,
// < 1e4). `previous_close` is the symbol's previous CSV close, VND; nullopt
// on its first day, whose reference is then its open.
DayReplay BuildDayReplay(absl::string_view symbol, int symbol_index,
                         const market::DailyBar& day,
                         std::optional<int64_t> previous_close);

}  // namespace vnstream::sim

#endif  // VNSTREAM_TOOLS_VNSTOCK_SIM_INTRADAY_H_
