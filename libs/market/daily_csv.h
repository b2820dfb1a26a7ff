// The daily-price CSV of data/vn30 (data/vn30/README.md), which backs
// vnstock-sim, the tests and the benchmarks:
//   date,change_per,close,high,index,low,name,open,ticket,volume
//   2019-06-14,-1.92,102300.0,104300.0,VN 30 (VNI30),102000.0,Cotec
//   ...,CTD,468500.0
// Columns are found by name (order and extra columns do not matter; the
// `index` column is optional); rows may come in any order (the shipped
// file is newest-first per symbol).
#ifndef VNSTREAM_LIBS_MARKET_DAILY_CSV_H_
#define VNSTREAM_LIBS_MARKET_DAILY_CSV_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"

namespace vnstream::market {

// One CSV row. Prices are whole VND exactly as in the file: the file is
// split-adjusted, so they need not be on a tick or inside the band.
struct DailyBar {
  absl::CivilDay date;
  // Index of `date` in DailyData::days.
  int day_index = 0;
  int64_t open = 0;   // VND
  int64_t high = 0;   // VND
  int64_t low = 0;    // VND
  int64_t close = 0;  // VND
  // Shares, rounded to the nearest share (the file has float noise such as
  // 506599.99999999994); an empty field (one listing day in the VN30 file)
  // reads as 0.
  int64_t volume = 0;
};

struct SymbolHistory {
  std::string symbol;
  // The company name (CSV `name`, from the newest row); served as
  // organName and enOrganName.
  std::string name;
  // The index the symbol belonged to (CSV `index` of the newest row, e.g.
  // "VN 30 (VNI30)"); empty when the file has no `index` column.
  std::string index_name;
  std::vector<DailyBar> bars;  // Oldest first, one per date.
  // Rows kept after normalising high/low by at most a rounding unit
  // (libs/market/ohlc.h), and the first of them ("2019-06-14: open ..
  // -> high .. low ..").
  int normalised = 0;
  std::string first_normalised;
};

struct DailyData {
  std::vector<SymbolHistory> symbols;  // Sorted by symbol.
  // Every date that appears in the file, ascending: the CSV's trading days.
  std::vector<absl::CivilDay> days;
};

// Parses CSV text. `origin` names the text in errors, which read
// "origin:LINE: what" (1-based lines, the header is line 1). Rejected:
// a missing column, a wrong field count, a bad date, a price that is not a
// positive whole number of VND, low > open/close or high < open/close by
// more than NormaliseOhlc's tolerance (within it the row is kept with high
// and low widened, and counted in SymbolHistory::normalised), a
// negative or non-numeric volume, a bad symbol, a duplicate (symbol, date),
// and a file without rows.
absl::StatusOr<DailyData> ParseDailyCsv(absl::string_view text,
                                        absl::string_view origin);

// Reads and parses the file at `path` (errors name the path).
absl::StatusOr<DailyData> LoadDailyCsv(const std::string& path);

}  // namespace vnstream::market

#endif  // VNSTREAM_LIBS_MARKET_DAILY_CSV_H_
