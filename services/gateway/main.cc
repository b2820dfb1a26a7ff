// vnstream-gateway: Kafka -> per-symbol state -> gRPC (unary reads and
// server-streaming subscriptions), with VNStock as the fallback. See
// config.yaml for every setting.
#include <memory>

#include "absl/strings/str_cat.h"
#include "libs/auth/authenticator.h"
#include "libs/base/logging.h"
#include "libs/base/periodic.h"
#include "libs/candles/pg_store.h"
#include "libs/candles/query.h"
#include "libs/pg/pg.h"
#include "libs/service/service_main.h"
#include "libs/vnstock/client.h"
#include "services/gateway/candles.h"
#include "services/gateway/config.h"
#include "services/gateway/fallback.h"
#include "services/gateway/kafka_feed.h"
#include "services/gateway/market_state.h"
#include "services/gateway/metrics.h"
#include "services/gateway/service.h"

namespace vnstream::gateway {
namespace {

int Main(int argc, char** argv) {
  InitService(
      argc, argv, "vnstream-gateway",
      "vnstream-gateway: Kafka -> gRPC market data with VNStock fallback.\n"
      "Settings: flags, VNSTREAM_<FLAG> or --config=FILE.yaml");
  absl::StatusOr<GatewayConfig> config = LoadConfig();
  if (std::optional<int> code = ConfigExit(config.status())) return *code;
  absl::StatusOr<std::unique_ptr<ServiceRuntime>> runtime =
      ServiceRuntime::Create(config->metrics_address);
  if (!runtime.ok()) {
    spdlog::error("{}", runtime.status());
    return 1;
  }
  prometheus::Registry& registry = (*runtime)->registry();
  absl::Notification& stop = (*runtime)->stop();
  GatewayMetrics metrics(registry);
  MarketState state(&metrics);
  (*runtime)->metrics().RegisterCollectable(
      CacheCollector([&state] { return state.Stats(); }));

  std::unique_ptr<vnstock::VciClient> client;
  std::unique_ptr<Fallback> fallback;
  if (config->fallback_enabled) {
    client = std::make_unique<vnstock::VciClient>(config->vnstock,
                                                  &config->calendar, &registry);
    fallback =
        std::make_unique<Fallback>(config->fallback, *client, config->calendar,
                                   config->indicators, state, &metrics);
  }
  // GetCandles: the history store, when one is configured.
  std::unique_ptr<candles::PgCandleStore> store;
  std::unique_ptr<candles::CandleQuery> query;
  if (!config->store.dsn.empty()) {
    store =
        std::make_unique<candles::PgCandleStore>(candles::PgCandleStoreOptions{
            .pool = {.connection = config->store,
                     .max_connections = config->store_connections}});
    query = std::make_unique<candles::CandleQuery>(
        candles::QueryOptions{.indicators = config->indicators}, *store,
        config->calendar);
  }
  CandlesHandler candles(config->candles, query.get(), registry);
  // API keys, re-read while the gateway runs (keys added and revoked live).
  std::unique_ptr<auth::Authenticator> authenticator;
  if (config->auth.has_value()) {
    absl::StatusOr<std::unique_ptr<auth::Authenticator>> made =
        auth::Authenticator::Create(*config->auth, &registry);
    if (!made.ok()) {
      spdlog::error("API keys: {} (insecure_no_auth serves without keys)",
                    made.status());
      return 2;
    }
    authenticator = *std::move(made);
    authenticator->StartWatching();
  } else {
    spdlog::warn(
        "INSECURE: no API keys (insecure_no_auth): anyone who can reach the "
        "gateway may call every RPC, open streams and spend the VNStock "
        "fallback budget, with no per-client quotas; demo and benchmarks "
        "only");
  }
  auto service = std::make_unique<MarketDataServiceImpl>(
      config->service, state, fallback.get(), authenticator.get(), &metrics,
      &candles);
  if (absl::Status s = (*runtime)->StartGrpc(config->grpc, {service.get()});
      !s.ok()) {
    spdlog::error("{}", s);
    return 1;
  }
  GrpcServer& grpc = (*runtime)->grpc();
  spdlog::info(
      "gRPC on :{}, metrics on :{}, Kafka {}, fallback {}, history {}; {}, "
      "{}{}",
      grpc.port(), (*runtime)->metrics().port(), config->kafka_brokers,
      config->fallback_enabled ? config->vnstock.base_url : "off",
      config->store.dsn.empty() ? std::string("off")
                                : pg::DescribeDsn(config->store.dsn),
      grpc.tls()
          ? (config->grpc.tls.client_ca_file.empty() ? "TLS" : "mutual TLS")
          : "PLAINTEXT",
      config->auth.has_value()
          ? absl::StrCat("API keys from ", config->auth->keys_file)
          : std::string("NO API KEYS"),
      grpc.health_port() > 0 ? absl::StrCat(", health on :", grpc.health_port())
                             : "");

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
    for (const ChannelDef& def : Channels()) {
      if (!def.fallback.has_value()) continue;
      const Channel channel = def.id;
      fallback_polls.push_back(std::make_unique<PeriodicTask>(
          def.name, config->fallback_poll[Index(channel)],
          [&service, channel](absl::Time) { service->PollFallback(channel); }));
      fallback_polls.back()->Start();
    }
  }
  // Ready once the state holds everything the topics held at start-up.
  while (!stop.HasBeenNotified() && !feed.CaughtUp()) {
    stop.WaitForNotificationWithTimeout(absl::Milliseconds(100));
  }
  if (!stop.HasBeenNotified()) {
    service->SetReady();
    grpc.SetServing(true);
    spdlog::info("serving");
  }

  stop.WaitForNotification();
  // NOT_SERVING first (load balancers stop sending), then end the streams
  // with UNAVAILABLE, then give unary calls the grace period.
  grpc.SetServing(false);
  service->FinishAllStreams();
  grpc.Shutdown(config->shutdown_grace);
  for (auto& poll : fallback_polls) poll->Stop();
  heartbeats.Stop();
  feed.Stop();
  // The fallback's workers call into the service: stop them first.
  fallback.reset();
  service.reset();
  // After every stream (they hold the identities' slots).
  authenticator.reset();
  spdlog::info("stopped");
  return 0;
}

}  // namespace
}  // namespace vnstream::gateway

int main(int argc, char** argv) { return vnstream::gateway::Main(argc, argv); }
