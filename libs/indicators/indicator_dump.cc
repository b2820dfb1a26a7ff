// indicator_dump: computes every indicator over every symbol of a daily
// price CSV (the format of data/vn30) and writes JSON with the inputs and
// the outputs at full double precision, for the TA-Lib parity test.
//   indicator_dump --csv=data/vn30/vn30-daily-2016-2019.csv --out=dump.json
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "libs/indicators/indicators.h"
#include "libs/market/daily_csv.h"
#include "rapidjson/filewritestream.h"
#include "rapidjson/writer.h"

ABSL_FLAG(
    std::string, csv, "",
    "Daily prices CSV (date,...,close,high,...,low,...,open,ticket,volume).");
ABSL_FLAG(std::string, out, "", "Output JSON file.");

namespace vnstream::indicators {
namespace {

int Main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  absl::StatusOr<market::DailyData> data =
      market::LoadDailyCsv(absl::GetFlag(FLAGS_csv));
  if (!data.ok()) {
    std::fprintf(stderr, "%s\n", data.status().ToString().c_str());
    return 1;
  }
  FILE* out = std::fopen(absl::GetFlag(FLAGS_out).c_str(), "w");
  if (out == nullptr) {
    std::fprintf(stderr, "cannot write --out\n");
    return 1;
  }
  char buffer[65536];
  rapidjson::FileWriteStream stream(out, buffer, sizeof(buffer));
  rapidjson::Writer<rapidjson::FileWriteStream> w(stream);
  w.SetMaxDecimalPlaces(324);  // Shortest round-trip representation.
  w.StartObject();
  w.Key("series");
  w.StartArray();
  const Params params;
  for (const market::SymbolHistory& series : data->symbols) {
    const std::vector<Bar> bars = FromCsv(series);
    const Series values = Compute(params, bars);
    w.StartObject();
    w.Key("symbol");
    w.String(series.symbol.c_str());
    const std::pair<const char*, double Bar::*> inputs[] = {
        {"open", &Bar::open},
        {"high", &Bar::high},
        {"low", &Bar::low},
        {"close", &Bar::close},
        {"volume", &Bar::volume}};
    for (const auto& [name, field] : inputs) {
      w.Key(name);
      w.StartArray();
      for (const Bar& b : bars) w.Double(b.*field);
      w.EndArray();
    }
    const std::pair<const char*, Field> outputs[] = {
        {"sma_short", Field::kSmaShort},
        {"sma_medium", Field::kSmaMedium},
        {"sma_long", Field::kSmaLong},
        {"ema_fast", Field::kEmaFast},
        {"ema_slow", Field::kEmaSlow},
        {"rsi", Field::kRsi},
        {"macd", Field::kMacd},
        {"macd_signal", Field::kMacdSignal},
        {"macd_hist", Field::kMacdHist},
        {"bb_upper", Field::kBbUpper},
        {"bb_middle", Field::kBbMiddle},
        {"bb_lower", Field::kBbLower},
        {"atr", Field::kAtr},
        {"stoch_k", Field::kStochK},
        {"stoch_d", Field::kStochD},
        {"obv", Field::kObv},
        {"volume_sma", Field::kVolumeSma},
        {"volume_ratio", Field::kVolumeRatio},
        {"daily_return", Field::kDailyReturn},
        {"cumulative_return", Field::kCumulativeReturn}};
    for (const auto& [name, field] : outputs) {
      w.Key(name);
      w.StartArray();
      for (double x : values.column(field)) {
        if (std::isnan(x)) {
          w.Null();  // Unset.
        } else {
          w.Double(x);
        }
      }
      w.EndArray();
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  stream.Flush();
  std::fclose(out);
  return 0;
}

}  // namespace
}  // namespace vnstream::indicators

int main(int argc, char** argv) {
  return vnstream::indicators::Main(argc, argv);
}
