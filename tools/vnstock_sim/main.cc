// vnstock-sim: an offline VNStock (VCI) HTTP server backed by a CSV of real
// daily prices, with a virtual clock and fault injection (README.md).
//
//   vnstock-sim --port=0 --today=2019-06-14 --speed=60
//
// The first line on stdout is "vnstock-sim listening on HOST:PORT".
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "libs/base/config.h"
#include "libs/base/logging.h"
#include "libs/base/signals.h"
#include "tools/vnstock_sim/server.h"
#include "tools/vnstock_sim/simulator.h"

ABSL_FLAG(std::string, csv, "data/vn30/vn30-daily-2016-2019.csv",
          "Daily-price CSV (data/vn30/README.md format).");
ABSL_FLAG(std::string, today, "",
          "The date served as today, YYYY-MM-DD, a trading day (default: the "
          "latest trading day in Asia/Ho_Chi_Minh).");
ABSL_FLAG(std::string, replay_date, "",
          "The CSV date replayed as today (default: the CSV's last date).");
ABSL_FLAG(std::string, start_time, "09:00",
          "Virtual local time of day at start, HH:MM[:SS].");
ABSL_FLAG(double, speed, 1,
          "Virtual seconds per real second (0 freezes the clock).");
ABSL_FLAG(bool, loop, false,
          "After 15:00 move on to the next trading day and CSV day at 09:00.");
ABSL_FLAG(std::string, host, "127.0.0.1", "Address to listen on.");
ABSL_FLAG(int, port, 8765, "Port to listen on (0 = an ephemeral port).");
ABSL_FLAG(int, threads, 16, "HTTP worker threads.");
ABSL_FLAG(std::vector<std::string>, faults, {},
          "Faults injected from the start, ROUTE:KIND[:key=value]... "
          "(README.md), e.g. all:slow:probability=0.1:delay_ms=2000.");
ABSL_FLAG(uint64_t, fault_seed, 1, "Seed of the fault probabilities.");
ABSL_FLAG(std::vector<std::string>, delisted, {},
          "CSV symbols left out of the listing and every route from the "
          "start (POST /sim/listing lists them again).");

namespace vnstream::sim {
namespace {

int Main(int argc, char** argv) {
  BlockShutdownSignals();
  ParseConfig(argc, argv, "vnstock-sim [--flags]: an offline VNStock (VCI)");
  InitLogging("vnstock-sim");
  absl::StatusOr<std::unique_ptr<Simulator>> sim = Simulator::Create({
      .csv = absl::GetFlag(FLAGS_csv),
      .today = absl::GetFlag(FLAGS_today),
      .start_time = absl::GetFlag(FLAGS_start_time),
      .speed = absl::GetFlag(FLAGS_speed),
      .replay_date = absl::GetFlag(FLAGS_replay_date),
      .loop = absl::GetFlag(FLAGS_loop),
      .faults = absl::GetFlag(FLAGS_faults),
      .fault_seed = absl::GetFlag(FLAGS_fault_seed),
      .delisted = absl::GetFlag(FLAGS_delisted),
  });
  if (!sim.ok()) {
    spdlog::error("{}", sim.status());
    return 2;
  }
  // The settings are valid once the simulator loaded its CSV and replay
  // date with them.
  if (CheckConfigOnly()) {
    spdlog::info("configuration is valid");
    return 0;
  }
  SimServer server(**sim);
  const std::string host = absl::GetFlag(FLAGS_host);
  absl::StatusOr<int> port = server.Start({
      .host = host,
      .port = absl::GetFlag(FLAGS_port),
      .threads = absl::GetFlag(FLAGS_threads),
  });
  if (!port.ok()) {
    spdlog::error("{}", port.status());
    return 1;
  }
  std::printf("vnstock-sim listening on %s:%d\n", host.c_str(), *port);
  std::fflush(stdout);
  const Snapshot now = (*sim)->clock().Now();
  const market::DailyData& data = (*sim)->market().data();
  spdlog::info(
      "listening on {}:{}; {} symbols and {} simulated indices, CSV {} .. {}; "
      "today {} replays {}, virtual time {}, speed {}{}",
      host, *port, data.symbols.size(), (*sim)->market().indices().size(),
      absl::FormatCivilTime(data.days.front()),
      absl::FormatCivilTime(data.days.back()), absl::FormatCivilTime(now.today),
      absl::FormatCivilTime(data.days[now.replay_index]),
      FormatTimeOfDay(now.now - LocalMidnight(now.today)),
      (*sim)->clock().speed(), (*sim)->clock().loop() ? ", looping" : "");
  const int signal = WaitForShutdownSignal();
  spdlog::info("signal {}: stopping", signal);
  server.Stop();
  return 0;
}

}  // namespace
}  // namespace vnstream::sim

int main(int argc, char** argv) { return vnstream::sim::Main(argc, argv); }
