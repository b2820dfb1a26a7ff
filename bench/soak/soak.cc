// Soak: the whole stack under a whole market for a long time, sampled, to
// show that nothing grows that should stay flat. Starts a local Kafka
// broker and PostgreSQL, vnstock-sim serving a synthetic market of
// --symbols securities (real VN30 price paths) at --speed, and the real
// ingest (discovering the universe, shipped schedules and rate limit),
// analytics, store and gateway; opens --streams SubscribeQuotes streams of
// 10 symbols each. Every --sample_every it records, per service: RSS, open
// files and CPU; the consumer lag the services export; and the streams'
// produce -> receive latency (p50, p99) and messages/s over the interval.
//
// At the end it compares the last third of the samples with the first
// third (after --warmup) and prints one verdict per quantity; it exits 1
// if any grew beyond its bound (RSS +20 % and +64 MiB, plus up to 1 KiB per
// item the gateway's caches added meanwhile and 64 B per bar ingest's change
// detection added: a trading day's bars are held by design and released at
// the next day; open files +16, lag
// above 2x and 5,000 records, p50 and p99 above 2x and 50 ms), or if a
// stream or a service died. --judge_timing=false (the CI-sized variant)
// prints lag and latency without judging them.
//
//   scripts/soak.sh                          # 1,600 symbols, 1,000 streams,
//                                            # sim at 10x, 30 min
//   scripts/soak.sh --duration=5m --streams=200
// The CI-sized variant is //bench/soak:soak_smoke_test.
#include <dirent.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "bench/support/quote_streams.h"
#include "bench/support/synthetic_market.h"
#include "libs/base/logging.h"
#include "libs/base/proc_stats.h"
#include "libs/base/subprocess.h"
#include "tests/support/service_process.h"
#include "tools/kafka/local_kafka.h"
#include "tools/postgres/local_postgres.h"

ABSL_FLAG(int, symbols, 1600, "Securities in the simulated market.");
ABSL_FLAG(double, speed, 10, "vnstock-sim's clock speed (x real time).");
ABSL_FLAG(int, streams, 1000, "SubscribeQuotes streams, 10 symbols each.");
ABSL_FLAG(absl::Duration, duration, absl::Minutes(30),
          "Measured time, after the warm-up.");
ABSL_FLAG(absl::Duration, warmup, absl::Minutes(2),
          "Time after start-up before the first sample counts.");
ABSL_FLAG(absl::Duration, sample_every, absl::Minutes(1), "Sampling period.");
ABSL_FLAG(std::string, source_csv, "data/vn30/vn30-daily-2016-2019.csv",
          "Real daily prices the synthetic market replays.");
ABSL_FLAG(std::string, price_interval, "10s",
          "Ingest's price-board interval (shipped: 10s).");
ABSL_FLAG(bool, judge_timing, true,
          "Also judge consumer lag and latency (off in the CI-sized variant: "
          "a shared CI machine's timing is noise, not a verdict).");

