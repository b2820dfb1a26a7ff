#include "services/ingest/config.h"

#include <algorithm>
#include <fstream>

#include "absl/container/flat_hash_set.h"
#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/kafka/flags.h"
#include "libs/market/exchange.h"
#include "libs/market/flags.h"
#include "libs/market/instruments.h"
#include "libs/vnstock/flags.h"

ABSL_FLAG(std::vector<std::string>, symbols, {},
          "Tickers to ingest (comma-separated): the explicit form of the "
          "universe. Empty: discover it from VNStock's listing "
          "(universe_*).");
ABSL_FLAG(std::string, symbols_file, "",
          "File with more tickers, one per line or comma-separated ('#' starts "
          "a comment); added to --symbols.");
ABSL_FLAG(std::vector<std::string>, universe_exchanges,
          std::vector<std::string>({"HOSE", "HNX", "UPCOM"}),
          "Discovery: exchanges whose securities are ingested.");
ABSL_FLAG(std::vector<std::string>, universe_types,
          std::vector<std::string>({"STOCK", "ETF"}),
          "Discovery: security types ingested (STOCK, ETF, CW, BOND).");
ABSL_FLAG(std::vector<std::string>, universe_groups, {},
          "Discovery: only members of these index groups (e.g. VN30); empty: "
          "no group filter.");
ABSL_FLAG(std::vector<std::string>, instrument_groups,
          std::vector<std::string>({"VN30", "VN100", "VNMidCap", "VNSmallCap",
                                    "HNX30"}),
          "Index groups fetched to fill each instrument's groups.");
ABSL_FLAG(std::vector<std::string>, indices,
          std::vector<std::string>({"VNINDEX", "VN30", "HNXINDEX", "HNX30",
                                    "UPCOMINDEX"}),
          "Indices ingested (quotes, 1-minute bars, history).");
ABSL_FLAG(absl::Duration, universe_interval, absl::Hours(24),
          "How often the listing is fetched again (new and delisted "
          "symbols).");
ABSL_FLAG(absl::Duration, universe_retry, absl::Minutes(1),
          "Retry period of a failed listing refresh.");
ABSL_FLAG(int, universe_max_delistings, 50,
          "More delistings than this in one refresh are taken for a broken "
          "listing (the refresh is refused).");
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
    if (market::FindIndex(symbol) != nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "symbols: ", symbol, " is an index; list it in `indices`"));
    }
    if (seen.insert(symbol).second) symbols.push_back(std::move(symbol));
  }
  return symbols;
}

absl::StatusOr<UniverseOptions> UniverseFromFlags(
    std::vector<std::string> symbols) {
  UniverseOptions options;
  options.symbols = std::move(symbols);
  options.exchanges.clear();
  for (const std::string& name : absl::GetFlag(FLAGS_universe_exchanges)) {
    const v1::Exchange exchange = market::ParseExchange(name);
    if (exchange == v1::EXCHANGE_UNSPECIFIED) {
      return absl::InvalidArgumentError(absl::StrCat(
          "universe_exchanges: '", name, "' is not HOSE, HNX or UPCOM"));
    }
    options.exchanges.push_back(exchange);
  }
  options.types.clear();
  for (const std::string& name : absl::GetFlag(FLAGS_universe_types)) {
    const v1::InstrumentType type = market::ParseInstrumentType(name);
    if (type == v1::INSTRUMENT_TYPE_UNSPECIFIED ||
        type == v1::INSTRUMENT_TYPE_INDEX) {
      return absl::InvalidArgumentError(absl::StrCat(
          "universe_types: '", name, "' is not STOCK, ETF, CW, BOND or FU"));
    }
    options.types.push_back(type);
  }
  auto groups = [](const char* flag, const std::vector<std::string>& names)
      -> absl::StatusOr<std::vector<std::string>> {
    for (const std::string& name : names) {
      if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) {
            return absl::ascii_isalnum(c) || c == '_';
          })) {
        return absl::InvalidArgumentError(absl::StrCat(
            flag, ": '", name, "' is not a VCI group code (e.g. VN30)"));
      }
    }
    return names;
  };
  absl::StatusOr<std::vector<std::string>> filter =
      groups("universe_groups", absl::GetFlag(FLAGS_universe_groups));
  if (!filter.ok()) return filter.status();
  options.groups = *std::move(filter);
  absl::StatusOr<std::vector<std::string>> tags =
      groups("instrument_groups", absl::GetFlag(FLAGS_instrument_groups));
  if (!tags.ok()) return tags.status();
  options.instrument_groups = *std::move(tags);
  for (const std::string& name : absl::GetFlag(FLAGS_indices)) {
    const market::MarketIndex* index = market::FindIndex(name);
    if (index == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("indices: '", name, "' is not an index VCI serves"));
    }
    if (std::find(options.indices.begin(), options.indices.end(),
                  index->symbol) == options.indices.end()) {
      options.indices.emplace_back(index->symbol);
    }
  }
  options.max_delistings = absl::GetFlag(FLAGS_universe_max_delistings);
  if (options.max_delistings < 0) {
    return absl::InvalidArgumentError("universe_max_delistings must be >= 0");
  }
  if (options.symbols.empty() &&
      (options.exchanges.empty() || options.types.empty())) {
    return absl::InvalidArgumentError(
        "universe_exchanges and universe_types select nothing (and no "
        "explicit symbols)");
  }
  return options;
}

}  // namespace

absl::StatusOr<IngestConfig> LoadConfig() {
  IngestConfig config;
  absl::StatusOr<std::vector<std::string>> symbols = Symbols();
  if (!symbols.ok()) return symbols.status();
  absl::StatusOr<UniverseOptions> universe =
      UniverseFromFlags(*std::move(symbols));
  if (!universe.ok()) return universe.status();
  config.universe = *std::move(universe);
  config.ingest.symbols = config.universe.symbols;
  config.ingest.indices = config.universe.indices;
  config.universe_interval = absl::GetFlag(FLAGS_universe_interval);
  config.universe_retry = absl::GetFlag(FLAGS_universe_retry);
  if (config.universe_retry < absl::Seconds(1) ||
      config.universe_interval < config.universe_retry) {
    return absl::InvalidArgumentError(
        "universe_retry must be at least 1s and universe_interval at least "
        "universe_retry");
  }
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
