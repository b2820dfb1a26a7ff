// AnalyticsProcessor: analytics' domain, without Kafka. For each input
// record it returns the output records and the state changes to write in
// the same transaction:
//
//   stock-historical DailyHistory -> stock-analytics EnrichedHistory (the
//     window with every indicator; stateless, one per input, same meta) and
//     stock-signals Signals for final daily bars not evaluated before;
//   stock-intraday IntradayBar -> stock-intraday-analytics
//     EnrichedIntradayBar (one per input, same meta: revisions are enriched
//     again) and Signals for final 1-minute bars not evaluated before;
//   stock-prices Quote and stock-instruments Instrument -> stock-market
//     MarketBreadth partials, one per changed (scope, partition) per batch
//     (FinishBatch), written to the input's partition number.
//
// State is kept per input partition (inputs are co-partitioned by symbol):
// today's intraday session and the volume profile per symbol, the latest
// quote and instrument per symbol, the last signalled bar and the signal
// seq per symbol, the partial seq per scope. Every change becomes a
// changelog record (topic vnstream-analytics-state, same partition), at
// most one per key per batch; Restore() rebuilds a partition's state from
// those records. Not thread-safe: one pipeline thread owns it.
#ifndef VNSTREAM_SERVICES_ANALYTICS_PROCESSOR_H_
#define VNSTREAM_SERVICES_ANALYTICS_PROCESSOR_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "libs/indicators/indicators.h"
#include "libs/indicators/intraday.h"
#include "libs/kafka/sink.h"
#include "libs/service/prometheus_fwd.h"
#include "services/analytics/breadth.h"
#include "services/analytics/signals.h"
#include "vnstream/internal/analytics_state.pb.h"
#include "vnstream/v1/market_data.pb.h"

namespace vnstream::analytics {

struct ProcessorOptions {
  // Daily indicators (stock-analytics, daily signals).
  indicators::Params daily;
  // 1-minute indicators (stock-intraday-analytics, intraday signals).
  indicators::IntradayParams intraday;
  // Index groups for breadth until stock-instruments says otherwise.
  GroupMap groups;
};

// One record to produce: to `partition` of record.topic, or (-1) to the
// partition the producer's partitioner picks for record.key.
struct Output {
  kafka::OutgoingRecord record;
  int32_t partition = -1;
};

class AnalyticsProcessor {
 public:
  // `options` must be valid (the config validates them).
  AnalyticsProcessor(
      ProcessorOptions options, prometheus::Registry& registry,
      std::function<absl::Time()> now = [] { return absl::Now(); });

  // The partition count of the input topics (MarketBreadth.partitions).
  void set_partition_count(int partitions) { partition_count_ = partitions; }

  // Each appends the outputs of one record of input partition `partition`
  // to `out`. InvalidArgument (nothing appended, counted) for a record that
  // cannot be used.
  absl::Status Process(int partition, const v1::DailyHistory& history,
                       std::vector<Output>* out);
  absl::Status Process(int partition, const v1::IntradayBar& bar,
                       std::vector<Output>* out);
  absl::Status Process(int partition, const v1::Quote& quote,
                       std::vector<Output>* out);
  absl::Status Process(int partition, const v1::Instrument& instrument,
                       std::vector<Output>* out);
  // Ends a batch: appends the breadth partials of every (scope, partition)
  // that changed in it and the changelog records of every state key that
  // changed.
  void FinishBatch(std::vector<Output>* out);

  // Counts a record of `topic` that did not even decode.
  void CountMalformed(absl::string_view topic);

  // Forgets a partition's state (revoked, or its transaction aborted).
  void Drop(int partition);
  void DropAll() { partitions_.clear(); }
  // Applies one changelog record of `partition` (key, value as written by
  // FinishBatch). InvalidArgument for a record that cannot be read (it is
  // skipped). Call FinishRestore once the partition's changelog is read.
  absl::Status Restore(int partition, absl::string_view key,
                       absl::string_view value);
  void FinishRestore(int partition);

 private:
  struct SymbolState {
    std::unique_ptr<indicators::SymbolIntraday> intraday;
    // Without the order book.
    std::optional<v1::Quote> quote;
    std::optional<v1::Instrument> instrument;
    internal::SignalState signal;
  };
  struct PartitionState {
    std::map<std::string, SymbolState> symbols;
    // Scope -> seq of its last partial from this partition.
    std::map<std::string, uint64_t> breadth_seq;
    // The newest trading day of the partition's quotes: breadth counts
    // quotes of that day.
    std::optional<absl::CivilDay> quotes_day;
    // In the current batch: scopes whose partial changed, and the changelog
    // (key -> serialized StateRecord).
    std::set<std::string> dirty_scopes;
    std::map<std::string, std::string> changelog;
    // While restoring: the bars (by minute) and profiles read so far.
    std::map<std::string, std::map<int, v1::IntradayBar>> restored_bars;
    std::map<std::string, internal::VolumeProfile> restored_profiles;
  };

  PartitionState& State(int partition);
  // The breadth scopes `symbol` counts in (none without a quote).
  std::vector<std::string> Scopes(const std::string& symbol,
                                  const SymbolState& s) const;
  void MarkScopes(PartitionState& p, const std::vector<std::string>& scopes);
  static void Log(PartitionState& p, const std::string& key,
                  const internal::StateRecord& record);
  // Appends the signals of `crossings` at a bar; updates the seq.
  void EmitSignals(SymbolState& s, const v1::RecordMeta& input,
                   v1::BarInterval interval, absl::CivilDay day,
                   absl::Time bar_start, const std::vector<Crossing>& crossings,
                   const std::function<void(v1::Signal&)>& set_bar,
                   std::vector<Output>* out);
  void DailySignals(PartitionState& p, SymbolState& s,
                    const v1::EnrichedHistory& enriched,
                    std::vector<Output>* out);

  const ProcessorOptions options_;
  const std::function<absl::Time()> now_;
  // Symbol -> the configured groups it belongs to.
  std::map<std::string, std::vector<std::string>> configured_groups_;
  int partition_count_ = 0;
  std::map<int, PartitionState> partitions_;

  prometheus::Family<prometheus::Counter>& records_in_;
  prometheus::Family<prometheus::Counter>& signals_;
  prometheus::Counter* state_restored_;
  prometheus::Counter* state_unreadable_;
  prometheus::Histogram* compute_seconds_;
};

}  // namespace vnstream::analytics

#endif  // VNSTREAM_SERVICES_ANALYTICS_PROCESSOR_H_
