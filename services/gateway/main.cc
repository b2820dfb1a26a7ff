// vnstream-gateway: Kafka -> per-symbol state -> gRPC (unary reads and
// server-streaming subscriptions), with VNStock as the fallback. See
// config.yaml for every setting.
#include <memory>

#include "absl/synchronization/notification.h"
#include "libs/base/config.h"
#include "libs/base/logging.h"
#include "libs/base/periodic.h"
#include "libs/base/signals.h"
#include "libs/service/grpc_server.h"
#include "libs/service/metrics.h"
#include "libs/vnstock/client.h"
#include "services/gateway/config.h"
#include "services/gateway/fallback.h"
#include "services/gateway/kafka_feed.h"
#include "services/gateway/market_state.h"
#include "services/gateway/metrics.h"
#include "services/gateway/service.h"

namespace vnstream::gateway {
namespace {

int Main(int argc, char** argv) {
  BlockShutdownSignals();
  ParseConfig(
      argc, argv,
      "vnstream-gateway: Kafka -> gRPC market data with VNStock fallback.\n"
      "Settings: flags, VNSTREAM_<FLAG> or --config=FILE.yaml");
  InitLogging("vnstream-gateway");
  absl::StatusOr<GatewayConfig> config = LoadConfig();
  if (!config.ok()) {
    spdlog::error("configuration: {}", config.status());
    return 2;
  }
  if (CheckConfigOnly()) {
    spdlog::info("configuration is valid");
    return 0;
  }
  absl::Notification stop;
  NotifyOnShutdownSignal(&stop);

  absl::StatusOr<std::unique_ptr<MetricsServer>> metrics_server =
      MetricsServer::Start(config->metrics_address);
  if (!metrics_server.ok()) {
    spdlog::error("{}", metrics_server.status());
    return 1;
  }
  prometheus::Registry& registry = (*metrics_server)->registry();
  GatewayMetrics metrics(registry);
  MarketState state(&metrics, config->indicators);
  (*metrics_server)->RegisterCollectable(state.CacheCollector());

  std::unique_ptr<vnstock::VciClient> client;
  std::unique_ptr<Fallback> fallback;
  if (config->fallback_enabled) {
    client = std::make_unique<vnstock::VciClient>(config->vnstock,
                                                  &config->calendar, &registry);
    fallback = std::make_unique<Fallback>(config->fallback, *client,
                                          config->calendar, state, &metrics);
  }
  auto service = std::make_unique<MarketDataServiceImpl>(
      config->service, state, fallback.get(), &metrics);
  absl::StatusOr<std::unique_ptr<GrpcServer>> grpc =
      GrpcServer::Start(config->grpc, {service.get()}, &registry);
  if (!grpc.ok()) {
    spdlog::error("{}", grpc.status());
    return 1;
  }
  spdlog::info("gRPC on :{}, metrics on :{}, Kafka {}, fallback {}",
               (*grpc)->port(), (*metrics_server)->port(),
               config->kafka_brokers,
               config->fallback_enabled ? config->vnstock.base_url : "off");

  KafkaFeed feed({.bootstrap_servers = config->kafka_brokers,
                  .overrides = config->consumer_config},
                 state, &metrics);
  while (!stop.HasBeenNotified()) {
    const absl::Status status = feed.Start();
    if (status.ok()) break;
    spdlog::warn("Kafka not ready, retrying in 2s: {}", status);
    stop.WaitForNotificationWithTimeout(absl::Seconds(2));
  }

  PeriodicTask heartbeats("heartbeats", absl::Seconds(1),
                          [&](absl::Time) { service->Heartbeat(absl::Now()); });
  heartbeats.Start();
  std::vector<std::unique_ptr<PeriodicTask>> fallback_polls;
  if (fallback != nullptr) {
    for (int c = 0; c < kChannels; ++c) {
      const Channel channel = static_cast<Channel>(c);
      fallback_polls.push_back(std::make_unique<PeriodicTask>(
          ChannelName(channel), config->fallback_poll[c],
          [&service, channel](absl::Time) { service->PollFallback(channel); }));
      fallback_polls.back()->Start();
    }
  }
  // Ready once the state holds everything the topics held at start-up.
  while (!stop.HasBeenNotified() && !feed.CaughtUp()) {
    stop.WaitForNotificationWithTimeout(absl::Milliseconds(100));
  }
  if (!stop.HasBeenNotified()) {
    (*grpc)->SetServing(true);
    spdlog::info("serving");
  }

  stop.WaitForNotification();
  // NOT_SERVING first (load balancers stop sending), then end the streams
  // with UNAVAILABLE, then give unary calls the grace period.
  (*grpc)->SetServing(false);
  service->FinishAllStreams();
  (*grpc)->Shutdown(config->shutdown_grace);
  for (auto& poll : fallback_polls) poll->Stop();
  heartbeats.Stop();
  feed.Stop();
  // The fallback's workers call into the service: stop them first.
  fallback.reset();
  service.reset();
  spdlog::info("stopped");
  return 0;
}

}  // namespace
}  // namespace vnstream::gateway

int main(int argc, char** argv) { return vnstream::gateway::Main(argc, argv); }
