// The gateway's configuration: flags (see config.yaml for every key), the
// environment and the YAML file, validated into one struct.
#ifndef VNSTREAM_SERVICES_GATEWAY_CONFIG_H_
#define VNSTREAM_SERVICES_GATEWAY_CONFIG_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/auth/authenticator.h"
#include "libs/indicators/indicators.h"
#include "libs/kafka/client_config.h"
#include "libs/market/calendar.h"
#include "libs/pg/pg.h"
#include "libs/service/grpc_server.h"
#include "libs/vnstock/client.h"
#include "services/gateway/candles.h"
#include "services/gateway/channel.h"
#include "services/gateway/fallback.h"
#include "services/gateway/service.h"

namespace vnstream::gateway {

struct GatewayConfig {
  GrpcServerOptions grpc;
  // API keys: every MarketDataService call needs one. Unset only with
  // insecure_no_auth (no authentication, no per-identity quotas).
  std::optional<auth::AuthOptions> auth;
  ServiceOptions service;
  bool fallback_enabled = true;
  FallbackOptions fallback;
  // How often symbols with subscribers but no Kafka data are re-fetched,
  // for channels with a fallback.
  PerChannel<absl::Duration> fallback_poll;
  vnstock::VciClientOptions vnstock;
  market::TradingCalendar calendar;
  // For the history the fallback fetches and enriches itself.
  indicators::Params indicators;
  std::string kafka_brokers;
  kafka::ConfigMap consumer_config;
  absl::Duration shutdown_grace;
  // The history store for GetCandles (dsn empty: none) and its pool size.
  pg::ConnectionOptions store;
  int store_connections = 4;
  CandlesOptions candles;
  std::string metrics_address;
};

// Reads and validates the flags (after ParseConfig).
absl::StatusOr<GatewayConfig> LoadConfig();

}  // namespace vnstream::gateway

#endif  // VNSTREAM_SERVICES_GATEWAY_CONFIG_H_
