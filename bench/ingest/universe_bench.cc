// Whole-universe ingest under the production rate limit. vnstock-sim
// serves a synthetic market of --symbols securities (getAll lists them all,
// plus the five simulated indices); the real vnstream-ingest discovers it
// (no --symbols: the shipped defaults, every stock and ETF) and polls it on
// the shipped schedules (price board every 10 s, 1-minute bars every 60 s,
// history every 5 min) into a local Kafka broker. Two runs:
//   limited    the shipped VNStock limit (300 requests/min, burst 40)
//   unlimited  the limit lifted: the baseline, what this machine does
// Each reports, over a window after start-up (the universe discovered,
// the first cycle of every schedule done): the price-board cycle time
// (median, p90 and max of the "prices poll" log lines), and the VNStock
// requests per minute by endpoint (ingest's vnstream_vnstock_requests_total
// over the window). Printed: the numbers, limited/unlimited cycle time,
// and requests/min against the limit.
//
// The simulated clock is frozen (--speed=0), so after the first cycle
// quotes are unchanged: fetching and parsing dominate, as they do live.
//
//   bazel run -c opt //bench/ingest:universe_bench
//   bazel run -c opt //bench/ingest:universe_bench -- --window=330s
//       (a window over 5 min includes a history poll)
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "bench/support/synthetic_market.h"
#include "libs/base/logging.h"
#include "tests/support/service_process.h"
#include "tools/kafka/local_kafka.h"

ABSL_FLAG(int, symbols, 1600, "Securities in the simulated market.");
ABSL_FLAG(std::string, source_csv, "data/vn30/vn30-daily-2016-2019.csv",
          "Real daily prices the synthetic market replays.");
ABSL_FLAG(absl::Duration, window, absl::Seconds(120),
          "Measured time per run, after start-up.");
ABSL_FLAG(bool, baseline, true,
          "Also run with the rate limit lifted (the baseline).");

