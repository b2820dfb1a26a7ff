// Indicator benchmarks (Google Benchmark), on 1,600 synthetic symbols x 2,000
// daily bars built from the 22 real VN30 series (data/vn30):
//   BM_FullRecompute      every indicator for every bar of every symbol
//   BM_IncrementalUpdate  one new bar for one symbol, from carried state
//   BM_EnrichHistory      analytics' unit of work: a 260-bar DailyHistory
//                         (protobuf in, protobuf out)
// --dump_dataset=FILE writes the dataset (float64, symbol-major, bar-major,
// OHLCV) for compare.py, which times the seed's pandas code and TA-Lib on
// the very same numbers.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "libs/indicators/indicators.h"
#include "libs/market/calendar.h"
#include "libs/market/daily_csv.h"
#include "libs/market/decimal.h"

ABSL_FLAG(std::string, csv, "data/vn30/vn30-daily-2016-2019.csv",
          "Real daily prices the synthetic dataset is built from.");
ABSL_FLAG(std::string, dump_dataset, "",
          "Write the dataset to this file (for compare.py) and exit.");

namespace vnstream::indicators {
namespace {

constexpr int kSymbols = 1600;
constexpr int kBars = 2000;

// The real series, oldest first.
std::vector<std::vector<Bar>> RealSeries() {
  absl::StatusOr<market::DailyData> data =
      market::LoadDailyCsv(absl::GetFlag(FLAGS_csv));
  if (!data.ok()) {
    std::fprintf(stderr, "%s\n", data.status().ToString().c_str());
    std::exit(1);
  }
  std::vector<std::vector<Bar>> out;
  for (const market::SymbolHistory& series : data->symbols) {
    out.push_back(FromCsv(series));
  }
  return out;
}

// Symbol k: real series k % 22, walked forwards and backwards (no jumps)
// from an offset, scaled by a per-symbol factor. Deterministic.
const std::vector<std::vector<Bar>>& Dataset() {
  static const auto* data = [] {
    const std::vector<std::vector<Bar>> real = RealSeries();
    auto* out = new std::vector<std::vector<Bar>>(kSymbols);
    for (int k = 0; k < kSymbols; ++k) {
      const std::vector<Bar>& base = real[k % real.size()];
      const int n = static_cast<int>(base.size());
      const double scale = 0.5 + (k % 97) / 64.0;
      for (int j = 0; j < kBars; ++j) {
        const int t = (j + 37 * k) % (2 * n - 2);
        const Bar& b = base[t < n ? t : 2 * n - 2 - t];
        (*out)[k].push_back({b.open * scale, b.high * scale, b.low * scale,
                             b.close * scale, b.volume});
      }
    }
    return out;
  }();
  return *data;
}

void BM_FullRecompute(benchmark::State& state) {
  const auto& data = Dataset();
  const Params params;
  double sink = 0;
  for (auto _ : state) {
    for (const std::vector<Bar>& series : data) {
      const Series v = Compute(params, series);
      sink += v.column(Field::kRsi).back();
    }
  }
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(state.iterations() * kSymbols * kBars);
  state.counters["symbols"] = kSymbols;
  state.counters["bars_per_symbol"] = kBars;
}
BENCHMARK(BM_FullRecompute)
    ->Unit(benchmark::kMillisecond)
    ->MeasureProcessCPUTime();

void BM_IncrementalUpdate(benchmark::State& state) {
  const auto& data = Dataset();
  const Params params;
  // Every symbol's state after all but the last 100 bars; then each
  // iteration adds the next bar of the next symbol (cycling).
  std::vector<Incremental> states;
  for (const std::vector<Bar>& series : data) {
    Incremental s(params);
    for (int j = 0; j < kBars - 100; ++j) s.Update(series[j]);
    states.push_back(std::move(s));
  }
  int symbol = 0;
  int bar = kBars - 100;
  double sink = 0;
  for (auto _ : state) {
    sink += states[symbol].Update(data[symbol][bar]).macd.value_or(0);
    if (++symbol == kSymbols) {
      symbol = 0;
      bar = bar + 1 < kBars ? bar + 1 : kBars - 100;
    }
  }
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_IncrementalUpdate)->Unit(benchmark::kNanosecond);

void BM_EnrichHistory(benchmark::State& state) {
  const std::vector<Bar>& series = Dataset()[0];
  v1::DailyHistory history;
  history.mutable_meta()->set_symbol("FPT");
  absl::CivilDay day(2018, 1, 1);
  for (int j = 0; j < 260; ++j) {
    const Bar& b = series[j];
    v1::DailyBar* bar = history.add_bars();
    *bar->mutable_date() = market::ToDate(day++);
    *bar->mutable_open() = market::MakeDecimal(std::llround(b.open));
    *bar->mutable_high() = market::MakeDecimal(std::llround(b.high));
    *bar->mutable_low() = market::MakeDecimal(std::llround(b.low));
    *bar->mutable_close() = market::MakeDecimal(std::llround(b.close));
    bar->set_volume(static_cast<int64_t>(b.volume));
  }
  v1::EnrichedHistory out;
  for (auto _ : state) {
    if (!Enrich(history, Params(), &out).ok())
      state.SkipWithError("enrich failed");
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EnrichHistory)->Unit(benchmark::kMicrosecond);

bool DumpDataset(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return false;
  for (const std::vector<Bar>& series : Dataset()) {
    for (const Bar& b : series) {
      const double row[5] = {b.open, b.high, b.low, b.close, b.volume};
      std::fwrite(row, sizeof(double), 5, f);
    }
  }
  return std::fclose(f) == 0;
}

}  // namespace
}  // namespace vnstream::indicators

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  absl::ParseCommandLine(argc, argv);
  if (const std::string dump = absl::GetFlag(FLAGS_dump_dataset);
      !dump.empty()) {
    return vnstream::indicators::DumpDataset(dump) ? 0 : 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
