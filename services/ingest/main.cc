// vnstream-ingest: polls VNStock and publishes stock-prices, stock-intraday
// and stock-historical. See config.yaml for every setting.
#include <memory>

#include "libs/base/logging.h"
#include "libs/base/periodic.h"
#include "libs/kafka/publisher.h"
#include "libs/service/service_main.h"
#include "libs/vnstock/client.h"
#include "services/ingest/config.h"
#include "services/ingest/ingestor.h"
#include "services/ingest/recovery.h"

namespace vnstream::ingest {
namespace {

int Main(int argc, char** argv) {
  InitService(
      argc, argv, "vnstream-ingest",
      "vnstream-ingest: VNStock -> Kafka (stock-prices, stock-intraday, "
      "stock-historical).\nSettings: flags, VNSTREAM_<FLAG> or "
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
  spdlog::info("ingesting {} symbols from {}; Kafka {}; metrics :{}; gRPC :{}",
               config->ingest.symbols.size(), config->vnstock.base_url,
               config->kafka_brokers, (*runtime)->metrics().port(),
               grpc.port());

  // Sequence numbers continue where the topics end; nothing is published
  // before that is known.
  while (!stop.HasBeenNotified()) {
    const absl::Status status = RecoverFromKafka(
        config->kafka_brokers, config->kafka_config, config->ingest.symbols,
        ingestor, config->recovery_timeout);
    if (status.ok()) break;
    spdlog::warn("recovering state from Kafka failed, retrying in 5s: {}",
                 status);
    stop.WaitForNotificationWithTimeout(absl::Seconds(5));
  }
  if (stop.HasBeenNotified()) return 0;

  auto schedule = [&](Schedule which, absl::Duration interval, auto run) {
    return std::make_unique<PeriodicTask>(
        ScheduleName(which), interval, [&, which, run](absl::Time deadline) {
          if (ingestor.ShouldPoll(which, absl::Now()))
            (ingestor.*run)(deadline);
        });
  };
  std::unique_ptr<PeriodicTask> tasks[] = {
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
