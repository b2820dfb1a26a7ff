// indicator_dump: computes every indicator over every symbol of a daily
// price CSV (the format of data/vn30) and writes JSON with the inputs and
// the outputs at full double precision, for the TA-Lib parity test.
//   indicator_dump --csv=data/vn30/vn30-daily-2016-2019.csv --out=dump.json
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "libs/indicators/indicators.h"
#include "rapidjson/filewritestream.h"
#include "rapidjson/writer.h"

ABSL_FLAG(
    std::string, csv, "",
    "Daily prices CSV (date,...,close,high,...,low,...,open,ticket,volume).");
ABSL_FLAG(std::string, out, "", "Output JSON file.");

namespace vnstream::indicators {
namespace {

struct Row {
  std::string date;
  Bar bar;
};

int Main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  std::ifstream in(absl::GetFlag(FLAGS_csv));
  if (!in) {
    std::fprintf(stderr, "cannot read --csv\n");
    return 1;
  }
  std::string line;
  std::getline(in, line);
  const std::vector<std::string> header = absl::StrSplit(line, ',');
  std::map<std::string, int> col;
  for (size_t i = 0; i < header.size(); ++i)
    col[header[i]] = static_cast<int>(i);
  std::map<std::string, std::vector<Row>> series;
  while (std::getline(in, line)) {
    const std::vector<std::string> f = absl::StrSplit(line, ',');
    if (f.size() != header.size()) continue;
    auto num = [&](const char* name) {
      double d = 0;
      (void)absl::SimpleAtod(f[col[name]], &d);
      return d;
    };
    series[f[col["ticket"]]].push_back(
        {f[col["date"]],
         {num("open"), num("high"), num("low"), num("close"),
          std::round(num("volume"))}});
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
  for (auto& [symbol, rows] : series) {
    std::sort(rows.begin(), rows.end(),
              [](const Row& a, const Row& b) { return a.date < b.date; });
    std::vector<Bar> bars;
    for (const Row& r : rows) bars.push_back(r.bar);
    const std::vector<Values> values = Compute(params, bars);
    w.StartObject();
    w.Key("symbol");
    w.String(symbol.c_str());
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
    const std::pair<const char*, std::optional<double> Values::*> outputs[] = {
        {"sma_short", &Values::sma_short},
        {"sma_medium", &Values::sma_medium},
        {"sma_long", &Values::sma_long},
        {"ema_fast", &Values::ema_fast},
        {"ema_slow", &Values::ema_slow},
        {"rsi", &Values::rsi},
        {"macd", &Values::macd},
        {"macd_signal", &Values::macd_signal},
        {"macd_hist", &Values::macd_hist},
        {"bb_upper", &Values::bb_upper},
        {"bb_middle", &Values::bb_middle},
        {"bb_lower", &Values::bb_lower},
        {"atr", &Values::atr},
        {"stoch_k", &Values::stoch_k},
        {"stoch_d", &Values::stoch_d},
        {"obv", &Values::obv},
        {"volume_sma", &Values::volume_sma},
        {"volume_ratio", &Values::volume_ratio},
        {"daily_return", &Values::daily_return},
        {"cumulative_return", &Values::cumulative_return}};
    for (const auto& [name, field] : outputs) {
      w.Key(name);
      w.StartArray();
      for (const Values& v : values) {
        if ((v.*field).has_value()) {
          w.Double(*(v.*field));
        } else {
          w.Null();
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
