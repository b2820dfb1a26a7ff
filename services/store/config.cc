#include "services/store/config.h"

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "libs/kafka/flags.h"
#include "libs/market/exchange.h"
#include "libs/market/flags.h"
#include "libs/store/flags.h"
#include "libs/vnstock/flags.h"

ABSL_FLAG(std::string, consumer_name, "vnstream-store",
          "Name of this store's Kafka positions in kafka_offsets.");
ABSL_FLAG(std::string, kafka_consumer_config, "",
          "Extra librdkafka consumer settings, key=value,...");
ABSL_FLAG(int, batch_rows, 5000, "Rows that make a write batch full.");
ABSL_FLAG(absl::Duration, batch_wait, absl::Milliseconds(500),
          "A batch that is not full is written after this long.");
ABSL_FLAG(absl::Duration, write_timeout, absl::Seconds(30),
          "Deadline of one write transaction.");
ABSL_FLAG(absl::Duration, retry_backoff, absl::Milliseconds(200),
          "First wait before a failed batch is written again (doubles).");
ABSL_FLAG(absl::Duration, max_retry_backoff, absl::Seconds(10),
          "Longest wait between attempts to write a batch.");
ABSL_FLAG(int, minute_partitions_ahead, 2,
          "Monthly partitions of minute_bars created ahead of time.");
ABSL_FLAG(int, minute_retention_months, 0,
          "Months of 1-minute bars kept, counting the current month; older "
          "partitions are dropped (0 = keep everything).");
ABSL_FLAG(absl::Duration, maintenance_interval, absl::Hours(1),
          "How often partitions are created ahead and old ones dropped.");
ABSL_FLAG(bool, backfill_on_start, true,
          "Backfill at start-up (finished symbols are skipped).");
ABSL_FLAG(std::vector<std::string>, backfill_symbols,
          std::vector<std::string>({"FPT", "SSI", "VCB", "VHM", "HPG", "GAS",
                                    "MSN", "MWG", "GVR", "VIC"}),
          "The backfill's universe while the instruments table lists none.");
ABSL_FLAG(int, backfill_daily_bars, 5000,
          "Daily bars asked for per symbol (~20 years).");
ABSL_FLAG(int, backfill_minute_bars, 5000,
          "1-minute bars per request when walking back the history.");
ABSL_FLAG(int, backfill_max_minute_pages, 200,
          "Requests of 1-minute bars per symbol at most.");
ABSL_FLAG(int, backfill_group_size, 20,
          "Symbols fetched together (daily bars, newest 1-minute page).");
ABSL_FLAG(bool, backfill_refresh, false,
          "Backfill symbols already finished again.");
ABSL_FLAG(absl::Duration, backfill_progress_interval, absl::Seconds(10),
          "How often the backfill logs its progress.");
ABSL_FLAG(std::string, grpc_address, "0.0.0.0:50054",
          "gRPC health + reflection listen address.");
ABSL_FLAG(std::string, metrics_address, "0.0.0.0:9104",
          "Prometheus /metrics address.");

