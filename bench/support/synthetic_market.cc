#include "bench/support/synthetic_market.h"

#include <algorithm>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "libs/market/daily_csv.h"

namespace vnstream::bench {

std::vector<std::string> SyntheticSymbols(int count) {
  std::vector<std::string> symbols;
  symbols.reserve(count);
  for (int i = 0; i < std::min(count, 26 * 26 * 26); ++i) {
    symbols.push_back({static_cast<char>('A' + i / (26 * 26)),
                       static_cast<char>('A' + i / 26 % 26),
                       static_cast<char>('A' + i % 26)});
  }
  return symbols;
}

absl::Status WriteSyntheticCsv(const std::string& source_csv, int count,
                               absl::CivilDay from,
                               const std::string& out_path) {
  absl::StatusOr<market::DailyData> data = market::LoadDailyCsv(source_csv);
  if (!data.ok()) return data.status();
  const std::vector<market::SymbolHistory>& series = data->symbols;
  std::ofstream out(out_path);
  // The columns market::ParseDailyCsv reads; the first 30 symbols are
  // vnstock-sim's VN30 group.
  out << "date,open,high,low,close,volume,ticket,name,index\n";
  const std::vector<std::string> symbols = SyntheticSymbols(count);
  for (size_t i = 0; i < symbols.size(); ++i) {
    const market::SymbolHistory& source = series[i % series.size()];
    for (const market::DailyBar& bar : source.bars) {
      if (bar.date < from) continue;
      out << absl::StrCat(absl::FormatCivilTime(bar.date), ",", bar.open, ",",
                          bar.high, ",", bar.low, ",", bar.close, ",",
                          bar.volume, ",", symbols[i], ",", source.name, ",",
                          i < 30 ? "VN 30" : "")
          << '\n';
    }
  }
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", out_path));
  return absl::OkStatus();
}

}  // namespace vnstream::bench
