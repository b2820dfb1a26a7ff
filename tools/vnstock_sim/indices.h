// The simulated market indices: VNINDEX, VN30, HNXINDEX, HNX30 and
// UPCOMINDEX, computed from the CSV's stocks. They are not the real
// indices (README.md "Indices"): each is a chain-linked price index of its
// constituents, so a constituent that lists later or skips a day (a
// suspension) never makes the index jump.
//
//   day d:   I(d).x = I(d-1).close * sum_i x_i(d) / sum_i close_i(d-1)
//            for x in open, high, low, close, over the constituents with a
//            row on both d-1 and d; I(first day).close = the base value.
//   today:   I(t) = I(yesterday).close * sum_i p_i(t) / sum_i ref_i over
//            the constituents trading today: p_i(t) their last trade at or
//            before t (the reference before their first trade), ref_i
//            their reference price. A value per second with trades.
//
// High and low of a past day use the constituents' highs and lows, an
// upper and lower bound of the true intraday extremes. Values are in
// hundredths of a point (VCI reports indices with 2 decimals), rounded half
// up; volumes are the constituents' shares.
#ifndef VNSTREAM_TOOLS_VNSTOCK_SIM_INDICES_H_
#define VNSTREAM_TOOLS_VNSTOCK_SIM_INDICES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "libs/market/daily_csv.h"
#include "libs/market/instruments.h"
#include "tools/vnstock_sim/intraday.h"

namespace vnstream::sim {

// One day of an index: hundredths of a point and shares.
struct IndexDay {
  bool has_data = false;  // False before any constituent had a row.
  int64_t open = 0;
  int64_t high = 0;
  int64_t low = 0;
  int64_t close = 0;
  int64_t volume = 0;
};

// An index value after the trades of one second.
struct IndexPoint {
  int second_of_day = 0;  // Local (UTC+7).
  int64_t value = 0;      // Hundredths of a point.
  int64_t volume = 0;     // Shares traded in that second.
};

struct SimIndex {
  const market::MarketIndex* info = nullptr;  // Symbol, VCI code, exchange.
  std::string name;                           // e.g. "VN30-Index (simulated)"
  // Indices in DailyData::symbols.
  std::vector<int> constituents;
  int64_t base = 0;            // Hundredths of a point, the first day.
  std::vector<IndexDay> days;  // Per CSV day (DailyData::days).
};

// True if the CSV `index` column puts the symbol in VN30 ("VN 30 (VNI30)").
bool InVn30(const market::SymbolHistory& history);

// The five indices over `data`, with their daily values. Constituents:
// VNINDEX, HNXINDEX and UPCOMINDEX every CSV symbol (the sim lists only
// HOSE stocks, so the HNX and UPCOM indices stand in with the whole CSV);
// VN30 and HNX30 the CSV's VN30 symbols (every symbol if none is marked).
std::vector<SimIndex> BuildIndices(const market::DailyData& data);

// An index's values through today (`replays[k]` is constituent k's replay
// of the day, null if it does not trade today), after `previous_close`
// (hundredths). One point per second with trades, in time order.
std::vector<IndexPoint> IndexPoints(
    int64_t previous_close, const std::vector<const DayReplay*>& replays);

}  // namespace vnstream::sim

#endif  // VNSTREAM_TOOLS_VNSTOCK_SIM_INDICES_H_
