// History store benchmarks, each against a physical limit measured in the
// same run on the same PostgreSQL (tools/postgres, a real PostgreSQL 15 in
// a temporary directory):
//
//   sink      the store's Sink + PgWriter: IntradayBar records -> rows,
//             COPY into staging, INSERT ... ON CONFLICT DO UPDATE WHERE the
//             row wins, the Kafka offsets, COMMIT per batch_rows rows
//             vs a bare COPY of the same rows into minute_bars (prepared
//             text, one transaction per batch_rows rows)
//   candles   GetCandles (libs/candles: CandleQuery over PgCandleStore, the
//             gateway's path without the gRPC transport) for one year of
//             1-minute bars of one symbol aggregated to 15m
//             vs the plain SQL query of the same rows (binary results)
//   backfill  the store's Backfill of the whole simulated universe
//             (vnstock-sim serving --universe synthetic tickers; the VNStock
//             rate limit lifted: this is capacity, not policy)
//             vs the same backfill into a store that discards the rows (the
//             VNStock fetches alone)
//
// Each figure is the median of --repetitions runs (latency percentiles are
// over all calls of all runs).
//
//   bazel run -c opt //bench/store:store_bench
//   bazel run -c opt //bench/store:store_bench -- --universe=100
//   --repetitions=3
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/support/synthetic_market.h"
#include "libs/base/logging.h"
#include "libs/candles/pg_store.h"
#include "libs/candles/query.h"
#include "libs/market/calendar.h"
#include "libs/market/decimal.h"
#include "libs/pg/pg.h"
#include "libs/store/migrations.h"
#include "libs/store/rows.h"
#include "libs/store/writer.h"
#include "libs/vnstock/client.h"
#include "prometheus/registry.h"
#include "services/store/backfill.h"
#include "services/store/sink.h"
#include "tests/support/service_process.h"
#include "tools/postgres/local_postgres.h"

ABSL_FLAG(int, repetitions, 5, "Runs of each measurement (medians).");
ABSL_FLAG(int, sink_symbols, 20, "Symbols of the sink benchmark.");
ABSL_FLAG(int, sink_days, 50,
          "Trading days of 1-minute bars per symbol (sink benchmark).");
ABSL_FLAG(int, batch_rows, 5000,
          "Rows per write transaction (the store's "
          "default batch_rows).");
ABSL_FLAG(int, candle_calls, 40, "GetCandles calls per run.");
ABSL_FLAG(int, universe, 1600,
          "Symbols vnstock-sim lists for the backfill (synthetic tickers).");
ABSL_FLAG(int, backfill_repetitions, 3, "Runs of the backfill benchmark.");
ABSL_FLAG(std::string, source_csv, "data/vn30/vn30-daily-2016-2019.csv",
          "Real daily prices the synthetic market replays.");

