// The Kafka topics of vnstream: one definition used by the services, the
// launcher (tools/kafka) and the Kubernetes manifests' documentation.
#ifndef VNSTREAM_LIBS_KAFKA_TOPICS_H_
#define VNSTREAM_LIBS_KAFKA_TOPICS_H_

#include <string>
#include <utility>
#include <vector>

namespace vnstream::kafka {

// vnstream.v1.Quote, key = symbol. Compacted: the latest quote per symbol
// survives, so a restarted gateway rebuilds its quote cache from offset 0.
inline constexpr char kPricesTopic[] = "stock-prices";
// vnstream.v1.IntradayBar, key = symbol. Time-retained (3 days).
inline constexpr char kIntradayTopic[] = "stock-intraday";
// vnstream.v1.DailyHistory, key = symbol. Compacted: each record is the
// whole window, so the latest per symbol is all anyone needs.
inline constexpr char kHistoricalTopic[] = "stock-historical";
// vnstream.v1.EnrichedHistory (analytics output), key = symbol. Compacted.
inline constexpr char kAnalyticsTopic[] = "stock-analytics";
// vnstream.v1.EnrichedIntradayBar (analytics output), key = symbol.
// Time-retained like stock-intraday.
inline constexpr char kIntradayAnalyticsTopic[] = "stock-intraday-analytics";
// vnstream.v1.MarketBreadth partials (analytics output), key = scope,
// partition = the stock-prices partition they cover. Compacted.
inline constexpr char kMarketTopic[] = "stock-market";
// vnstream.v1.Signal (analytics output), key = symbol. Time-retained.
inline constexpr char kSignalsTopic[] = "stock-signals";
// vnstream.v1.Instrument (ingest: the listed universe), key = symbol.
// Compacted.
inline constexpr char kInstrumentsTopic[] = "stock-instruments";
// The analytics service's changelog (vnstream.internal.StateRecord): its
// state, written in the same transactions as its outputs, to the partition
// number of the input it derives from; key = a state key (see
// proto/vnstream/internal/analytics_state.proto). Compacted.
inline constexpr char kAnalyticsStateTopic[] = "vnstream-analytics-state";

// Largest record any vnstream topic accepts, bytes. A 2,000-bar enriched
// history is ~300 KiB; the margin covers longer windows.
inline constexpr int kMaxMessageBytes = 8 * 1024 * 1024;

struct TopicSpec {
  std::string name;
  int partitions = 1;
  int replication_factor = 1;
  // Topic-level configs (cleanup.policy, retention.ms, ...).
  std::vector<std::pair<std::string, std::string>> configs;
};

// Replication factor of the vnstream topics on a cluster of `brokers`:
// 3 when there are at least 3, else all of them.
int ReplicationFactorFor(int brokers);

// min.insync.replicas for `replication_factor` replicas: 2 of 3 (an
// acks=all producer goes on when any one broker is down, and an
// acknowledged record is on at least two brokers), 1 below 3.
int MinInSyncReplicasFor(int replication_factor);

// The topics with their partition counts and policies, for a cluster
// with `replication_factor` replicas (1 on one local broker, 3 on the local
// 3-broker cluster and in production); min.insync.replicas follows
// MinInSyncReplicasFor.
std::vector<TopicSpec> DefaultTopics(int replication_factor = 1);

}  // namespace vnstream::kafka

#endif  // VNSTREAM_LIBS_KAFKA_TOPICS_H_
