// vnstream-ingest: discovers the universe from VNStock's listing, polls it
// and publishes stock-prices, stock-intraday, stock-historical and
// stock-instruments. See config.yaml for every setting.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "libs/base/logging.h"
#include "libs/base/periodic.h"
#include "libs/kafka/publisher.h"
#include "libs/service/service_main.h"
#include "libs/vnstock/client.h"
#include "services/ingest/config.h"
#include "services/ingest/ingestor.h"
#include "services/ingest/recovery.h"
#include "services/ingest/universe.h"

namespace vnstream::ingest {
namespace {

std::vector<std::string> AllSymbols(const Universe& universe) {
  std::vector<std::string> all = universe.securities;
  all.insert(all.end(), universe.indices.begin(), universe.indices.end());
  return all;
}

// A universe refresh while the pollers run: newly listed symbols get their
// state recovered from Kafka (a relisted symbol continues its sequences)
// before the pollers switch to the new universe. Returns when to refresh
// next: the interval after a success, the retry period after a failure.
absl::Time RefreshUniverse(const IngestConfig& config, UniverseTracker& tracker,
                           Ingestor& ingestor, absl::Time deadline) {
  const absl::Time retry = absl::Now() + config.universe_retry;
  absl::StatusOr<std::shared_ptr<const Universe>> refreshed =
      tracker.Refresh(deadline);
  if (!refreshed.ok()) return retry;  // Logged and counted by the tracker.
  const std::vector<std::string> old = AllSymbols(*ingestor.universe());
  std::vector<std::string> added;
  for (const std::string& symbol : AllSymbols(**refreshed)) {
    if (std::find(old.begin(), old.end(), symbol) == old.end()) {
      added.push_back(symbol);
    }
  }
  if (!added.empty()) {
    if (absl::Status s =
            RecoverFromKafka(config.kafka_brokers, config.kafka_config, added,
                             ingestor, config.recovery_timeout);
        !s.ok()) {
      spdlog::warn("universe: recovering the state of {} new symbols: {}",
                   added.size(), s);
      return retry;
    }
  }
  ingestor.SetUniverse(*std::move(refreshed));
  return absl::Now() + config.universe_interval;
}

int Main(int argc, char** argv) {
  InitService(
      argc, argv, "vnstream-ingest",
      "vnstream-ingest: VNStock -> Kafka (stock-prices, stock-intraday, "
      "stock-historical, stock-instruments).\nSettings: flags, VNSTREAM_<FLAG> "
      "or "
      "--config=FILE.yaml");
  absl::StatusOr<IngestConfig> config = LoadConfig();
  if (std::optional<int> code = ConfigExit(config.status())) return *code;
  absl::StatusOr<std::unique_ptr<ServiceRuntime>> runtime =
      ServiceRuntime::Create(config->metrics_address);
  if (!runtime.ok()) {
    spdlog::error("{}", runtime.status());
    return 1;
  }
  if (absl::Status s =
          (*runtime)->StartGrpc({.address = config->grpc_address}, {});
      !s.ok()) {
    spdlog::error("{}", s);
    return 1;
  }
  prometheus::Registry& registry = (*runtime)->registry();
  GrpcServer& grpc = (*runtime)->grpc();
  absl::Notification& stop = (*runtime)->stop();
  absl::StatusOr<std::unique_ptr<kafka::Publisher>> publisher =
      kafka::Publisher::Create(
          {.bootstrap_servers = config->kafka_brokers,
           .client_id = "vnstream-ingest",
           .buffer_capacity = config->publish_buffer_records,
           .overrides = config->producer_config},
          registry, "vnstream_ingest");
  if (!publisher.ok()) {
    spdlog::error("{}", publisher.status());
    return 1;
  }
  vnstock::VciClient client(config->vnstock, &config->calendar, &registry);
  Ingestor ingestor(config->ingest, client, **publisher, config->calendar,
                    registry);
  (*runtime)->metrics().RegisterCollectable(ingestor.MarketCollector());
  UniverseTracker tracker(config->universe, client, **publisher, registry);
  spdlog::info("ingesting from {}; Kafka {}; metrics :{}; gRPC :{}",
               config->vnstock.base_url, config->kafka_brokers,
               (*runtime)->metrics().port(), grpc.port());

  // Nothing is published before the topics' state is known: the
  // instruments first, then the universe (VNStock's listing, or what
  // Kafka knows when the listing is unavailable), then the sequence
  // numbers of its symbols.
  auto retry_until_ok = [&](const char* what, auto attempt) {
    while (!stop.HasBeenNotified()) {
      const absl::Status status = attempt();
      if (status.ok()) return;
      spdlog::warn("{} failed, retrying in 5s: {}", what, status);
      stop.WaitForNotificationWithTimeout(absl::Seconds(5));
    }
  };
  retry_until_ok("recovering instruments from Kafka", [&] {
    return RecoverInstruments(config->kafka_brokers, config->kafka_config,
                              tracker, config->recovery_timeout);
  });
  std::shared_ptr<const Universe> universe;
  absl::Time next_refresh;
  while (!stop.HasBeenNotified()) {
    absl::StatusOr<std::shared_ptr<const Universe>> refreshed =
        tracker.Refresh(absl::Now() + config->universe_retry);
    next_refresh = absl::Now() + (refreshed.ok() ? config->universe_interval
                                                 : config->universe_retry);
    universe = refreshed.ok() ? *refreshed : tracker.Recovered();
    if (!universe->securities.empty()) break;
    spdlog::warn(
        "no universe yet (VNStock's listing unavailable, nothing in Kafka); "
        "retrying in {}",
        absl::FormatDuration(config->universe_retry));
    stop.WaitForNotificationWithTimeout(config->universe_retry);
  }
  if (stop.HasBeenNotified()) return 0;
  retry_until_ok("recovering state from Kafka", [&] {
    return RecoverFromKafka(config->kafka_brokers, config->kafka_config,
                            AllSymbols(*universe), ingestor,
                            config->recovery_timeout);
  });
  if (stop.HasBeenNotified()) return 0;
  ingestor.SetUniverse(universe);
  spdlog::info("polling {} securities and {} indices",
               universe->securities.size(), universe->indices.size());

  auto schedule = [&](Schedule which, absl::Duration interval, auto run) {
    return std::make_unique<PeriodicTask>(
        ScheduleName(which), interval, [&, which, run](absl::Time deadline) {
          if (ingestor.ShouldPoll(which, absl::Now()))
            (ingestor.*run)(deadline);
        });
  };
  std::unique_ptr<PeriodicTask> tasks[] = {
      // Ticks every retry period; refreshes when due.
      std::make_unique<PeriodicTask>("universe", config->universe_retry,
                                     [&](absl::Time deadline) {
                                       if (absl::Now() >= next_refresh) {
                                         next_refresh = RefreshUniverse(
                                             *config, tracker, ingestor,
                                             deadline);
                                       }
                                     }),
      schedule(Schedule::kPrices, config->price_interval, &Ingestor::RunPrices),
      schedule(Schedule::kIntraday, config->intraday_interval,
               &Ingestor::RunIntraday),
      schedule(Schedule::kHistory, config->history_interval,
               &Ingestor::RunHistory),
  };
  for (auto& task : tasks) task->Start();
  grpc.SetServing(true);

  stop.WaitForNotification();
  grpc.SetServing(false);
  for (auto& task : tasks) task->Stop();
  if (absl::Status s = (*publisher)->Flush(absl::Seconds(10)); !s.ok()) {
    spdlog::warn("shutdown: {}", s);
  }
  grpc.Shutdown(absl::Seconds(2));
  spdlog::info("stopped");
  return 0;
}

}  // namespace
}  // namespace vnstream::ingest

int main(int argc, char** argv) { return vnstream::ingest::Main(argc, argv); }
