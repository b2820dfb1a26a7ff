#include "services/ingest/config.h"

#include <fstream>

#include "absl/container/flat_hash_set.h"
#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/kafka/flags.h"
#include "libs/market/exchange.h"
#include "libs/market/flags.h"
#include "libs/vnstock/flags.h"

ABSL_FLAG(std::vector<std::string>, symbols,
          std::vector<std::string>({"FPT", "SSI", "VCB", "VHM", "HPG", "GAS",
                                    "MSN", "MWG", "GVR", "VIC"}),
          "Tickers to ingest (comma-separated).");
ABSL_FLAG(std::string, symbols_file, "",
          "File with more tickers, one per line or comma-separated ('#' starts "
          "a comment); added to --symbols. For the whole market.");
ABSL_FLAG(absl::Duration, price_interval, absl::Seconds(10),
          "Price-board poll period.");
ABSL_FLAG(absl::Duration, intraday_interval, absl::Seconds(60),
          "1-minute bars poll period.");
ABSL_FLAG(absl::Duration, history_interval, absl::Minutes(5),
          "Daily history poll period.");
ABSL_FLAG(int, intraday_bars, 300,
          "1-minute bars requested per poll (a day has 226).");
ABSL_FLAG(int, history_bars, 260, "Daily bars per history record (~1 year).");
ABSL_FLAG(bool, ignore_market_hours, false,
          "Poll around the clock (demos, vnstock-sim's virtual market).");
ABSL_FLAG(std::string, kafka_producer_config, "",
          "Extra librdkafka producer settings, key=value[,...].");
ABSL_FLAG(int64_t, publish_buffer_records, 200000,
          "Records buffered while Kafka is unreachable; beyond it the oldest "
          "are dropped "
          "(vnstream_ingest_records_lost_total{reason=\"buffer_full\"}).");
ABSL_FLAG(absl::Duration, recovery_timeout, absl::Minutes(2),
          "Time allowed to read sequence state back from Kafka at start-up "
          "(retried until it succeeds).");
ABSL_FLAG(std::string, grpc_address, "0.0.0.0:50052",
          "gRPC health + reflection listen address.");
ABSL_FLAG(std::string, metrics_address, "0.0.0.0:9101",
          "Prometheus /metrics address.");

namespace vnstream::ingest {
namespace {

absl::StatusOr<std::vector<std::string>> Symbols() {
  std::vector<std::string> raw = absl::GetFlag(FLAGS_symbols);
  if (const std::string path = absl::GetFlag(FLAGS_symbols_file);
      !path.empty()) {
    std::ifstream in(path);
    if (!in)
      return absl::NotFoundError(
          absl::StrCat("symbols_file: cannot read ", path));
    for (std::string line; std::getline(in, line);) {
      line = line.substr(0, line.find('#'));
      for (absl::string_view s :
           absl::StrSplit(line, absl::ByAnyChar(", \t"), absl::SkipEmpty())) {
        raw.emplace_back(s);
      }
    }
  }
  std::vector<std::string> symbols;
  absl::flat_hash_set<std::string> seen;
  for (const std::string& s : raw) {
    std::string symbol = market::NormalizeSymbol(s);
    if (symbol.empty()) continue;
    if (!market::IsValidSymbol(symbol)) {
      return absl::InvalidArgumentError(
          absl::StrCat("symbols: '", s, "' is not a ticker"));
    }
    if (seen.insert(symbol).second) symbols.push_back(std::move(symbol));
  }
  if (symbols.empty())
    return absl::InvalidArgumentError("symbols: none configured");
  return symbols;
}

}  // namespace

absl::StatusOr<IngestConfig> LoadConfig() {
  IngestConfig config;
  absl::StatusOr<std::vector<std::string>> symbols = Symbols();
  if (!symbols.ok()) return symbols.status();
  config.ingest.symbols = *std::move(symbols);
  config.ingest.intraday_count_back = absl::GetFlag(FLAGS_intraday_bars);
  config.ingest.history_bars = absl::GetFlag(FLAGS_history_bars);
  config.ingest.ignore_market_hours = absl::GetFlag(FLAGS_ignore_market_hours);
  if (config.ingest.intraday_count_back < 1 || config.ingest.history_bars < 1) {
    return absl::InvalidArgumentError(
        "intraday_bars and history_bars must be positive");
  }
  absl::StatusOr<vnstock::VciClientOptions> vnstock =
      vnstock::VciClientOptionsFromFlags();
  if (!vnstock.ok()) return vnstock.status();
  config.vnstock = *std::move(vnstock);
  absl::StatusOr<market::TradingCalendar> calendar =
      market::CalendarFromFlags();
  if (!calendar.ok()) return calendar.status();
  config.calendar = *std::move(calendar);
  config.price_interval = absl::GetFlag(FLAGS_price_interval);
  config.intraday_interval = absl::GetFlag(FLAGS_intraday_interval);
  config.history_interval = absl::GetFlag(FLAGS_history_interval);
  for (absl::Duration d : {config.price_interval, config.intraday_interval,
                           config.history_interval}) {
    if (d < absl::Seconds(1)) {
      return absl::InvalidArgumentError("poll intervals must be at least 1s");
    }
  }
  config.kafka_brokers = kafka::BrokersFromFlags();
  absl::StatusOr<kafka::ConfigMap> kafka_config =
      kafka::ClientConfigFromFlags();
  if (!kafka_config.ok()) return kafka_config.status();
  config.kafka_config = *std::move(kafka_config);
  absl::StatusOr<kafka::ConfigMap> producer =
      kafka::ParseConfigList(absl::GetFlag(FLAGS_kafka_producer_config));
  if (!producer.ok()) return producer.status();
  config.producer_config = kafka::Merge(config.kafka_config, *producer);
  if (absl::GetFlag(FLAGS_publish_buffer_records) < 1) {
    return absl::InvalidArgumentError(
        "publish_buffer_records must be positive");
  }
  config.publish_buffer_records =
      static_cast<size_t>(absl::GetFlag(FLAGS_publish_buffer_records));
  config.recovery_timeout = absl::GetFlag(FLAGS_recovery_timeout);
  config.grpc_address = absl::GetFlag(FLAGS_grpc_address);
  config.metrics_address = absl::GetFlag(FLAGS_metrics_address);
  return config;
}

}  // namespace vnstream::ingest
