#include "libs/market/daily_csv.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <optional>
#include <sstream>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "libs/market/decimal.h"
#include "libs/market/exchange.h"
#include "libs/market/ohlc.h"

namespace vnstream::market {
namespace {

enum Column { kDate, kOpen, kHigh, kLow, kClose, kVolume, kTicket, kName };
constexpr std::array<absl::string_view, 8> kColumnNames = {
    "date", "open", "high", "low", "close", "volume", "ticket", "name"};

// Splits one line into fields; a field may be double-quoted ("" is a quote
// inside quotes). Fields never span lines in this format.
absl::StatusOr<std::vector<std::string>> SplitCsvLine(absl::string_view line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c != '"') {
        fields.back() += c;
      } else if (i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else {
        quoted = false;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  if (quoted) return absl::InvalidArgumentError("unterminated quoted field");
  return fields;
}

absl::StatusOr<int64_t> ParsePrice(absl::string_view column,
                                   absl::string_view text) {
  absl::StatusOr<v1::Decimal> price = market::ParseDecimal(text);
  if (!price.ok() || price->nanos() != 0 || price->units() <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        column, " '", text, "' is not a positive whole number of VND"));
  }
  return price->units();
}

absl::StatusOr<int64_t> ParseVolume(absl::string_view text) {
  if (text.empty()) return 0;
  double volume = 0;
  if (!absl::SimpleAtod(text, &volume) || !std::isfinite(volume) ||
      volume < 0 || volume > 1e15) {
    return absl::InvalidArgumentError(
        absl::StrCat("volume '", text, "' is not a number of shares"));
  }
  return std::llround(volume);
}

// Optional: the index the row's symbol belongs to.
constexpr absl::string_view kIndexColumn = "index";

struct Row {
  std::string symbol;
  std::string name;
  std::string index_name;
  DailyBar bar;
  // What was normalised, if anything (NormaliseOhlc).
  std::string normalised;
};

absl::StatusOr<Row> ParseRow(const std::vector<std::string>& fields,
                             const std::array<size_t, 8>& index,
                             std::optional<size_t> index_column) {
  Row row;
  auto field = [&](Column c) -> absl::string_view {
    return absl::StripAsciiWhitespace(fields[index[c]]);
  };
  if (!absl::ParseCivilTime(field(kDate), &row.bar.date)) {
    return absl::InvalidArgumentError(
        absl::StrCat("date '", field(kDate), "' is not YYYY-MM-DD"));
  }
  row.symbol = std::string(field(kTicket));
  if (!market::IsValidSymbol(row.symbol)) {
    return absl::InvalidArgumentError(
        absl::StrCat("ticket '", row.symbol, "' is not a symbol"));
  }
  row.name = std::string(field(kName));
  if (index_column.has_value()) {
    row.index_name =
        std::string(absl::StripAsciiWhitespace(fields[*index_column]));
  }
  const std::array<std::pair<Column, int64_t*>, 4> prices = {{
      {kOpen, &row.bar.open},
      {kHigh, &row.bar.high},
      {kLow, &row.bar.low},
      {kClose, &row.bar.close},
  }};
  for (const auto& [column, out] : prices) {
    absl::StatusOr<int64_t> price =
        ParsePrice(kColumnNames[column], field(column));
    if (!price.ok()) return price.status();
    *out = *price;
  }
  // Adjusted prices may break low <= open, close <= high by a rounding
  // unit: kept, normalised; more is an error.
  DailyBar& b = row.bar;
  v1::Decimal high = MakeDecimal(b.high), low = MakeDecimal(b.low);
  absl::StatusOr<OhlcCheck> check =
      NormaliseOhlc(MakeDecimal(b.open), high, low, MakeDecimal(b.close),
                    MakeDecimal(kVndRoundingUnit));
  if (!check.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("prices are inconsistent: ", check.status().message()));
  }
  if (*check == OhlcCheck::kNormalised) {
    row.normalised =
        absl::StrCat(absl::FormatCivilTime(b.date), ": open ", b.open, " high ",
                     b.high, " low ", b.low, " close ", b.close, " -> high ",
                     high.units(), " low ", low.units());
    b.high = high.units();
    b.low = low.units();
  }
  absl::StatusOr<int64_t> volume = ParseVolume(field(kVolume));
  if (!volume.ok()) return volume.status();
  row.bar.volume = *volume;
  return row;
}

}  // namespace

