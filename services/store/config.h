// The store's configuration: flags (see config.yaml for every key), the
// environment and the YAML file, validated into one struct.
#ifndef VNSTREAM_SERVICES_STORE_CONFIG_H_
#define VNSTREAM_SERVICES_STORE_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/market/calendar.h"
#include "libs/pg/pg.h"
#include "libs/vnstock/client.h"
#include "services/store/backfill.h"
#include "services/store/consumer.h"
#include "services/store/maintenance.h"
#include "services/store/sink.h"

namespace vnstream::store {

struct StoreConfig {
  pg::ConnectionOptions database;
  // kafka_offsets.consumer of this store.
  std::string consumer_name;
  ConsumerOptions consumer;
  SinkOptions sink;
  MaintenanceOptions maintenance;
  BackfillOptions backfill;
  // Run a backfill at start-up (finished symbols are skipped, so this
  // resumes an interrupted one and picks up new listings).
  bool backfill_on_start = true;
  vnstock::VciClientOptions vnstock;
  market::TradingCalendar calendar;
  std::string grpc_address;
  std::string metrics_address;
};

// Reads and validates the flags (after ParseConfig).
absl::StatusOr<StoreConfig> LoadConfig();

}  // namespace vnstream::store

#endif  // VNSTREAM_SERVICES_STORE_CONFIG_H_