namespace vnstream::bench {
namespace {

using testing::ServiceProcess;
using testing::StartService;

struct Service {
  std::string name;
  ServiceProcess process;
  std::string metrics_url;
  std::string grpc_port;
  double last_cpu = 0;
};

struct ServiceSample {
  double rss_mib = 0;
  int open_files = 0;
  double cores = 0;  // CPU over the interval.
  // Items the service holds by design (kHeldData): what its RSS may grow
  // with while the simulated trading day fills in.
  double held_items = 0;
  // The most RSS those items may explain, bytes.
  double held_bytes = 0;
};

// What a service holds by design until the next trading day, and the most
// memory one such item may explain: RSS growth beyond that per added item
// is not data, it is a leak.
struct HeldData {
  const char* metric;
  double max_bytes_each;
};
constexpr HeldData kHeldData[] = {
    // The gateway's caches: a 1-minute bar with its indicators, a daily bar,
    // a quote.
    {"vnstream_gateway_cached_items", 1024},
    // Ingest's change detection: a fingerprint per 1-minute bar.
    {"vnstream_ingest_held_bars", 64},
};

struct Sample {
  absl::Duration at;  // Since the start of the measured period.
  std::map<std::string, ServiceSample> services;
  double lag_records = 0;  // Every consumer's lag, summed.
  absl::Duration p50, p99;
  double messages_per_second = 0;
};

int OpenFiles(pid_t pid) {
  int count = 0;
  DIR* dir = opendir(absl::StrCat("/proc/", pid, "/fd").c_str());
  if (dir == nullptr) return -1;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  closedir(dir);
  return count;
}

// The sum of every sample of the metrics named in `names`.
double SumMetrics(const std::string& exposition,
                  const std::vector<std::string>& names) {
  double total = 0;
  for (absl::string_view line : absl::StrSplit(exposition, '\n')) {
    for (const std::string& name : names) {
      if (!absl::StartsWith(line, name) || line.size() <= name.size() ||
          (line[name.size()] != '{' && line[name.size()] != ' ')) {
        continue;
      }
      double value = 0;
      const size_t space = line.rfind(' ');
      if (absl::SimpleAtod(line.substr(space + 1), &value)) total += value;
    }
  }
  return total;
}

// The gateway logs "gRPC on :G, metrics on :M", the others
// "metrics :M; gRPC :G".
absl::StatusOr<Service> Start(const std::string& name,
                              const std::string& binary,
                              std::vector<std::string> args) {
  args.push_back("--metrics_address=127.0.0.1:0");
  args.push_back("--grpc_address=127.0.0.1:0");
  const bool gateway = name == "gateway";
  absl::StatusOr<ServiceProcess> process =
      StartService(name, binary, args,
                   gateway ? "gRPC on :(\\d+), metrics on :(\\d+)"
                           : "metrics :(\\d+); gRPC :(\\d+)",
                   absl::Minutes(3));
  if (!process.ok()) return process.status();
  Service service{.name = name, .process = *std::move(process)};
  service.metrics_url = absl::StrCat(
      "http://127.0.0.1:", service.process.captured[gateway ? 1 : 0],
      "/metrics");
  service.grpc_port = service.process.captured[gateway ? 0 : 1];
  return service;
}

class Soak {
 public:
  absl::Status Run();
  // 0 if everything stayed flat, 1 if not (printed).
  int Verdict() const;
  // Kafka's and PostgreSQL's data; removed by the caller once the Soak
  // (and with it every process) is gone.
  const std::string& work_dir() const { return work_dir_; }

 private:
  absl::Status StartStack();
  Sample TakeSample(absl::Duration at, absl::Duration interval);

