// ingest's configuration: flags (see config.yaml for every key with its
// meaning), the environment and the YAML file, validated into one struct.
#ifndef VNSTREAM_SERVICES_INGEST_CONFIG_H_
#define VNSTREAM_SERVICES_INGEST_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/kafka/client_config.h"
#include "libs/market/calendar.h"
#include "libs/vnstock/client.h"
#include "services/ingest/ingestor.h"
#include "services/ingest/universe.h"

namespace vnstream::ingest {

struct IngestConfig {
  IngestOptions ingest;
  UniverseOptions universe;
  absl::Duration universe_interval;
  absl::Duration universe_retry;
  vnstock::VciClientOptions vnstock;
  market::TradingCalendar calendar;
  absl::Duration price_interval;
  absl::Duration intraday_interval;
  absl::Duration history_interval;
  std::string kafka_brokers;
  kafka::ConfigMap kafka_config;
  kafka::ConfigMap producer_config;
  size_t publish_buffer_records = 0;
  absl::Duration recovery_timeout;
  std::string grpc_address;
  std::string metrics_address;
};

// Reads and validates the flags (after ParseConfig).
absl::StatusOr<IngestConfig> LoadConfig();

}  // namespace vnstream::ingest

#endif  // VNSTREAM_SERVICES_INGEST_CONFIG_H_