namespace vnstream::bench {
namespace {

using ::vnstream::candles::CandleQuery;
using ::vnstream::candles::PgCandleStore;

absl::Time Deadline() { return absl::Now() + absl::Minutes(5); }

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

double Percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  if (v.empty()) return 0;
  return v[std::min(v.size() - 1, static_cast<size_t>(q * v.size()))];
}

// Stops the benchmark on an error it cannot measure through.
void Check(const absl::Status& status, const char* what) {
  if (!status.ok()) {
    spdlog::error("{}: {}", what, status);
    std::exit(1);
  }
}

std::unique_ptr<pg::Connection> Connect(const std::string& dsn) {
  absl::StatusOr<std::unique_ptr<pg::Connection>> conn =
      pg::Connection::Open({.dsn = dsn}, Deadline());
  Check(conn.status(), "connect");
  return *std::move(conn);
}

// Trading days from `first` on (weekdays).
std::vector<absl::CivilDay> TradingDays(absl::CivilDay first, int count) {
  const market::TradingCalendar calendar;
  std::vector<absl::CivilDay> days;
  for (absl::CivilDay d = first; static_cast<int>(days.size()) < count; ++d) {
    if (calendar.IsTradingDay(d)) days.push_back(d);
  }
  return days;
}

// 1-minute bars of `symbols` over `days` on HOSE's grid, final, each with
// a realistic walk of prices (VND, on the 50-VND tick).
std::vector<v1::IntradayBar> MinuteBars(
    const std::vector<std::string>& symbols,
    const std::vector<absl::CivilDay>& days) {
  std::vector<v1::IntradayBar> bars;
  for (size_t s = 0; s < symbols.size(); ++s) {
    int64_t close = 20000 + 1000 * static_cast<int64_t>(s);
    int64_t seq = 0;
    for (absl::CivilDay day : days) {
      for (absl::CivilMinute minute :
           market::BarMinutes(v1::EXCHANGE_HOSE, day)) {
        const int64_t open = close;
        close = std::max<int64_t>(1000, close + 50 * ((seq * 7919) % 5 - 2));
        v1::IntradayBar bar;
        bar.mutable_meta()->set_symbol(symbols[s]);
        bar.mutable_meta()->set_seq(++seq);
        *bar.mutable_start_time() =
            market::ToTimestamp(absl::FromCivil(minute, market::VietnamTime()));
        *bar.mutable_open() = market::MakeDecimal(open);
        *bar.mutable_high() = market::MakeDecimal(std::max(open, close) + 50);
        *bar.mutable_low() = market::MakeDecimal(std::min(open, close) - 50);
        *bar.mutable_close() = market::MakeDecimal(close);
        bar.set_volume(100 * (1 + seq % 97));
        bar.set_final(true);
        bars.push_back(std::move(bar));
      }
    }
  }
  return bars;
}

// The COPY text of `bars` for minute_bars, in chunks of `chunk` rows.
std::vector<std::string> CopyChunks(const std::vector<v1::IntradayBar>& bars,
                                    int chunk) {
  std::vector<std::string> chunks;
  for (size_t i = 0; i < bars.size(); ++i) {
    if (i % chunk == 0) chunks.emplace_back();
    const v1::IntradayBar& b = bars[i];
    absl::StrAppend(&chunks.back(), b.meta().symbol(), "\t",
                    absl::FormatTime("%Y-%m-%d %H:%M:%E6S+00",
                                     market::FromTimestamp(b.start_time()),
                                     absl::UTCTimeZone()),
                    "\t", market::DecimalToString(b.open()), "\t",
                    market::DecimalToString(b.high()), "\t",
                    market::DecimalToString(b.low()), "\t",
                    market::DecimalToString(b.close()), "\t", b.volume(),
                    "\tt\tstream\t", b.meta().seq(), "\n");
  }
  return chunks;
}

constexpr char kCopyMinutes[] =
    "COPY minute_bars (symbol, start_time, open, high, low, close, volume, "
    "final, origin, version) FROM STDIN";

// ---- sink vs COPY ----

double SinkRowsPerSecond(const std::string& dsn,
                         const std::vector<v1::IntradayBar>& bars) {
  Check(Connect(dsn)->Script("TRUNCATE minute_bars, kafka_offsets", Deadline()),
        "truncate");
  prometheus::Registry registry;
  store::PgWriter writer({.dsn = dsn}, "bench");
  store::Sink sink(
      {.batch_rows = static_cast<size_t>(absl::GetFlag(FLAGS_batch_rows))},
      writer, registry);
  const absl::Time start = absl::Now();
  int64_t offset = 0;
  for (const v1::IntradayBar& bar : bars) {
    // Six partitions, as stock-intraday has.
    sink.Add({.topic = "stock-intraday",
              .partition = static_cast<int32_t>(bar.meta().symbol()[2] % 6),
              .offset = offset++},
             bar);
    if (sink.Full()) Check(sink.Flush(), "sink flush");
  }
  Check(sink.Flush(), "sink flush");
  return static_cast<double>(bars.size()) /
         absl::ToDoubleSeconds(absl::Now() - start);
}

double CopyRowsPerSecond(const std::string& dsn,
                         const std::vector<std::string>& chunks, size_t rows) {
  std::unique_ptr<pg::Connection> conn = Connect(dsn);
  Check(conn->Script("TRUNCATE minute_bars, kafka_offsets", Deadline()),
        "truncate");
  const absl::Time start = absl::Now();
  for (const std::string& chunk : chunks) {
    Check(conn->Transaction(
              Deadline(),
              [&] {
                return conn->CopyIn(kCopyMinutes, chunk, Deadline()).status();
              }),
          "copy");
  }
  return static_cast<double>(rows) / absl::ToDoubleSeconds(absl::Now() - start);
}

void BenchSink(const std::string& dsn) {
  const std::vector<std::string> symbols =
      SyntheticSymbols(absl::GetFlag(FLAGS_sink_symbols));
  const std::vector<v1::IntradayBar> bars = MinuteBars(
      symbols,
      TradingDays(absl::CivilDay(2019, 1, 2), absl::GetFlag(FLAGS_sink_days)));
  const std::vector<std::string> chunks =
      CopyChunks(bars, absl::GetFlag(FLAGS_batch_rows));
  // The partitions exist before either is timed.
  {
    store::PgWriter writer({.dsn = dsn}, "bench");
    Check(writer.EnsurePartitions(absl::CivilMonth(2018, 12),
                                  absl::CivilMonth(2019, 12), Deadline()),
          "partitions");
  }
  std::vector<double> sink, copy;
  for (int i = 0; i < absl::GetFlag(FLAGS_repetitions); ++i) {
    copy.push_back(CopyRowsPerSecond(dsn, chunks, bars.size()));
    sink.push_back(SinkRowsPerSecond(dsn, bars));
  }
  std::printf(
      "sink     %zu 1-minute rows (%d symbols), %d rows per transaction\n"
      "         bare COPY   %10.0f rows/s\n"
      "         store sink  %10.0f rows/s   = %.2f x bare COPY\n",
      bars.size(), absl::GetFlag(FLAGS_sink_symbols),
      absl::GetFlag(FLAGS_batch_rows), Median(copy), Median(sink),
      Median(sink) / Median(copy));
}

// ---- GetCandles vs plain SQL ----

void BenchCandles(const std::string& dsn) {
  // One year (2018) of FPT's 1-minute bars.
  const std::vector<absl::CivilDay> days =
      TradingDays(absl::CivilDay(2018, 1, 2), 250);
  const std::vector<v1::IntradayBar> bars = MinuteBars({"FPT"}, days);
  {
    std::unique_ptr<pg::Connection> conn = Connect(dsn);
    Check(conn->Script("TRUNCATE minute_bars", Deadline()), "truncate");
    store::PgWriter writer({.dsn = dsn}, "bench");
    Check(writer.EnsurePartitions(absl::CivilMonth(2018, 1),
                                  absl::CivilMonth(2018, 12), Deadline()),
          "partitions");
    for (const std::string& chunk : CopyChunks(bars, 20000)) {
      Check(conn->CopyIn(kCopyMinutes, chunk, Deadline()).status(), "load");
    }
    Check(conn->Script("ANALYZE minute_bars", Deadline()), "analyze");
  }
  const absl::Time from =
      absl::FromCivil(absl::CivilDay(2018, 1, 1), market::VietnamTime());
  const absl::Time to =
      absl::FromCivil(absl::CivilDay(2019, 1, 1), market::VietnamTime());

  market::TradingCalendar calendar;
  PgCandleStore store(
      {.pool = {.connection = {.dsn = dsn}, .max_connections = 1}});
  CandleQuery query({}, store, calendar);
  v1::GetCandlesRequest request;
  request.set_symbol("FPT");
  *request.mutable_start() = market::ToTimestamp(from);
  *request.mutable_end() = market::ToTimestamp(to);
  request.set_interval(v1::BAR_INTERVAL_FIFTEEN_MINUTES);
  v1::GetCandlesRequest with_indicators = request;
  with_indicators.set_with_indicators(true);

  std::unique_ptr<pg::Connection> conn = Connect(dsn);
  const std::string sql =
      "SELECT start_time, open, high, low, close, volume, final FROM "
      "minute_bars WHERE symbol = $1 AND start_time >= $2 AND start_time < "
      "$3 ORDER BY start_time";
  const std::vector<pg::Param> params = {
      "FPT", absl::FormatTime(absl::RFC3339_full, from, absl::UTCTimeZone()),
      absl::FormatTime(absl::RFC3339_full, to, absl::UTCTimeZone())};

  std::vector<double> sql_ms, candles_ms, indicators_ms;
  int candles = 0;
  int64_t rows = 0;
  const int calls = absl::GetFlag(FLAGS_candle_calls);
  for (int rep = 0; rep < absl::GetFlag(FLAGS_repetitions); ++rep) {
    for (int i = 0; i < calls; ++i) {
      absl::Time t0 = absl::Now();
      absl::StatusOr<pg::Result> r =
          conn->Exec(sql, params, Deadline(), pg::Format::kBinary);
      Check(r.status(), "sql");
      sql_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
      rows = r->rows();

      t0 = absl::Now();
      absl::StatusOr<v1::GetCandlesResponse> page =
          query.Run(request, absl::Now(), Deadline());
      Check(page.status(), "GetCandles");
      candles_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
      candles = page->candles_size();
      if (!page->next_page_token().empty()) {
        spdlog::error("a year of 15m candles did not fit one page");
        std::exit(1);
      }

      t0 = absl::Now();
      page = query.Run(with_indicators, absl::Now(), Deadline());
      Check(page.status(), "GetCandles with indicators");
      indicators_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
    }
  }
  std::printf(
      "candles  1 year of 1-minute bars (%lld rows) -> %d 15m candles, "
      "%zu calls each\n"
      "         plain SQL          p50 %7.1f ms   p99 %7.1f ms\n"
      "         GetCandles         p50 %7.1f ms   p99 %7.1f ms   = %.2f x / "
      "%.2f x SQL\n"
      "         + indicators       p50 %7.1f ms   p99 %7.1f ms   = %.2f x / "
      "%.2f x SQL\n",
      static_cast<long long>(rows), candles, sql_ms.size(),
      Percentile(sql_ms, 0.5), Percentile(sql_ms, 0.99),
      Percentile(candles_ms, 0.5), Percentile(candles_ms, 0.99),
      Percentile(candles_ms, 0.5) / Percentile(sql_ms, 0.5),
      Percentile(candles_ms, 0.99) / Percentile(sql_ms, 0.99),
      Percentile(indicators_ms, 0.5), Percentile(indicators_ms, 0.99),
      Percentile(indicators_ms, 0.5) / Percentile(sql_ms, 0.5),
      Percentile(indicators_ms, 0.99) / Percentile(sql_ms, 0.99));
}

// ---- Backfill vs the fetches alone ----

// Discards what the backfill writes: what remains is VNStock.
class DiscardStore : public store::BackfillStore {
 public:
  absl::StatusOr<store::WriteCounts> Write(const store::Batch& batch,
                                           absl::Time) override {
    rows_ += static_cast<int64_t>(batch.rows());
    return store::WriteCounts{
        .daily = static_cast<int64_t>(batch.daily().size()),
        .minutes = static_cast<int64_t>(batch.minutes().size())};
  }
  absl::StatusOr<std::vector<std::string>> ListedSymbols(absl::Time) override {
    return std::vector<std::string>{};
  }
  absl::StatusOr<absl::flat_hash_set<std::string>> Finished(
      const std::string&, absl::Time) override {
    return absl::flat_hash_set<std::string>{};
  }
  int64_t rows() const { return rows_; }