  std::string work_dir_;
  std::vector<std::string> market_;
  std::unique_ptr<kafka::LocalKafka> kafka_;
  std::unique_ptr<postgres::LocalPostgres> postgres_;
  ServiceProcess sim_;
  std::vector<Service> services_;
  std::string gateway_address_;
  std::unique_ptr<QuoteStreams> streams_;
  std::vector<Sample> samples_;
};

absl::Status Soak::StartStack() {
  char dir_template[] = "/tmp/vnstream-soak-XXXXXX";
  if (mkdtemp(dir_template) == nullptr) return absl::InternalError("mkdtemp");
  work_dir_ = dir_template;
  const std::string csv = work_dir_ + "/market.csv";
  const int count = absl::GetFlag(FLAGS_symbols);
  if (absl::Status s =
          WriteSyntheticCsv(testing::Runfile(absl::GetFlag(FLAGS_source_csv)),
                            count, absl::CivilDay(2019, 1, 1), csv);
      !s.ok()) {
    return s;
  }
  market_ = SyntheticSymbols(count);
  absl::StatusOr<std::unique_ptr<kafka::LocalKafka>> kafka =
      kafka::LocalKafka::Start({.work_dir = work_dir_ + "/kafka"});
  if (!kafka.ok()) return kafka.status();
  kafka_ = *std::move(kafka);
  absl::StatusOr<std::unique_ptr<postgres::LocalPostgres>> pg =
      postgres::LocalPostgres::Start({.work_dir = work_dir_ + "/postgres"});
  if (!pg.ok()) return pg.status();
  postgres_ = *std::move(pg);
  // The virtual day loops so the feed never ends, however long the soak.
  absl::StatusOr<ServiceProcess> sim =
      StartService("sim", "tools/vnstock_sim/vnstock-sim",
                   {absl::StrCat("--csv=", csv), "--replay_date=2019-06-14",
                    "--start_time=09:20",
                    absl::StrCat("--speed=", absl::GetFlag(FLAGS_speed)),
                    "--loop", "--port=0", "--host=127.0.0.1"},
                   "listening on 127.0.0.1:(\\d+)", absl::Minutes(2));
  if (!sim.ok()) return sim.status();
  sim_ = *std::move(sim);
  const std::string brokers =
      absl::StrCat("--kafka_brokers=", kafka_->bootstrap_servers());
  const std::string vnstock = absl::StrCat(
      "--vnstock_url=http://127.0.0.1:", sim_.captured[0], "/api/");
  struct Spec {
    const char* name;
    const char* binary;
    std::vector<std::string> args;
  };
  const std::vector<Spec> specs = {
      {"ingest",
       "services/ingest/vnstream-ingest",
       {brokers, vnstock, "--ignore_market_hours",
        absl::StrCat("--price_interval=",
                     absl::GetFlag(FLAGS_price_interval))}},
      {"analytics", "services/analytics/vnstream-analytics", {brokers}},
      // The store backfills the watch list's history only: a whole-market
      // backfill is the store benchmark's subject, not the soak's.
      {"store",
       "services/store/vnstream-store",
       {brokers, vnstock, absl::StrCat("--store_dsn=", postgres_->dsn()),
        "--backfill_symbols=AAA"}},
      // Plaintext without TLS or API keys: explicit benchmark settings (the
      // loopback clients measure the gateway, not TLS or key checks).
      {"gateway",
       "services/gateway/vnstream-gateway",
       {brokers, vnstock, absl::StrCat("--store_dsn=", postgres_->reader_dsn()),
        "--insecure_plaintext",
        "--tls_cert_file=", "--tls_key_file=", "--insecure_no_auth"}},
  };
  for (const Spec& spec : specs) {
    absl::StatusOr<Service> service = Start(spec.name, spec.binary, spec.args);
    if (!service.ok()) return service.status();
    services_.push_back(*std::move(service));
  }
  gateway_address_ = absl::StrCat("127.0.0.1:", services_.back().grpc_port);
  // Quotes of the whole universe before the streams open, so their snapshots
  // are complete; and a gateway that caught up with Kafka, since it refuses
  // streams (UNAVAILABLE) until then.
  for (const auto& [service, line] :
       {std::pair(&services_.front(), "prices poll "),
        std::pair(&services_.back(), "serving")}) {
    if (absl::Status s =
            testing::WaitForLog(service->process, line, absl::Minutes(5))
                .status();
        !s.ok()) {
      return s;
    }
  }
  streams_ = std::make_unique<QuoteStreams>(
      QuoteStreamsOptions{.address = gateway_address_,
                          .streams = absl::GetFlag(FLAGS_streams)},
      market_);
  if (!streams_->WaitEstablished(absl::Minutes(5))) {
    return absl::DeadlineExceededError(
        absl::StrCat(streams_->stats().established.load(), " of ",
                     absl::GetFlag(FLAGS_streams), " streams established"));
  }
  return absl::OkStatus();
}

Sample Soak::TakeSample(absl::Duration at, absl::Duration interval) {
  Sample sample{.at = at};
  for (Service& service : services_) {
    const pid_t pid = service.process.process->pid();
    absl::StatusOr<ProcessStats> stats = ReadProcessStats(pid);
    ServiceSample& s = sample.services[service.name];
    if (!stats.ok()) {
      s.open_files = -1;  // Gone.
      continue;
    }
    s.rss_mib = stats->rss_bytes / (1 << 20);
    s.open_files = OpenFiles(pid);
    s.cores = (stats->cpu_seconds - service.last_cpu) /
              absl::ToDoubleSeconds(interval);
    service.last_cpu = stats->cpu_seconds;
    absl::StatusOr<std::string> metrics = testing::HttpGet(service.metrics_url);
    if (metrics.ok()) {
      for (const HeldData& held : kHeldData) {
        const double items = SumMetrics(*metrics, {held.metric});
        s.held_items += items;
        s.held_bytes += items * held.max_bytes_each;
      }
      sample.lag_records +=
          SumMetrics(*metrics, {"vnstream_analytics_consumer_lag_records",
                                "vnstream_gateway_kafka_lag_records",
                                "vnstream_store_consumer_lag_records"});
    }
  }
  StreamStats& stats = streams_->stats();
  sample.p50 = stats.latency.Percentile(0.5);
  sample.p99 = stats.latency.Percentile(0.99);
  sample.messages_per_second = static_cast<double>(stats.messages.exchange(0)) /
                               absl::ToDoubleSeconds(interval);
  stats.latency.Reset();
  return sample;
}

void PrintSample(const Sample& s) {
  std::string line = absl::StrFormat(
      "%6.1f min  lag %8.0f  p50 %7.2f ms  p99 %7.2f ms  %8.0f msg/s |",
      absl::ToDoubleMinutes(s.at), s.lag_records,
      absl::ToDoubleMilliseconds(s.p50), absl::ToDoubleMilliseconds(s.p99),
      s.messages_per_second);
  for (const auto& [name, v] : s.services) {
    absl::StrAppendFormat(&line, " %s %.0f MiB %d fd %.2f cpu", name, v.rss_mib,
                          v.open_files, v.cores);
    if (v.held_items > 0) {
      absl::StrAppendFormat(&line, " %.0fk held", v.held_items / 1000);
    }
    line += " |";
  }
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

absl::Status Soak::Run() {
  if (absl::Status s = StartStack(); !s.ok()) return s;
  const absl::Duration every = absl::GetFlag(FLAGS_sample_every);
  absl::PrintF(
      "soak: %d securities, vnstock-sim at %gx, %d streams x 10 symbols; "
      "warm-up %s, then %s sampled every %s\n",
      absl::GetFlag(FLAGS_symbols), absl::GetFlag(FLAGS_speed),
      absl::GetFlag(FLAGS_streams),
      absl::FormatDuration(absl::GetFlag(FLAGS_warmup)),
      absl::FormatDuration(absl::GetFlag(FLAGS_duration)),
      absl::FormatDuration(every));
  // A benchmark's measuring windows, not a test's waits.
  absl::SleepFor(absl::GetFlag(FLAGS_warmup));
  TakeSample(absl::ZeroDuration(), absl::GetFlag(FLAGS_warmup));  // Resets.
  const absl::Time start = absl::Now();
  absl::Time last = start;
  while (absl::Now() - start < absl::GetFlag(FLAGS_duration)) {
    absl::SleepFor(every);
    const absl::Time now = absl::Now();
    samples_.push_back(TakeSample(now - start, now - last));
    last = now;
    PrintSample(samples_.back());
  }
  return absl::OkStatus();
}

// Mean of `f` over the samples [from, to).
template <typename F>
double Mean(const std::vector<Sample>& samples, size_t from, size_t to, F f) {
  double total = 0;
  for (size_t i = from; i < to; ++i) total += f(samples[i]);
  return to > from ? total / static_cast<double>(to - from) : 0;
}

int Soak::Verdict() const {
  const size_t n = samples_.size();
  if (n < 3) {
    std::printf("soak: %zu samples, too few to judge\n", n);
    return 1;
  }
  const size_t third = n / 3;
  bool flat = true;
  // One line per quantity: first third -> last third, and whether within
  // its bound.
  // `allowance`: growth explained by data held by design (not judged).
  auto judge = [&](const std::string& what, auto f, double ratio, double slack,
                   const char* unit, bool judged = true, double allowance = 0,
                   const std::string& why = "") {
    const double first = Mean(samples_, 0, third, f);
    const double last = Mean(samples_, n - third, n, f);
    const bool ok = last <= std::max(first * ratio, first + slack) + allowance;
    if (judged) flat &= ok;
    std::printf("  %-28s %10.2f -> %10.2f %-7s %s%s\n", what.c_str(), first,
                last, unit,
                !judged ? "(not judged)"
                : ok    ? "flat"
                        : "GREW",
                why.c_str());
  };
  std::printf("\nsoak verdict (mean of the first third -> the last third):\n");
  for (const auto& [name, unused] : samples_.front().services) {
    const std::string service = name;
    auto growth = [&](auto f) {
      return Mean(samples_, n - third, n, f) - Mean(samples_, 0, third, f);
    };
    const double more_held = growth(
        [&](const Sample& s) { return s.services.at(service).held_items; });
    const double more_held_bytes = growth(
        [&](const Sample& s) { return s.services.at(service).held_bytes; });
    auto rss = [&](const Sample& s) { return s.services.at(service).rss_mib; };
    std::string why;
    if (more_held > 0) {
      why = absl::StrFormat(
          " (with %+.0f held items: %.0f B of RSS per added item; up to %.0f "
          "B each is data, not a leak)",
          more_held, growth(rss) * (1 << 20) / more_held,
          more_held_bytes / more_held);
    }
    judge(service + " RSS", rss, 1.2, 64, "MiB", /*judged=*/true,
          std::max(0.0, more_held_bytes) / (1 << 20), why);
    judge(
        service + " open files",
        [&](const Sample& s) {
          return static_cast<double>(s.services.at(service).open_files);
        },
        1, 16, "");
    for (const Sample& s : samples_) {
      if (s.services.at(service).open_files < 0) {
        std::printf("  %s died\n", service.c_str());
        flat = false;
        break;
      }
    }
  }
  const bool timing = absl::GetFlag(FLAGS_judge_timing);
  judge(
      "consumer lag", [](const Sample& s) { return s.lag_records; }, 2, 5000,
      "records", timing);
  judge(
      "p50 produce -> client",
      [](const Sample& s) { return absl::ToDoubleMilliseconds(s.p50); }, 2, 50,
      "ms", timing);
  judge(
      "p99 produce -> client",
      [](const Sample& s) { return absl::ToDoubleMilliseconds(s.p99); }, 2, 50,
      "ms", timing);
  const double rate_first = Mean(samples_, 0, third, [](const Sample& s) {
    return s.messages_per_second;
  });
  const double rate_last = Mean(samples_, n - third, n, [](const Sample& s) {
    return s.messages_per_second;
  });
  std::printf("  %-28s %10.0f -> %10.0f msg/s\n", "delivered", rate_first,
              rate_last);
  const int64_t failed = streams_->stats().failed.load();
  std::printf("  streams ended by the server: %lld of %d\n",
              static_cast<long long>(failed), absl::GetFlag(FLAGS_streams));
  flat &= failed == 0 && rate_last > 0;
  std::printf("soak: %s\n", flat ? "FLAT" : "NOT FLAT");
  return flat ? 0 : 1;
}

}  // namespace
}  // namespace vnstream::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  vnstream::InitLogging("soak");
  std::string work_dir;
  int rc = 1;
  {
    vnstream::bench::Soak soak;
    if (absl::Status s = soak.Run(); !s.ok()) {
      spdlog::error("soak: {}", s);
    } else {
      rc = soak.Verdict();
    }
    work_dir = soak.work_dir();
  }  // Streams, services, PostgreSQL and Kafka stopped.
  if (!work_dir.empty()) std::filesystem::remove_all(work_dir);
  return rc;
}
