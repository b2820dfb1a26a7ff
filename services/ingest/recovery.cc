#include "services/ingest/recovery.h"

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/time/clock.h"
#include "libs/base/logging.h"
#include "libs/kafka/record.h"
#include "libs/kafka/tail_scan.h"
#include "libs/kafka/topics.h"
#include "libs/market/calendar.h"

namespace vnstream::ingest {
namespace {

struct Progress {
  int records = 0;
  int malformed = 0;
};

// Scans `topic`, decoding each record as `Record` and handing it to the
// ingestor; `complete(symbol, record)` says whether that symbol needs no
// older records.
template <typename Record, typename Complete>
absl::Status Scan(const std::string& bootstrap,
                  const kafka::ConfigMap& overrides, const char* topic,
                  const std::vector<std::string>& symbols, Ingestor& ingestor,
                  absl::Time deadline, Complete complete) {
  absl::flat_hash_set<std::string> wanted(symbols.begin(), symbols.end());
  absl::flat_hash_set<std::string> done;
  Progress progress;
  const absl::Status status = kafka::ScanTopicBackwards(
      {.bootstrap_servers = bootstrap,
       .topic = topic,
       .timeout = deadline - absl::Now(),
       .overrides = overrides},
      [&](RdKafka::Message& message) {
        Record record;
        if (!kafka::DecodeRecord(message, record).ok()) {
          ++progress.malformed;
          return;
        }
        ++progress.records;
        ingestor.Recover(record);
        const std::string& symbol = record.meta().symbol();
        if (wanted.contains(symbol) && complete(symbol, record))
          done.insert(symbol);
      },
      [&] { return done.size() == wanted.size(); });
  spdlog::info(
      "recovered {} from {} records ({} malformed skipped), {}/{} symbols "
      "found",
      topic, progress.records, progress.malformed, done.size(), wanted.size());
  return status;
}

}  // namespace

absl::Status RecoverFromKafka(const std::string& bootstrap_servers,
                              const kafka::ConfigMap& overrides,
                              const std::vector<std::string>& symbols,
                              Ingestor& ingestor, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  // Compacted topics: the newest record of a symbol is all that matters.
  auto newest_is_enough = [](const std::string&, const auto&) { return true; };
  if (absl::Status s =
          Scan<v1::Quote>(bootstrap_servers, overrides, kafka::kPricesTopic,
                          symbols, ingestor, deadline, newest_is_enough);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = Scan<v1::DailyHistory>(
          bootstrap_servers, overrides, kafka::kHistoricalTopic, symbols,
          ingestor, deadline, newest_is_enough);
      !s.ok()) {
    return s;
  }
  // Intraday: all bars of the newest trading day are needed (to not
  // republish them); a record of an earlier day proves none is missing.
  absl::flat_hash_map<std::string, absl::CivilDay> newest_day;
  return Scan<v1::IntradayBar>(
      bootstrap_servers, overrides, kafka::kIntradayTopic, symbols, ingestor,
      deadline, [&](const std::string& symbol, const v1::IntradayBar& bar) {
        const absl::CivilDay day =
            market::ToCivilDay(bar.meta().trading_date());
        auto [it, inserted] = newest_day.try_emplace(symbol, day);
        if (day > it->second) it->second = day;
        return day < it->second;
      });
}

absl::Status RecoverInstruments(const std::string& bootstrap_servers,
                                const kafka::ConfigMap& overrides,
                                UniverseTracker& tracker,
                                absl::Duration timeout) {
  Progress progress;
  const absl::Status status = kafka::ScanTopicBackwards(
      {.bootstrap_servers = bootstrap_servers,
       .topic = kafka::kInstrumentsTopic,
       .timeout = timeout,
       .overrides = overrides},
      [&](RdKafka::Message& message) {
        v1::Instrument instrument;
        if (!kafka::DecodeRecord(message, instrument).ok()) {
          ++progress.malformed;
          return;
        }
        ++progress.records;
        tracker.Recover(instrument);
      },
      [] { return false; });
  spdlog::info("recovered {} from {} records ({} malformed skipped)",
               kafka::kInstrumentsTopic, progress.records, progress.malformed);
  return status;
}

}  // namespace vnstream::ingest