 private:
  int64_t rows_ = 0;
};

struct BackfillRun {
  double seconds = 0;
  int64_t rows = 0;
  int failed = 0;
};

BackfillRun RunBackfill(const std::string& base_url,
                        const std::vector<std::string>& universe,
                        store::BackfillStore& target) {
  market::TradingCalendar calendar;
  prometheus::Registry registry;
  vnstock::VciClientOptions client_options;
  client_options.base_url = base_url;
  client_options.requests_per_minute = 1e9;
  client_options.burst = 1'000'000;
  vnstock::VciClient client(client_options, &calendar, &registry);
  store::Backfill backfill(
      {.symbols = universe, .progress_interval = absl::Hours(1)}, client,
      calendar, target, registry);
  absl::Notification stop;
  const absl::Time start = absl::Now();
  absl::StatusOr<store::BackfillResult> result = backfill.Run(stop);
  Check(result.status(), "backfill");
  return {absl::ToDoubleSeconds(absl::Now() - start), result->rows,
          result->failed};
}

void BenchBackfill(const std::string& dsn, const std::string& work_dir) {
  const int count = absl::GetFlag(FLAGS_universe);
  const std::vector<std::string> universe = SyntheticSymbols(count);
  const std::string csv = work_dir + "/market.csv";
  Check(WriteSyntheticCsv(testing::Runfile(absl::GetFlag(FLAGS_source_csv)),
                          count, absl::CivilDay(2016, 1, 1), csv),
        "synthetic market");
  absl::StatusOr<testing::ServiceProcess> sim = testing::StartService(
      "vnstock-sim", "tools/vnstock_sim/vnstock-sim",
      {absl::StrCat("--csv=", csv), "--today=2019-06-14", "--start_time=15:30",
       "--speed=0", "--port=0", "--host=127.0.0.1"},
      "listening on 127.0.0.1:(\\d+)", absl::Minutes(5));
  Check(sim.status(), "vnstock-sim");
  const std::string base_url =
      absl::StrCat("http://127.0.0.1:", sim->captured[0], "/api/");

  std::vector<double> fetch_s, full_s;
  int64_t rows = 0;
  int failed = 0;
  for (int i = 0; i < absl::GetFlag(FLAGS_backfill_repetitions); ++i) {
    DiscardStore discard;
    fetch_s.push_back(RunBackfill(base_url, universe, discard).seconds);
    Check(
        Connect(dsn)->Script(
            "TRUNCATE daily_bars, minute_bars, backfill_progress", Deadline()),
        "truncate");
    store::PgWriter writer({.dsn = dsn}, "bench");
    store::PgBackfillStore target(writer);
    const BackfillRun run = RunBackfill(base_url, universe, target);
    full_s.push_back(run.seconds);
    rows = run.rows;
    failed += run.failed;
  }
  std::printf(
      "backfill %d symbols from vnstock-sim (rate limit lifted): %lld bars\n"
      "         VNStock fetches alone  %7.1f s\n"
      "         store backfill         %7.1f s   = %.2f x the fetches, %.0f "
      "bars/s%s\n",
      count, static_cast<long long>(rows), Median(fetch_s), Median(full_s),
      Median(full_s) / Median(fetch_s),
      static_cast<double>(rows) / Median(full_s),
      failed > 0 ? absl::StrCat(" (", failed, " symbol runs FAILED)").c_str()
                 : "");
}

}  // namespace
}  // namespace vnstream::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  vnstream::InitLogging("store-bench");
  char dir_template[] = "/tmp/vnstream-store-bench-XXXXXX";
  if (mkdtemp(dir_template) == nullptr) return 1;
  const std::string work_dir = dir_template;
  int code = 0;
  {
    absl::StatusOr<std::unique_ptr<vnstream::postgres::LocalPostgres>> pg =
        vnstream::postgres::LocalPostgres::Start(
            {.work_dir = work_dir + "/postgres"});
    vnstream::bench::Check(pg.status(), "PostgreSQL");
    const std::string dsn = (*pg)->dsn();
    {
      std::unique_ptr<vnstream::pg::Connection> conn =
          vnstream::bench::Connect(dsn);
      absl::StatusOr<std::vector<vnstream::store::Migration>> migrations =
          vnstream::store::Migrations();
      vnstream::bench::Check(migrations.status(), "migrations");
      vnstream::bench::Check(
          vnstream::store::Migrate(*conn, *migrations,
                                   vnstream::bench::Deadline())
              .status(),
          "migrate");
    }
    // The per-batch and per-symbol log lines would bury the results.
    spdlog::set_level(spdlog::level::warn);
    vnstream::bench::BenchSink(dsn);
    vnstream::bench::BenchCandles(dsn);
    vnstream::bench::BenchBackfill(dsn, work_dir);
  }
  std::filesystem::remove_all(work_dir);
  return code;
}
