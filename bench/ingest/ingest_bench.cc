// Ingest benchmark: one price-board cycle for a whole market (1,600 symbols
// by default) against vnstock-sim on this machine, at three depths:
//   BM_FetchPriceBoard  VciClient only: HTTP + JSON parsing + validation,
//                       by symbols per request and requests in flight
//   BM_IngestCycle      + Ingestor (sequence numbers, change detection,
//                       protobuf encoding) into a counting sink
//   BM_IngestCycleKafka + the real Publisher into a real local broker,
//                       timed until every record is acknowledged
// Wall time per cycle, CPU time of this process per cycle, records/s, and
// vnstock-sim's own CPU per cycle (it runs as a separate process). The
// client-side rate limit is lifted: this measures capacity, not policy.
//
//   bazel run -c opt //bench/ingest:ingest_bench
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "bench/support/synthetic_market.h"
#include "benchmark/benchmark.h"
#include "libs/base/logging.h"
#include "libs/base/proc_stats.h"
#include "libs/kafka/publisher.h"
#include "libs/market/calendar.h"
#include "libs/vnstock/client.h"
#include "prometheus/registry.h"
#include "services/ingest/ingestor.h"
#include "tests/support/service_process.h"
#include "tools/kafka/local_kafka.h"

ABSL_FLAG(int, symbols, 1600, "Symbols in the market (synthetic tickers).");
ABSL_FLAG(std::string, source_csv, "data/vn30/vn30-daily-2016-2019.csv",
          "Real daily prices the synthetic market replays.");
ABSL_FLAG(bool, kafka, true,
          "Also run BM_IngestCycleKafka against a local broker.");