namespace vnstream::store {

absl::StatusOr<StoreConfig> LoadConfig() {
  StoreConfig config;
  absl::StatusOr<pg::ConnectionOptions> database =
      ConnectionOptionsFromFlags("vnstream-store");
  if (!database.ok()) return database.status();
  // An empty store_dsn is libpq's environment (PGHOST, PGUSER, ...), as
  // deploy/k8s sets it.
  config.database = *std::move(database);
  config.consumer_name = absl::GetFlag(FLAGS_consumer_name);
  if (config.consumer_name.empty()) {
    return absl::InvalidArgumentError("consumer_name must not be empty");
  }
  ConsumerOptions& consumer = config.consumer;
  consumer.bootstrap_servers = kafka::BrokersFromFlags();
  absl::StatusOr<kafka::ConfigMap> common = kafka::ClientConfigFromFlags();
  if (!common.ok()) return common.status();
  absl::StatusOr<kafka::ConfigMap> extra =
      kafka::ParseConfigList(absl::GetFlag(FLAGS_kafka_consumer_config));
  if (!extra.ok()) return extra.status();
  consumer.overrides = kafka::Merge(*common, *extra);
  consumer.batch_wait = absl::GetFlag(FLAGS_batch_wait);
  consumer.retry_backoff = absl::GetFlag(FLAGS_retry_backoff);
  consumer.max_retry_backoff = absl::GetFlag(FLAGS_max_retry_backoff);
  if (absl::GetFlag(FLAGS_batch_rows) < 1 ||
      consumer.batch_wait <= absl::ZeroDuration() ||
      consumer.retry_backoff <= absl::ZeroDuration() ||
      consumer.max_retry_backoff < consumer.retry_backoff) {
    return absl::InvalidArgumentError(
        "batch_rows, batch_wait and retry_backoff must be positive, "
        "max_retry_backoff >= retry_backoff");
  }
  config.sink.batch_rows = static_cast<size_t>(absl::GetFlag(FLAGS_batch_rows));
  config.sink.write_timeout = absl::GetFlag(FLAGS_write_timeout);
  if (config.sink.write_timeout < absl::Seconds(1)) {
    return absl::InvalidArgumentError("write_timeout must be at least 1s");
  }
  MaintenanceOptions& maintenance = config.maintenance;
  maintenance.months_ahead = absl::GetFlag(FLAGS_minute_partitions_ahead);
  maintenance.retention_months = absl::GetFlag(FLAGS_minute_retention_months);
  maintenance.interval = absl::GetFlag(FLAGS_maintenance_interval);
  if (maintenance.months_ahead < 0 || maintenance.retention_months < 0 ||
      maintenance.interval < absl::Seconds(1)) {
    return absl::InvalidArgumentError(
        "minute_partitions_ahead and minute_retention_months must not be "
        "negative, maintenance_interval at least 1s");
  }
  BackfillOptions& backfill = config.backfill;
  for (const std::string& symbol : absl::GetFlag(FLAGS_backfill_symbols)) {
    const std::string normalized = market::NormalizeSymbol(symbol);
    if (!market::IsValidSymbol(normalized)) {
      return absl::InvalidArgumentError(
          absl::StrCat("backfill_symbols: '", symbol, "' is not a ticker"));
    }
    backfill.symbols.push_back(normalized);
  }
  backfill.daily_bars = absl::GetFlag(FLAGS_backfill_daily_bars);
  backfill.minute_bars_per_request = absl::GetFlag(FLAGS_backfill_minute_bars);
  backfill.max_minute_pages = absl::GetFlag(FLAGS_backfill_max_minute_pages);
  backfill.group_size = absl::GetFlag(FLAGS_backfill_group_size);
  backfill.refresh = absl::GetFlag(FLAGS_backfill_refresh);
  backfill.progress_interval = absl::GetFlag(FLAGS_backfill_progress_interval);
  if (backfill.daily_bars < 1 || backfill.minute_bars_per_request < 1 ||
      backfill.max_minute_pages < 1 || backfill.group_size < 1 ||
      backfill.progress_interval < absl::Seconds(1)) {
    return absl::InvalidArgumentError(
        "backfill_daily_bars, backfill_minute_bars, backfill_max_minute_pages "
        "and backfill_group_size must be positive, "
        "backfill_progress_interval at least 1s");
  }
  config.backfill_on_start = absl::GetFlag(FLAGS_backfill_on_start);
  absl::StatusOr<vnstock::VciClientOptions> vnstock =
      vnstock::VciClientOptionsFromFlags();
  if (!vnstock.ok()) return vnstock.status();
  config.vnstock = *std::move(vnstock);
  absl::StatusOr<market::TradingCalendar> calendar =
      market::CalendarFromFlags();
  if (!calendar.ok()) return calendar.status();
  config.calendar = *std::move(calendar);
  config.grpc_address = absl::GetFlag(FLAGS_grpc_address);
  config.metrics_address = absl::GetFlag(FLAGS_metrics_address);
  return config;
}

}  // namespace vnstream::store