namespace vnstream::bench {
namespace {

using testing::ServiceProcess;

struct RunResult {
  int securities = 0;
  int indices = 0;
  std::vector<double> cycle_seconds;       // Price-board polls in the window.
  std::map<std::string, double> requests;  // By endpoint, in the window.
  absl::Duration window;
};

// HTTP requests sent, by endpoint (vnstream_vnstock_requests_total over
// every outcome but the two that send nothing, circuit_open and
// rate_limited; those are counted as "not sent: <outcome>").
constexpr absl::string_view kNotSent = "not sent: ";

std::map<std::string, double> Requests(const std::string& metrics_url) {
  std::map<std::string, double> out;
  absl::StatusOr<std::string> text = testing::HttpGet(metrics_url);
  if (!text.ok()) return out;
  static const std::regex kLine(
      R"re(^vnstream_vnstock_requests_total\{endpoint="([a-z_]+)",outcome="([a-z_0-9]+)"\} ([0-9.e+]+)$)re");
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    const std::string s(line);
    std::smatch sm;
    double value = 0;
    if (!std::regex_match(s, sm, kLine) ||
        !absl::SimpleAtod(sm[3].str(), &value)) {
      continue;
    }
    const bool sent = sm[2] != "circuit_open" && sm[2] != "rate_limited";
    out[sent ? sm[1].str() : absl::StrCat(kNotSent, sm[2].str())] += value;
  }
  return out;
}

std::string ReadFrom(const std::string& path, size_t offset) {
  std::ifstream in(path, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(offset));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

size_t FileSize(const std::string& path) {
  std::error_code error;
  const auto size = std::filesystem::file_size(path, error);
  return error ? 0 : static_cast<size_t>(size);
}

absl::StatusOr<RunResult> Run(const std::string& name, const std::string& csv,
                              const std::string& work_dir,
                              const std::vector<std::string>& extra) {
  // A fresh broker and simulator per run: neither run inherits the
  // other's topics (ingest recovers them at start-up) or sim state.
  absl::StatusOr<std::unique_ptr<kafka::LocalKafka>> kafka =
      kafka::LocalKafka::Start({.work_dir = work_dir + "/kafka-" + name});
  if (!kafka.ok()) return kafka.status();
  absl::StatusOr<ServiceProcess> sim = testing::StartService(
      "sim-" + name, "tools/vnstock_sim/vnstock-sim",
      {absl::StrCat("--csv=", csv), "--today=2019-06-14", "--start_time=10:30",
       "--speed=0", "--port=0", "--host=127.0.0.1"},
      "listening on 127.0.0.1:(\\d+)", absl::Seconds(120));
  if (!sim.ok()) return sim.status();
  std::vector<std::string> args = {
      absl::StrCat("--kafka_brokers=", (*kafka)->bootstrap_servers()),
      absl::StrCat("--vnstock_url=http://127.0.0.1:", sim->captured[0],
                   "/api/"),
      "--ignore_market_hours", "--metrics_address=127.0.0.1:0",
      "--grpc_address=127.0.0.1:0"};
  args.insert(args.end(), extra.begin(), extra.end());
  absl::StatusOr<ServiceProcess> ingest =
      testing::StartService("ingest-" + name, "services/ingest/vnstream-ingest",
                            args, "metrics :(\\d+); gRPC :(\\d+)");
  if (!ingest.ok()) return ingest.status();
  RunResult result;
  absl::StatusOr<std::vector<std::string>> universe = testing::WaitForLog(
      *ingest, "polling (\\d+) securities and (\\d+) indices",
      absl::Minutes(3));
  if (!universe.ok()) return universe.status();
  (void)absl::SimpleAtoi((*universe)[0], &result.securities);
  (void)absl::SimpleAtoi((*universe)[1], &result.indices);
  for (const char* schedule : {"prices", "intraday", "history"}) {
    if (absl::Status s =
            testing::WaitForLog(*ingest, absl::StrCat(schedule, " poll "),
                                absl::Minutes(3))
                .status();
        !s.ok()) {
      return s;
    }
  }
  const std::string metrics_url =
      absl::StrCat("http://127.0.0.1:", ingest->captured[0], "/metrics");
  const size_t offset = FileSize(ingest->log_path);
  const std::map<std::string, double> before = Requests(metrics_url);
  const absl::Time start = absl::Now();
  // A benchmark's measuring window, not a test's wait.
  absl::SleepFor(absl::GetFlag(FLAGS_window));
  const std::map<std::string, double> after = Requests(metrics_url);
  result.window = absl::Now() - start;
  for (const auto& [endpoint, count] : after) {
    auto it = before.find(endpoint);
    result.requests[endpoint] = count - (it == before.end() ? 0 : it->second);
  }
  // "prices poll ok: fetched N, ..., failed batches 0, 1.234s"
  static const std::regex kPoll(R"(prices poll [a-z]+: .*, ([0-9.]+)(ms|s)$)");
  for (absl::string_view line :
       absl::StrSplit(ReadFrom(ingest->log_path, offset), '\n')) {
    const std::string s(line);
    std::smatch m;
    if (std::regex_search(s, m, kPoll)) {
      double value = 0;
      if (!absl::SimpleAtod(m[1].str(), &value)) continue;
      result.cycle_seconds.push_back(m[2] == "ms" ? value / 1e3 : value);
    }
  }
  if (result.cycle_seconds.empty()) {
    return absl::InternalError(
        absl::StrCat("no price poll in the window; see ", ingest->log_path));
  }
  std::sort(result.cycle_seconds.begin(), result.cycle_seconds.end());
  return result;
}

double Quantile(const std::vector<double>& sorted, double q) {
  return sorted[std::min(
      sorted.size() - 1,
      static_cast<size_t>(q * static_cast<double>(sorted.size())))];
}

double PerMinute(const RunResult& r, double count) {
  return count / absl::ToDoubleMinutes(r.window);
}

double TotalPerMinute(const RunResult& r) {
  double total = 0;
  for (const auto& [endpoint, count] : r.requests) {
    if (!absl::StartsWith(endpoint, kNotSent)) total += count;
  }
  return PerMinute(r, total);
}

void Print(const std::string& name, const RunResult& r) {
  std::printf(
      "%-9s  %d securities + %d indices; %zu price cycles in %.0f s: median "
      "%.2f s, p90 %.2f s, max %.2f s\n",
      name.c_str(), r.securities, r.indices, r.cycle_seconds.size(),
      absl::ToDoubleSeconds(r.window), Quantile(r.cycle_seconds, 0.5),
      Quantile(r.cycle_seconds, 0.9), r.cycle_seconds.back());
  std::printf("%-9s  requests/min: total %.1f", name.c_str(),
              TotalPerMinute(r));
  for (const auto& [endpoint, count] : r.requests) {
    if (count > 0)
      std::printf(", %s %.1f", endpoint.c_str(), PerMinute(r, count));
  }
  std::printf("\n");
}

int Main() {
  char dir_template[] = "/tmp/vnstream-universe-bench-XXXXXX";
  if (mkdtemp(dir_template) == nullptr) return 1;
  const std::string work_dir = dir_template;
  const std::string csv = work_dir + "/market.csv";
  const int count = absl::GetFlag(FLAGS_symbols);
  if (absl::Status s =
          WriteSyntheticCsv(testing::Runfile(absl::GetFlag(FLAGS_source_csv)),
                            count, absl::CivilDay(2019, 1, 1), csv);
      !s.ok()) {
    spdlog::error("{}", s);
    return 1;
  }
  constexpr double kLimit = 300;  // VciClientOptions' default, per minute.
  absl::StatusOr<RunResult> limited = Run("limited", csv, work_dir, {});
  if (!limited.ok()) {
    spdlog::error("limited run: {}", limited.status());
    return 1;
  }
  Print("limited", *limited);
  std::printf("limited    requests/min vs the 300/min limit: %.2f\n",
              TotalPerMinute(*limited) / kLimit);
  std::printf("limited    median cycle vs the 10 s price interval: %.2f\n",
              Quantile(limited->cycle_seconds, 0.5) / 10.0);
  if (absl::GetFlag(FLAGS_baseline)) {
    absl::StatusOr<RunResult> unlimited =
        Run("unlimited", csv, work_dir,
            {"--vnstock_requests_per_minute=1000000000",
             "--vnstock_burst=1000000"});
    if (!unlimited.ok()) {
      spdlog::error("unlimited run: {}", unlimited.status());
      return 1;
    }
    Print("unlimited", *unlimited);
    std::printf("ratio      median cycle limited / unlimited: %.2f\n",
                Quantile(limited->cycle_seconds, 0.5) /
                    Quantile(unlimited->cycle_seconds, 0.5));
  }
  std::filesystem::remove_all(work_dir);
  return 0;
}

}  // namespace
}  // namespace vnstream::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  vnstream::InitLogging("universe-bench");
  return vnstream::bench::Main();
}