namespace vnstream::bench {
namespace {

struct Environment {
  std::string work_dir;
  testing::ServiceProcess sim;
  std::string base_url;
  std::vector<std::string> symbols;
  market::TradingCalendar calendar;
  std::unique_ptr<kafka::LocalKafka> kafka;
};
Environment* env = nullptr;

double SimCpuSeconds() {
  absl::StatusOr<ProcessStats> stats =
      ReadProcessStats(env->sim.process->pid());
  return stats.ok() ? stats->cpu_seconds : 0;
}

vnstock::VciClientOptions ClientOptions(int batch, int concurrency) {
  vnstock::VciClientOptions options;
  options.base_url = env->base_url;
  options.requests_per_minute = 1e9;
  options.burst = 1'000'000;
  options.max_symbols_per_request = batch;
  options.concurrency = concurrency;
  return options;
}

absl::Time Deadline() { return absl::Now() + absl::Seconds(60); }

// Counters every benchmark reports; `records` were produced by the
// measured iterations.
void Report(benchmark::State& state, int64_t records, double sim_cpu) {
  const double cycles = static_cast<double>(state.iterations());
  state.counters["records/s"] = benchmark::Counter(static_cast<double>(records),
                                                   benchmark::Counter::kIsRate);
  state.counters["records/cycle"] = static_cast<double>(records) / cycles;
  state.counters["sim_cpu_ms/cycle"] = sim_cpu * 1e3 / cycles;
}

void BM_FetchPriceBoard(benchmark::State& state) {
  vnstock::VciClient client(ClientOptions(static_cast<int>(state.range(0)),
                                          static_cast<int>(state.range(1))),
                            &env->calendar, nullptr);
  client.FetchPriceBoard(env->symbols, Deadline());  // Warm connections.
  int64_t records = 0;
  const double sim_cpu = SimCpuSeconds();
  for (auto _ : state) {
    vnstock::PriceBoard board =
        client.FetchPriceBoard(env->symbols, Deadline());
    if (!board.errors.empty()) {
      state.SkipWithError(board.errors.front().ToString().c_str());
      break;
    }
    records += static_cast<int64_t>(board.quotes.size());
  }
  Report(state, records, SimCpuSeconds() - sim_cpu);
}
BENCHMARK(BM_FetchPriceBoard)
    ->ArgNames({"batch", "concurrency"})
    ->ArgsProduct({{50, 200}, {1, 4, 8}})
    ->UseRealTime()
    ->MeasureProcessCPUTime()
    ->Unit(benchmark::kMillisecond);

// Counts what the Ingestor hands to Kafka.
class CountingSink : public kafka::RecordSink {
 public:
  void Publish(kafka::OutgoingRecord record) override {
    ++records_;
    bytes_ += static_cast<int64_t>(record.value.size());
  }
  int64_t records_ = 0;
  int64_t bytes_ = 0;
};

// One cycle of a fresh Ingestor (a fresh one publishes every quote; a
// long-running one skips unchanged quotes, and the simulated clock is
// frozen).
int64_t RunCycle(benchmark::State& state, vnstock::VciClient& client,
                 kafka::RecordSink& sink) {
  state.PauseTiming();
  prometheus::Registry registry;
  auto ingestor = std::make_unique<ingest::Ingestor>(
      ingest::IngestOptions{.symbols = env->symbols,
                            .ignore_market_hours = true},
      client, sink, env->calendar, registry);
  state.ResumeTiming();
  const ingest::CycleStats stats = ingestor->RunPrices(Deadline());
  if (stats.errors > 0 || stats.rejected > 0) {
    state.SkipWithError(
        absl::StrCat(stats.errors, " errors, ", stats.rejected, " rejected")
            .c_str());
  }
  return stats.published;
}

void BM_IngestCycle(benchmark::State& state) {
  vnstock::VciClient client(ClientOptions(50, 4), &env->calendar, nullptr);
  client.FetchPriceBoard(env->symbols, Deadline());
  CountingSink sink;
  int64_t records = 0;
  const double sim_cpu = SimCpuSeconds();
  for (auto _ : state) records += RunCycle(state, client, sink);
  Report(state, records, SimCpuSeconds() - sim_cpu);
  state.counters["bytes/record"] =
      static_cast<double>(sink.bytes_) / static_cast<double>(sink.records_);
}
BENCHMARK(BM_IngestCycle)
    ->UseRealTime()
    ->MeasureProcessCPUTime()
    ->Unit(benchmark::kMillisecond);

void BM_IngestCycleKafka(benchmark::State& state) {
  if (env->kafka == nullptr) {
    state.SkipWithError("--nokafka");
    return;
  }
  prometheus::Registry registry;
  absl::StatusOr<std::unique_ptr<kafka::Publisher>> publisher =
      kafka::Publisher::Create(
          {.bootstrap_servers = env->kafka->bootstrap_servers(),
           .client_id = "ingest-bench"},
          registry, "bench");
  if (!publisher.ok()) {
    state.SkipWithError(publisher.status().ToString().c_str());
    return;
  }
  vnstock::VciClient client(ClientOptions(50, 4), &env->calendar, nullptr);
  {
    // Warm up: connections, topic metadata, the idempotent producer id.
    prometheus::Registry warm_up_registry;
    ingest::Ingestor({.symbols = env->symbols, .ignore_market_hours = true},
                     client, **publisher, env->calendar, warm_up_registry)
        .RunPrices(Deadline());
    if (absl::Status s = (*publisher)->Flush(absl::Seconds(60)); !s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      return;
    }
  }
  int64_t records = 0;
  const double sim_cpu = SimCpuSeconds();
  for (auto _ : state) {
    records += RunCycle(state, client, **publisher);
    if (absl::Status s = (*publisher)->Flush(absl::Seconds(60)); !s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
  }
  Report(state, records, SimCpuSeconds() - sim_cpu);
}
BENCHMARK(BM_IngestCycleKafka)
    ->UseRealTime()
    ->MeasureProcessCPUTime()
    // The broker's JVM and the acks vary from cycle to cycle: average more.
    ->MinTime(5)
    ->Unit(benchmark::kMillisecond);

absl::Status SetUp() {
  env = new Environment();
  char dir_template[] = "/tmp/vnstream-ingest-bench-XXXXXX";
  if (mkdtemp(dir_template) == nullptr) {
    return absl::InternalError("mkdtemp failed");
  }
  env->work_dir = dir_template;
  const int count = absl::GetFlag(FLAGS_symbols);
  env->symbols = SyntheticSymbols(count);
  const std::string csv = env->work_dir + "/market.csv";
  if (absl::Status s =
          WriteSyntheticCsv(testing::Runfile(absl::GetFlag(FLAGS_source_csv)),
                            count, absl::CivilDay(2019, 1, 1), csv);
      !s.ok()) {
    return s;
  }
  // A frozen mid-morning: every symbol is trading and has a full board.
  absl::StatusOr<testing::ServiceProcess> sim = testing::StartService(
      "vnstock-sim", "tools/vnstock_sim/vnstock-sim",
      {absl::StrCat("--csv=", csv), "--today=2019-06-14", "--start_time=10:30",
       "--speed=0", "--port=0", "--host=127.0.0.1"},
      "listening on 127.0.0.1:(\\d+)");
  if (!sim.ok()) return sim.status();
  env->sim = *std::move(sim);
  env->base_url =
      absl::StrCat("http://127.0.0.1:", env->sim.captured[0], "/api/");
  if (absl::GetFlag(FLAGS_kafka)) {
    absl::StatusOr<std::unique_ptr<kafka::LocalKafka>> kafka =
        kafka::LocalKafka::Start({.work_dir = env->work_dir + "/kafka"});
    if (!kafka.ok()) return kafka.status();
    env->kafka = *std::move(kafka);
  }
  spdlog::info("{} symbols on vnstock-sim {}{}", count, env->base_url,
               env->kafka ? ", Kafka " + env->kafka->bootstrap_servers() : "");
  return absl::OkStatus();
}

}  // namespace
}  // namespace vnstream::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  absl::ParseCommandLine(argc, argv);
  vnstream::InitLogging("ingest-bench");
  if (absl::Status s = vnstream::bench::SetUp(); !s.ok()) {
    spdlog::error("set-up: {}", s);
    return 1;
  }
  // The Ingestor logs every cycle; those lines would bury the table.
  spdlog::set_level(spdlog::level::warn);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  vnstream::bench::env->kafka.reset();
  vnstream::bench::env->sim.process.reset();
  std::filesystem::remove_all(vnstream::bench::env->work_dir);
  return 0;
}