absl::StatusOr<DailyData> ParseDailyCsv(absl::string_view text,
                                        absl::string_view origin) {
  auto error = [&](int line, absl::string_view what) {
    return absl::InvalidArgumentError(
        absl::StrCat(origin, ":", line, ": ", what));
  };
  const std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  std::array<size_t, 8> index{};
  std::optional<size_t> index_column;
  size_t field_count = 0;
  absl::flat_hash_map<std::string, SymbolHistory> by_symbol;
  absl::flat_hash_set<std::pair<std::string, absl::CivilDay>> seen;
  for (size_t i = 0; i < lines.size(); ++i) {
    const int line_number = static_cast<int>(i) + 1;
    const absl::string_view line = absl::StripSuffix(lines[i], "\r");
    if (line_number > 1 && absl::StripAsciiWhitespace(line).empty()) continue;
    absl::StatusOr<std::vector<std::string>> fields = SplitCsvLine(line);
    if (!fields.ok()) return error(line_number, fields.status().message());
    if (line_number == 1) {
      field_count = fields->size();
      for (size_t c = 0; c < kColumnNames.size(); ++c) {
        auto it = std::find(fields->begin(), fields->end(), kColumnNames[c]);
        if (it == fields->end()) {
          return error(line_number, absl::StrCat("header has no '",
                                                 kColumnNames[c], "' column"));
        }
        index[c] = static_cast<size_t>(it - fields->begin());
      }
      auto it = std::find(fields->begin(), fields->end(), kIndexColumn);
      if (it != fields->end()) {
        index_column = static_cast<size_t>(it - fields->begin());
      }
      continue;
    }
    if (fields->size() != field_count) {
      return error(line_number,
                   absl::StrCat("expected ", field_count, " fields, found ",
                                fields->size()));
    }
    absl::StatusOr<Row> row = ParseRow(*fields, index, index_column);
    if (!row.ok()) return error(line_number, row.status().message());
    if (!seen.emplace(row->symbol, row->bar.date).second) {
      return error(line_number,
                   absl::StrCat("second row for ", row->symbol, " on ",
                                absl::FormatCivilTime(row->bar.date)));
    }
    SymbolHistory& history = by_symbol[row->symbol];
    if (history.symbol.empty()) history.symbol = row->symbol;
    // The file is newest-first, but any order is accepted: keep the name of
    // the newest row.
    if (history.bars.empty() || row->bar.date > history.bars.back().date) {
      history.name = std::move(row->name);
      history.index_name = std::move(row->index_name);
    }
    if (!row->normalised.empty() && history.normalised++ == 0) {
      history.first_normalised = std::move(row->normalised);
    }
    history.bars.push_back(row->bar);
  }
  if (by_symbol.empty()) return error(1, "no data rows");

  DailyData data;
  absl::flat_hash_set<absl::CivilDay> days;
  for (auto& [symbol, history] : by_symbol) {
    std::sort(
        history.bars.begin(), history.bars.end(),
        [](const DailyBar& a, const DailyBar& b) { return a.date < b.date; });
    for (const DailyBar& bar : history.bars) days.insert(bar.date);
    data.symbols.push_back(std::move(history));
  }
  std::sort(data.symbols.begin(), data.symbols.end(),
            [](const SymbolHistory& a, const SymbolHistory& b) {
              return a.symbol < b.symbol;
            });
  data.days.assign(days.begin(), days.end());
  std::sort(data.days.begin(), data.days.end());
  for (SymbolHistory& history : data.symbols) {
    for (DailyBar& bar : history.bars) {
      bar.day_index = static_cast<int>(
          std::lower_bound(data.days.begin(), data.days.end(), bar.date) -
          data.days.begin());
    }
  }
  return data;
}

absl::StatusOr<DailyData> LoadDailyCsv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read CSV file ", path));
  }
  std::stringstream text;
  text << in.rdbuf();
  return ParseDailyCsv(text.str(), path);
}

}  // namespace vnstream::market
